import { backoffDelay } from './backoff.js';
import type { QueueRecovered, QueueStalled, SkipReason } from './events.js';
import type { DeliverySettings } from './settings.js';
import { stallAlertDueAt, stallAlertEvent } from './stall-alert.js';
import type { CustomerQueueState } from './state.js';

/** A queued message as the rules see it: its id and event type (null when the body is unreadable). */
export interface PendingMessage {
  readonly id: number;
  readonly event: string | null;
}

/** What a customer's queue should do next. */
export type Decision =
  | { readonly kind: 'idle'; readonly reason: 'empty' | 'paused' | 'unconfigured' }
  | { readonly kind: 'waitUntil'; readonly at: number; readonly reason: 'backoff' | 'batch' | 'stallAlert' }
  | { readonly kind: 'alert'; readonly event: QueueStalled | QueueRecovered }
  | { readonly kind: 'skip'; readonly ids: readonly number[]; readonly reason: SkipReason }
  | { readonly kind: 'deliver'; readonly ids: readonly number[]; readonly attempt: number };

/** What decide needs besides the state: the time, and the oldest pending messages in id order. */
export interface DecideInput {
  readonly now: number;
  /** At least min(all pending, batchSize) of the oldest pending messages, oldest first. */
  readonly pending: readonly PendingMessage[];
  /** The customer's last steps failed (StepFailure): a stall they caused is not over yet. */
  readonly stepFailing?: boolean;
}

/**
 * The Passfort rules: one message at a time (or the first batchSize when batching), nothing behind
 * a failing head moves, the head waits out its backoff unless a retry was requested, and messages
 * of unsubscribed types or unreadable bodies are passed over in order. A stall alert that is due
 * is recorded before anything else.
 */
export function decide(
  state: CustomerQueueState,
  { now, pending, stepFailing = false }: DecideInput,
  settings: DeliverySettings,
): Decision {
  const alert = stallAlertEvent(state, now, settings, stepFailing);
  if (alert !== null) {
    return { kind: 'alert', event: alert };
  }
  const { settings: endpoint } = state;
  if (endpoint === null) {
    return { kind: 'idle', reason: 'unconfigured' };
  }
  if (!endpoint.enabled) {
    return { kind: 'idle', reason: 'paused' };
  }
  const queue = pending.filter((message) => message.id > state.cursor);
  const head = queue[0];
  if (head === undefined) {
    return { kind: 'idle', reason: 'empty' };
  }

  const headSkip = skipReason(head, endpoint.events);
  if (headSkip !== null) {
    const run = leadingRun(queue, (message) => skipReason(message, endpoint.events) === headSkip);
    return { kind: 'skip', ids: run.map((message) => message.id), reason: headSkip };
  }

  const due = nextAttemptAt(state, settings);
  if (due !== null && now < due) {
    const alertAt = stallAlertDueAt(state, settings);
    return alertAt !== null && alertAt < due
      ? { kind: 'waitUntil', at: alertAt, reason: 'stallAlert' }
      : { kind: 'waitUntil', at: due, reason: 'backoff' };
  }

  const deliverable = leadingRun(queue, (message) => skipReason(message, endpoint.events) === null);
  if (!endpoint.batching) {
    return { kind: 'deliver', ids: [head.id], attempt: state.attempts + 1 };
  }
  const batch = deliverable.slice(0, settings.batchSize);
  const batchOpensAt = (state.lastAttemptAt ?? -Infinity) + settings.batchIntervalMs;
  // A partial batch waits for more messages, but never longer than the interval since the last request,
  // and not at all when a message to skip ends it: no message could join it by waiting.
  const canGrow = deliverable.length === queue.length;
  if (state.attempts === 0 && batch.length < settings.batchSize && canGrow && now < batchOpensAt) {
    return { kind: 'waitUntil', at: batchOpensAt, reason: 'batch' };
  }
  return { kind: 'deliver', ids: batch.map((message) => message.id), attempt: state.attempts + 1 };
}

/**
 * When the failing head may be tried again: now after a Retry, else last failure + backoff.
 * Null when the head has not failed (it may go as soon as the rules allow).
 */
export function nextAttemptAt(state: CustomerQueueState, settings: DeliverySettings): number | null {
  if (state.attempts === 0 || state.lastFailureAt === null) {
    return null;
  }
  const scheduled = state.lastFailureAt + backoffDelay(state.attempts, settings);
  return state.retryRequestedAt === null ? scheduled : Math.min(scheduled, state.retryRequestedAt);
}

function skipReason(message: PendingMessage, subscribed: readonly string[] | null): SkipReason | null {
  if (message.event === null) {
    return 'unreadable';
  }
  if (subscribed !== null && !subscribed.includes(message.event)) {
    return 'unsubscribed';
  }
  return null;
}

function leadingRun<T>(items: readonly T[], keep: (item: T) => boolean): T[] {
  const end = items.findIndex((item) => !keep(item));
  return end === -1 ? [...items] : items.slice(0, end);
}
