import type {
  DeliveryFailed,
  DeliverySucceeded,
  MessagesSkipped,
  QueuePurged,
  SkipReason,
} from './events.js';

/** Ids per QueuePurged event: a purge of a huge backlog is several events, none of them huge. */
const PURGE_EVENT_IDS = 10_000;

/** A request that carried ids firstId..lastId, the head's attempt number, and the first's event type. */
export interface AttemptedBatch {
  readonly firstId: number;
  readonly lastId: number;
  readonly count: number;
  readonly attempt: number;
  readonly event: string;
}

/** How an attempt ended, as the sender reports it. */
export interface AttemptResult {
  readonly ok: boolean;
  readonly statusCode: number | null;
  readonly durationMs: number;
  readonly error: string | null;
}

/** The event that records an attempt's outcome. */
export function attemptOutcome(
  batch: AttemptedBatch,
  result: AttemptResult,
  at: number,
): DeliverySucceeded | DeliveryFailed {
  const { firstId, lastId, count, attempt, event } = batch;
  const { statusCode, durationMs } = result;
  if (result.ok) {
    return {
      type: 'DeliverySucceeded',
      at,
      data: { firstId, lastId, count, durationMs, statusCode: statusCode ?? 200 },
    };
  }
  const error = result.error ?? 'failed';
  return {
    type: 'DeliveryFailed',
    at,
    data: { firstId, lastId, count, durationMs, attempt, event, statusCode, error },
  };
}

/** Messages passed over; the reasons of the unreadable ones among them go into `detail` (at most 1,000 characters). */
export function messagesSkipped(
  ids: readonly number[],
  reason: SkipReason,
  unreadable: readonly { readonly id: number; readonly reason: string }[],
  at: number,
): MessagesSkipped {
  const detail = unreadable.map((message) => `${message.id}: ${message.reason}`);
  const data =
    detail.length > 0 ? { ids, reason, detail: detail.join('; ').slice(0, 1000) } : { ids, reason };
  return { type: 'MessagesSkipped', at, data };
}

/** A purge of `ids`, as QueuePurged events of at most PURGE_EVENT_IDS ids each. */
export function queuePurged(ids: readonly number[], at: number): QueuePurged[] {
  const events: QueuePurged[] = [];
  for (let start = 0; start < ids.length; start += PURGE_EVENT_IDS) {
    events.push({ type: 'QueuePurged', at, data: { ids: ids.slice(start, start + PURGE_EVENT_IDS) } });
  }
  return events;
}
