import { JetStreamError, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { decodeMessage, type QueuedMessage } from './message.js';
import { traceOfHeaders } from './trace-headers.js';

/** What a cursor read needs: the stream and how subjects map to customers. */
export interface ReadContext {
  jsm: JetStreamManager;
  stream: string;
  subjectPrefix: string;
}

/** Direct gets of one batch; the server caps a batch by bytes, the loop in readAfter asks again. */
const MAX_BATCH = 1_024;

/** A read got messages with a gap between them (a reply lost on the way): try again rather than trust it. */
export class IncompleteReadError extends Error {
  override readonly name = 'IncompleteReadError';

  constructor(customerId: string, afterId: number) {
    super(`read of ${customerId} after ${afterId} missed a message; try again`);
  }
}

function checkArgs(afterId: number, max?: number): void {
  if (!Number.isSafeInteger(afterId) || afterId < 0) {
    throw new Error(`afterId must be a non-negative integer, got ${afterId}`);
  }
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1)) {
    throw new Error(`max must be a positive integer, got ${max}`);
  }
}

/** A direct get that matched nothing ends with status 404. */
function isNoMessage(err: unknown): boolean {
  return err instanceof JetStreamError && (err as JetStreamError & { code?: unknown }).code === 404;
}

/**
 * One batch direct get (nats-server 2.11+): up to `batch` of the customer's messages with id > afterId,
 * straight from the stream's subject index. No consumer is created, so nothing is left on the server.
 */
async function batchAfter(
  ctx: ReadContext,
  customerId: string,
  afterId: number,
  batch: number,
): Promise<StoredMsg[]> {
  const subject = `${ctx.subjectPrefix}${customerId}`;
  const out: StoredMsg[] = [];
  try {
    const replies = await ctx.jsm.direct.getBatch(ctx.stream, {
      seq: afterId + 1,
      next_by_subj: subject,
      batch,
    });
    for await (const m of replies) {
      // Each reply names the sequence of the previous one in the batch: a mismatch is a lost reply.
      const previous = out.at(-1);
      if (previous !== undefined && m.lastSequence !== previous.seq) {
        throw new IncompleteReadError(customerId, afterId);
      }
      out.push(m);
    }
  } catch (err) {
    if (!isNoMessage(err)) {
      throw err;
    }
  }
  return out;
}

/** How many of the customer's messages follow `m` in the stream (2.12+: its end marker not counted). */
function remainingAfter(m: StoredMsg): number {
  return Math.max(0, m.pending);
}

function decode(ctx: ReadContext, m: StoredMsg): QueuedMessage {
  const timestampNanos = BigInt(m.time.getTime()) * 1_000_000n;
  // A direct get's reply carries the stored message's headers beside the server's own.
  const trace = traceOfHeaders(m.header);
  return decodeMessage(
    { seq: m.seq, subject: m.subject, data: m.data, timestampNanos, trace },
    ctx.subjectPrefix,
  );
}

/** Messages read after a cursor, and how many more of the customer's the stream held behind them. */
export interface ReadPage {
  messages: QueuedMessage[];
  remaining: number;
}

/**
 * The customer's messages with id > afterId in id order, up to max. Fewer than max means the
 * stream held no more (remaining 0); a read with a lost reply throws IncompleteReadError.
 */
export async function readAfter(
  ctx: ReadContext,
  customerId: string,
  afterId: number,
  max: number,
): Promise<ReadPage> {
  checkArgs(afterId, max);
  const messages: QueuedMessage[] = [];
  let remaining = 0;
  for (let after = afterId; messages.length < max;) {
    const batch = await batchAfter(ctx, customerId, after, Math.min(MAX_BATCH, max - messages.length));
    messages.push(...batch.map((m) => decode(ctx, m)));
    const last = batch.at(-1);
    remaining = last === undefined ? 0 : remainingAfter(last);
    if (last === undefined || remaining === 0) {
      break;
    }
    after = last.seq;
  }
  return { messages, remaining };
}

/** How many of the customer's messages have id > afterId: one direct get of the next one and its count. */
export async function countAfter(ctx: ReadContext, customerId: string, afterId: number): Promise<number> {
  checkArgs(afterId);
  const [next] = await batchAfter(ctx, customerId, afterId, 1);
  return next === undefined ? 0 : remainingAfter(next) + 1;
}
