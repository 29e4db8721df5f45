/** A queued message as the sender needs it; `id` is the webhookId (the stream sequence). */
export interface OutgoingMessage {
  id: number;
  event: string;
  /** When Hookpost accepted the message, epoch milliseconds. */
  acceptedAt: number;
  data: Record<string, unknown>;
}

/** One message as it appears on the wire (docs/contract.md, "What a receiver gets"); key order is fixed. */
interface WireMessage {
  id: number;
  event: string;
  secret: string;
  timestamp: number;
  data: Record<string, unknown>;
}

function toWire(message: OutgoingMessage, secret: string): WireMessage {
  return {
    id: message.id,
    event: message.event,
    secret,
    timestamp: Math.floor(message.acceptedAt / 1000),
    data: message.data,
  };
}

/** A message whose data cannot be written as JSON (e.g. nested too deep): it can never be sent. */
export class UnencodableMessageError extends Error {
  override readonly name = 'UnencodableMessageError';
  constructor(
    readonly webhookId: number,
    readonly reason: string,
  ) {
    super(`message ${webhookId}: ${reason}`);
  }
}

/** One message's JSON; throws UnencodableMessageError naming it when it cannot be written. */
function encodeWire(message: OutgoingMessage, secret: string): string {
  try {
    return JSON.stringify(toWire(message, secret));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new UnencodableMessageError(message.id, `data cannot be encoded as JSON (${why})`);
  }
}

/**
 * The exact request body: one object when batching is off, a JSON array (oldest first) when on.
 * Each message is encoded on its own (the same bytes as encoding the array), so one that cannot be
 * written is named by an UnencodableMessageError. Throws RangeError on an empty list, or on several
 * messages without batching (a caller bug).
 */
export function buildBody(messages: readonly OutgoingMessage[], secret: string, batching: boolean): string {
  const first = messages[0];
  if (first === undefined) {
    throw new RangeError('buildBody needs at least one message');
  }
  if (!batching) {
    if (messages.length !== 1) {
      throw new RangeError(`batching is off but ${messages.length} messages were given`);
    }
    return encodeWire(first, secret);
  }
  return `[${messages.map((message) => encodeWire(message, secret)).join(',')}]`;
}

/**
 * The `webhook-id` header: `"42"` with batching off, `"<firstId>-<lastId>"` with batching on
 * (also for a batch of one, so a receiver parses one form per endpoint).
 */
export function webhookIdHeader(messages: readonly OutgoingMessage[], batching: boolean): string {
  const first = messages[0];
  const last = messages[messages.length - 1];
  if (first === undefined || last === undefined) {
    throw new RangeError('webhookIdHeader needs at least one message');
  }
  return batching ? `${first.id}-${last.id}` : String(first.id);
}
