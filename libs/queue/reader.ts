import { randomUUID } from 'node:crypto';
import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerInfo,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { decodeMessage, type QueuedMessage } from './message.js';

/** Server-side cleanup of a read consumer whose delete got lost. */
const READ_CONSUMER_INACTIVE_NS = 30_000 * 1_000_000;
/** A fetch asks only for messages the consumer reported pending, so it ends long before this. */
const FETCH_EXPIRES_MS = 5_000;

/** What a cursor read needs: the clients, the stream, and how subjects map to customers. */
export interface ReadContext {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  subjectPrefix: string;
  /** Runs a consumer delete without making the caller wait for it (tracked so close() can). */
  background(task: Promise<unknown>): void;
}

function checkArgs(afterId: number, max?: number): void {
  if (!Number.isSafeInteger(afterId) || afterId < 0) {
    throw new Error(`afterId must be a non-negative integer, got ${afterId}`);
  }
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1)) {
    throw new Error(`max must be a positive integer, got ${max}`);
  }
}

/**
 * Creates the ephemeral consumer an ordered consumer would (memory, no acks, one filter subject as ONE
 * string since 2.9 breaks fetch on a list, start at afterId + 1) in one request: the ordered-consumer
 * helper adds a stream-info round trip first. Its num_pending is the exact count after the cursor.
 */
async function openCursor(ctx: ReadContext, customerId: string, afterId: number): Promise<ConsumerInfo> {
  return ctx.jsm.consumers.add(ctx.stream, {
    name: `read_${randomUUID().replaceAll('-', '')}`,
    filter_subject: `${ctx.subjectPrefix}${customerId}`,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: afterId + 1,
    ack_policy: AckPolicy.None,
    max_deliver: 1,
    mem_storage: true,
    num_replicas: 1,
    inactive_threshold: READ_CONSUMER_INACTIVE_NS,
  });
}

function closeCursor(ctx: ReadContext, ci: ConsumerInfo): void {
  // inactive_threshold removes it if this delete fails; nobody reads it again.
  ctx.background(ctx.jsm.consumers.delete(ctx.stream, ci.name).catch(() => false));
}

/** A read got fewer messages than the stream said it held: try again rather than trust it. */
export class IncompleteReadError extends Error {
  override name = 'IncompleteReadError';

  constructor(customerId: string, got: number, wanted: number) {
    super(`read of ${customerId} returned ${got} of ${wanted} messages; try again`);
  }
}

/**
 * The customer's messages with id > afterId in id order, up to max. Fewer than max means the
 * stream held no more when the read began; an interrupted read throws IncompleteReadError.
 */
export async function readAfter(
  ctx: ReadContext,
  customerId: string,
  afterId: number,
  max: number,
): Promise<QueuedMessage[]> {
  checkArgs(afterId, max);
  const ci = await openCursor(ctx, customerId, afterId);
  try {
    const wanted = Math.min(max, ci.num_pending);
    if (wanted === 0) {
      return [];
    }
    const messages = await ctx.js.consumers.getConsumerFromInfo(ci).fetch({
      max_messages: wanted,
      expires: FETCH_EXPIRES_MS,
    });
    const out: QueuedMessage[] = [];
    for await (const m of messages) {
      // A gap in the delivery sequence would mean a lost message: stop, and fail below.
      if (m.info.deliverySequence !== out.length + 1) {
        break;
      }
      out.push(
        decodeMessage(
          { seq: m.seq, subject: m.subject, data: m.data, timestampNanos: m.timestampNanos },
          ctx.subjectPrefix,
        ),
      );
      if (out.length === wanted) {
        break;
      }
    }
    // Callers take a short read to mean "nothing more was stored" (the feed brings what comes next),
    // so a read cut short by a gap or an expiry must fail rather than look like the end.
    if (out.length < wanted) {
      throw new IncompleteReadError(customerId, out.length, wanted);
    }
    return out;
  } finally {
    closeCursor(ctx, ci);
  }
}

/** How many of the customer's messages have id > afterId (exact, from a consumer's num_pending). */
export async function countAfter(ctx: ReadContext, customerId: string, afterId: number): Promise<number> {
  checkArgs(afterId);
  const ci = await openCursor(ctx, customerId, afterId);
  closeCursor(ctx, ci);
  return ci.num_pending;
}
