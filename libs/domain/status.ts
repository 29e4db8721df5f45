import { nextAttemptAt } from './decide.js';
import type { DeliverySettings } from './settings.js';
import type { CustomerQueueState, FailureRecord } from './state.js';
import type { StepFailure } from './step-failure.js';

/** The three queue states a customer sees (docs/contract.md, "Queue states"). */
export type QueueState = 'empty' | 'waiting' | 'stalled';

/** The status view of one customer, as the admin API and the status page show it. */
export interface CustomerStatus {
  readonly customerId: string;
  readonly queue: QueueState;
  readonly pending: number;
  readonly enabled: boolean;
  readonly lastProcessedAt: number | null;
  readonly nextAttemptAt: number | null;
  readonly attempts: number;
  readonly recentFailures: readonly FailureRecord[];
  /** Set while the customer's steps keep failing before an outcome is recorded (in memory only). */
  readonly stepFailure: StepFailure | null;
}

/**
 * empty = nothing pending; stalled = pending but not being sent (the head failed and waits, its
 * steps fail, a stall alert is open, or webhooks are disabled or not configured); waiting =
 * pending and going out normally.
 */
export function queueState(state: CustomerQueueState, pending: number, stepFailing = false): QueueState {
  if (pending === 0) {
    return 'empty';
  }
  const paused = state.settings === null || !state.settings.enabled;
  return paused || state.attempts > 0 || state.stallAlertSince !== null || stepFailing
    ? 'stalled'
    : 'waiting';
}

/** Projects the folded state plus the queue's pending count onto the status view. */
export function statusView(
  customerId: string,
  state: CustomerQueueState,
  pending: number,
  settings: DeliverySettings,
  stepFailure: StepFailure | null = null,
): CustomerStatus {
  return {
    customerId,
    queue: queueState(state, pending, stepFailure !== null),
    pending,
    enabled: state.settings?.enabled ?? false,
    lastProcessedAt: state.lastProcessedAt,
    nextAttemptAt: pending > 0 ? nextAttemptAt(state, settings) : null,
    attempts: state.attempts,
    recentFailures: state.recentFailures,
    stepFailure,
  };
}

/** What an append writes into the customer's projection row, from its folded state. */
export interface Projection {
  state: CustomerQueueState;
  pending: number;
  queue: QueueState;
  nextAttemptAt: number | null;
  /**
   * When the oldest pending message was accepted, if the caller knows it; absent or null keeps the
   * stored one while anything is pending (the row is cleared when nothing is).
   */
  oldestPendingAt?: number | null;
}

/** The projection of `state` with `pending` messages after its cursor: no next attempt without one. */
export function projectionOf(
  state: CustomerQueueState,
  pending: number,
  settings: DeliverySettings,
  oldestPendingAt: number | null,
): Projection {
  const next = pending > 0 ? nextAttemptAt(state, settings) : null;
  return { state, pending, queue: queueState(state, pending), nextAttemptAt: next, oldestPendingAt };
}
