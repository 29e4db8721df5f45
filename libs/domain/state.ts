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
  switch (event.type) {
    case 'WebhookConfigured':
      return { ...state, settings: event.data.settings, previousSecret: null };
    case 'SecretRotated':
      return rotateSecret(state, event);
    case 'DeliverySucceeded': {
      // One copy, not advance's and then this one: whatever advance clears for a passed head is
      // cleared here anyway. The most common event, so replay and archive fold it most (H7, H9).
      const cursor = Math.max(state.cursor, event.data.lastId);
      return {
        ...state,
        cursor,
        recentFailures: stillWaiting(state.recentFailures, cursor),
        attempts: 0,
        failingFrom: null,
        failingSince: null,
        lastFailureAt: null,
        retryRequestedAt: null,
        lastAttemptAt: event.at,
        lastProcessedAt: event.at,
        delivered: state.delivered + event.data.count,
      };
    }
    case 'DeliveryFailed':
      return recordFailure(state, event);
    case 'RetryRequested':
      return { ...state, retryRequestedAt: event.at };
    case 'FailuresCleared':
      return { ...state, recentFailures: [] };
    case 'QueueStalled':
      return { ...state, stallAlertSince: event.data.since };
    case 'QueueRecovered':
      return { ...state, stallAlertSince: null };
    case 'QueuePurged':
    case 'MessagesSkipped':
      return advance(
        state,
        event.data.ids.reduce((max, id) => Math.max(max, id), state.cursor),
      );
    default: {
      const unknown: never = event;
      throw new Error(`unknown event ${JSON.stringify(unknown)}`);
    }
  }
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
function advance(state: CustomerQueueState, through: number): CustomerQueueState {
  const cursor = Math.max(state.cursor, through);
  const headPassed = state.failingFrom !== null && state.failingFrom <= cursor;
  return {
    ...state,
    cursor,
    recentFailures: stillWaiting(state.recentFailures, cursor),
    ...(headPassed
      ? { attempts: 0, failingFrom: null, failingSince: null, lastFailureAt: null, retryRequestedAt: null }
      : {}),
  };
}

/** The failures with messages still after the cursor; the same (immutable) list when all are. */
function stillWaiting(failures: readonly FailureRecord[], cursor: number): readonly FailureRecord[] {
  return failures.every((failure) => failure.lastWebhookId > cursor)
    ? failures
    : failures.filter((failure) => failure.lastWebhookId > cursor);
}

function rotateSecret(state: CustomerQueueState, { data }: SecretRotated): CustomerQueueState {
  if (state.settings === null) {
    return state; // the service refuses a rotation without an endpoint; a stored one changes nothing
  }
  return {
    ...state,
    settings: { ...state.settings, secretLast4: data.secretLast4 },
    previousSecret: { last4: data.previousSecretLast4, expiresAt: data.previousSecretExpiresAt },
  };
}

function recordFailure(state: CustomerQueueState, { at, data }: DeliveryFailed): CustomerQueueState {
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
  const others = state.recentFailures.filter((failure) => failure.webhookId !== data.firstId);
  return {
    ...state,
    attempts: data.attempt,
    failingFrom: data.firstId,
    // A retried (or grown) batch keeps its head, so the stall keeps its start.
    failingSince: state.failingFrom === data.firstId ? (state.failingSince ?? at) : at,
    lastFailureAt: at,
    retryRequestedAt: null,
    lastAttemptAt: at,
    recentFailures: [entry, ...others].slice(0, RECENT_FAILURES_LIMIT),
  };
}
