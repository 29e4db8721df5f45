import type { QueueRecovered, QueueStalled } from './events.js';
import type { DeliverySettings } from './settings.js';
import type { CustomerQueueState } from './state.js';

/**
 * When QueueStalled becomes due: the head has failed for `stallAlertMs` and no alert is open for
 * this episode. Null when none is to come (nothing failing, alerts off, or already recorded). A
 * paused queue is not alerted: disabling it is a decision of the platform, recorded already.
 */
export function stallAlertDueAt(state: CustomerQueueState, settings: DeliverySettings): number | null {
  if (
    settings.stallAlertMs <= 0 ||
    state.stallAlertSince !== null ||
    state.attempts === 0 ||
    state.failingSince === null ||
    state.settings?.enabled !== true
  ) {
    return null;
  }
  return state.failingSince + settings.stallAlertMs;
}

/**
 * The alert to record now, if any: QueueStalled once the stall has lasted the threshold, and
 * QueueRecovered once the head that stalled has gone (delivered, skipped or purged), or, for a
 * stall of failing steps (stepStallAlert), once steps no longer fail (`stepFailing` false). Each
 * is recorded once per episode because the state remembers the open alert.
 */
export function stallAlertEvent(
  state: CustomerQueueState,
  now: number,
  settings: DeliverySettings,
  stepFailing = false,
): QueueStalled | QueueRecovered | null {
  if (state.stallAlertSince !== null && state.attempts === 0 && !stepFailing) {
    const since = state.stallAlertSince;
    return { type: 'QueueRecovered', at: now, data: { since, stalledMs: Math.max(0, now - since) } };
  }
  const dueAt = stallAlertDueAt(state, settings);
  if (dueAt === null || now < dueAt || state.failingSince === null || state.failingFrom === null) {
    return null;
  }
  const last = state.recentFailures.find((failure) => failure.webhookId === state.failingFrom);
  return {
    type: 'QueueStalled',
    at: now,
    data: {
      since: state.failingSince,
      thresholdMs: settings.stallAlertMs,
      webhookId: state.failingFrom,
      attempts: state.attempts,
      statusCode: last?.statusCode ?? null,
      error: last?.error ?? 'failing',
    },
  };
}
