import type { CustomerQueueEvent, DeliveryFailed, SecretRotated, WebhookSettings } from './events.js';

/** One entry of the recent-failures list: a request range that failed and is still waiting. */
export interface FailureRecord {
  readonly webhookId: number;
  readonly lastWebhookId: number;
  readonly event: string;
  readonly attempts: number;
  readonly statusCode: number | null;
  readonly error: string;
  readonly failedAt: number;
}

/** The secret a rotation replaced: it still signs, after the current one, until `expiresAt`. */
export interface PreviousSecret {
  readonly last4: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** The folded state of one customer's queue. Plain JSON, so it is also the stored snapshot. */
export interface CustomerQueueState {
  readonly settings: WebhookSettings | null;
  /** The secret the last rotation replaced (null without one, and after a PUT, which replaces both). */
  readonly previousSecret: PreviousSecret | null;
  /** Every id at or below the cursor was delivered, skipped or purged. */
  readonly cursor: number;
  /** Consecutive failed attempts of the current head (0 when it has not failed). */
  readonly attempts: number;
  /** First id of the request that is failing, while attempts > 0. */
  readonly failingFrom: number | null;
  /** When that head first failed: the start of a stall (QueueStalled counts from here). */
  readonly failingSince: number | null;
  /** The `since` of the QueueStalled recorded for this episode, until QueueRecovered. */
  readonly stallAlertSince: number | null;
  readonly lastFailureAt: number | null;
  readonly retryRequestedAt: number | null;
  readonly lastAttemptAt: number | null;
  readonly lastProcessedAt: number | null;
  readonly delivered: number;
  /** At most RECENT_FAILURES_LIMIT entries, newest first. */
  readonly recentFailures: readonly FailureRecord[];
}

/** How many failures the status view keeps (Passfort shows 10). */
export const RECENT_FAILURES_LIMIT = 10;

/** A customer nobody has configured or delivered to yet. */
export function initialState(): CustomerQueueState {
  return {
    settings: null,
    previousSecret: null,
    cursor: 0,
    attempts: 0,
    failingFrom: null,
    failingSince: null,
    stallAlertSince: null,
    lastFailureAt: null,
    retryRequestedAt: null,
    lastAttemptAt: null,
    lastProcessedAt: null,
    delivered: 0,
    recentFailures: [],
  };
}

/** Applies one event. Pure: the same events always fold to the same state. */
export function evolve(state: CustomerQueueState, event: CustomerQueueEvent): CustomerQueueState {
  // Each case changes a fresh copy (draftOf), never `state`; see draftOf for why not `{ ...state }`.
  const next = draftOf(state);
  switch (event.type) {
    case 'WebhookConfigured':
      next.settings = event.data.settings;
      next.previousSecret = null;
      return next;
    case 'SecretRotated':
      return rotateSecret(next, event);
    case 'DeliverySucceeded': {
      // Whatever advance clears for a passed head is cleared here anyway. The most common event,
      // so replay and archive fold it most (H7, H9).
      const cursor = Math.max(state.cursor, event.data.lastId);
      next.cursor = cursor;
      next.recentFailures = stillWaiting(state.recentFailures, cursor);
      next.attempts = 0;
      next.failingFrom = null;
      next.failingSince = null;
      next.lastFailureAt = null;
      next.retryRequestedAt = null;
      next.lastAttemptAt = event.at;
      next.lastProcessedAt = event.at;
      next.delivered = state.delivered + event.data.count;
      return next;
    }
    case 'DeliveryFailed':
      return recordFailure(next, event);
    case 'RetryRequested':
      next.retryRequestedAt = event.at;
      return next;
    case 'FailuresCleared':
      next.recentFailures = [];
      return next;
    case 'QueueStalled':
      next.stallAlertSince = event.data.since;
      return next;
    case 'QueueRecovered':
      next.stallAlertSince = null;
      return next;
    case 'QueuePurged':
    case 'MessagesSkipped':
      return advance(
        next,
        event.data.ids.reduce((max, id) => Math.max(max, id), state.cursor),
      );
    default: {
      const unknown: never = event;
      throw new Error(`unknown event ${JSON.stringify(unknown)}`);
    }
  }
}

/** A state evolve may still change: only ever a fresh copy, so evolve stays pure. */
type Draft = { -readonly [K in keyof CustomerQueueState]: CustomerQueueState[K] };

/**
 * A copy of `state` built field by field. Not `{ ...state, changes }`: on Node 20 that spread
 * fell off V8's fast path for these objects and cost ~5 µs per event, most of the archive's and
 * replay's fold (H9's profile); this literal costs well under 0.1 µs. Listing every field also
 * makes the compiler name one that a new field forgot.
 */
function draftOf(state: CustomerQueueState): Draft {
  return {
    settings: state.settings,
    previousSecret: state.previousSecret,
    cursor: state.cursor,
    attempts: state.attempts,
    failingFrom: state.failingFrom,
    failingSince: state.failingSince,
    stallAlertSince: state.stallAlertSince,
    lastFailureAt: state.lastFailureAt,
    retryRequestedAt: state.retryRequestedAt,
    lastAttemptAt: state.lastAttemptAt,
    lastProcessedAt: state.lastProcessedAt,
    delivered: state.delivered,
    recentFailures: state.recentFailures,
  };
}

/** Folds a list of events onto a state (the initial one unless a snapshot is given). */
export function fold(events: Iterable<CustomerQueueEvent>, from: CustomerQueueState = initialState()) {
  let state = from;
  for (const event of events) {
    state = evolve(state, event);
  }
  return state;
}

/** Moves the cursor; a failure whose messages are now all behind the cursor is resolved. */
function advance(next: Draft, through: number): CustomerQueueState {
  const cursor = Math.max(next.cursor, through);
  const headPassed = next.failingFrom !== null && next.failingFrom <= cursor;
  next.cursor = cursor;
  next.recentFailures = stillWaiting(next.recentFailures, cursor);
  if (headPassed) {
    next.attempts = 0;
    next.failingFrom = null;
    next.failingSince = null;
    next.lastFailureAt = null;
    next.retryRequestedAt = null;
  }
  return next;
}

/** The failures with messages still after the cursor; the same (immutable) list when all are. */
function stillWaiting(failures: readonly FailureRecord[], cursor: number): readonly FailureRecord[] {
  return failures.every((failure) => failure.lastWebhookId > cursor)
    ? failures
    : failures.filter((failure) => failure.lastWebhookId > cursor);
}

function rotateSecret(next: Draft, { data }: SecretRotated): CustomerQueueState {
  if (next.settings === null) {
    return next; // the service refuses a rotation without an endpoint; a stored one changes nothing
  }
  next.settings = { ...next.settings, secretLast4: data.secretLast4 };
  next.previousSecret = { last4: data.previousSecretLast4, expiresAt: data.previousSecretExpiresAt };
  return next;
}

function recordFailure(next: Draft, { at, data }: DeliveryFailed): CustomerQueueState {
  const entry: FailureRecord = {
    webhookId: data.firstId,
    lastWebhookId: data.lastId,
    event: data.event,
    attempts: data.attempt,
    statusCode: data.statusCode,
    error: data.error,
    failedAt: at,
  };
  // One entry per waiting head: a retried (or grown) batch replaces its earlier entry.
  const others = next.recentFailures.filter((failure) => failure.webhookId !== data.firstId);
  // A retried (or grown) batch keeps its head, so the stall keeps its start.
  next.failingSince = next.failingFrom === data.firstId ? (next.failingSince ?? at) : at;
  next.attempts = data.attempt;
  next.failingFrom = data.firstId;
  next.lastFailureAt = at;
  next.retryRequestedAt = null;
  next.lastAttemptAt = at;
  next.recentFailures = [entry, ...others].slice(0, RECENT_FAILURES_LIMIT);
  return next;
}
