import type { QueueStalled } from './events.js';
import type { DeliverySettings } from './settings.js';
import type { CustomerQueueState } from './state.js';

/**
 * A customer's steps that keep failing before any outcome could be recorded (the database or NATS
 * down, a bug): the runtime keeps it in memory so status, metrics and the stall alert show it.
 */
export interface StepFailure {
  /** When the first of the consecutive failed steps failed. */
  readonly since: number;
  /** Consecutive failed steps. */
  readonly count: number;
  /** What the last one failed with. */
  readonly error: string;
}

/** The failure after one more failed step (the first one starts the episode). */
export function stepFailed(previous: StepFailure | null, error: string, now: number): StepFailure {
  return { since: previous?.since ?? now, count: (previous?.count ?? 0) + 1, error: error.slice(0, 300) };
}

/**
 * QueueStalled for a queue whose steps have failed for `stallAlertMs` while messages wait behind
 * `headId` (null when the head is not known yet: no alert until it is), the same threshold as a
 * failing delivery. None when alerts are off, one is open already, or the endpoint is not enabled.
 */
export function stepStallAlert(
  state: CustomerQueueState,
  failure: StepFailure,
  headId: number | null,
  now: number,
  settings: DeliverySettings,
): QueueStalled | null {
  if (
    headId === null ||
    settings.stallAlertMs <= 0 ||
    state.stallAlertSince !== null ||
    state.settings?.enabled !== true ||
    now < failure.since + settings.stallAlertMs
  ) {
    return null;
  }
  return {
    type: 'QueueStalled',
    at: now,
    data: {
      since: failure.since,
      thresholdMs: settings.stallAlertMs,
      webhookId: headId,
      attempts: failure.count,
      statusCode: null,
      error: `step failing: ${failure.error}`,
    },
  };
}
