import {
  type MessageTrace,
  isEventType,
  jsonTextProblem,
  MAX_BODY_DEPTH,
  MAX_MESSAGE_BYTES,
  type QueuedMessage,
} from '../domain/index.js';

export type { QueuedMessage };

/** The body producers publish (docs/contract.md, "Publishing a message"). */
export interface QueueBody {
  event: string;
  data: Record<string, unknown>;
}

/** What decodeMessage needs from a stored message, whichever API read it. */
export interface RawQueueMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
  timestampNanos: bigint;
  trace?: MessageTrace | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why a body is not a QueueBody, or the parsed body. */
function parseBody(data: Uint8Array): QueueBody | string {
  // The stream takes a little more than a message (room for headers), so a producer on the
  // fast path can store a body the contract refuses: skip it rather than deliver it.
  if (data.length > MAX_MESSAGE_BYTES) {
    return `body is ${data.length} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit of a message`;
  }
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return 'body is not valid UTF-8';
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'body is not valid JSON';
  }
  if (!isJsonObject(parsed)) {
    return 'body is not a JSON object';
  }
  const { event, data: payload } = parsed;
  if (!isEventType(event)) {
    return 'event is missing or not 1-100 characters of [A-Z0-9_.]';
  }
  if (!isJsonObject(payload)) {
    return 'data is missing or not a JSON object';
  }
  // What the API refuses with a 400 (deeper than a message may nest, a number that would change) is not
  // delivered from the fast path either: skipped with the reason, never delivered altered or retried for ever.
  // The depth bound also makes the body writable again: JSON.stringify fails on a parsed value only
  // by exhausting the stack (thousands of levels); parsed JSON holds no cycle, BigInt or toJSON.
  const textProblem = jsonTextProblem(data, MAX_BODY_DEPTH);
  if (textProblem !== null) {
    return `body cannot be delivered exactly: ${textProblem}`;
  }
  return { event, data: payload };
}

/** Decodes a stored message; never throws, a bad body becomes kind 'unreadable' with the reason. */
export function decodeMessage(raw: RawQueueMessage, subjectPrefix: string): QueuedMessage {
  const common = {
    id: raw.seq,
    customerId: raw.subject.startsWith(subjectPrefix) ? raw.subject.slice(subjectPrefix.length) : raw.subject,
    acceptedAt: Number(raw.timestampNanos / 1_000_000n),
    bytes: raw.data.length,
  };
  const body = parseBody(raw.data);
  return typeof body === 'string'
    ? { kind: 'unreadable', ...common, reason: body }
    : raw.trace === undefined
      ? { kind: 'message', ...common, event: body.event, data: body.data }
      : { kind: 'message', ...common, event: body.event, data: body.data, trace: raw.trace };
}

const utf8Encoder = new TextEncoder();

/** The bytes stored for a body: plain JSON, so any client can publish the same (docs/contract.md). */
export function encodeBody(body: QueueBody): Uint8Array {
  return utf8Encoder.encode(JSON.stringify({ event: body.event, data: body.data }));
}
