/**
 * Builders for given/when/then tests of the rules (Emmett's DeciderSpecification style).
 * Test-only: not exported from the library's index.
 */
import { decide, type Decision, type PendingMessage } from './decide.js';
import type { CustomerQueueEvent, WebhookSettings } from './events.js';
import { defaultDeliverySettings, type DeliverySettings } from './settings.js';
import { fold, type CustomerQueueState } from './state.js';
import type { CustomerStatus } from './status.js';

export const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
export const SECOND = 1000;

export function configured(overrides: Partial<WebhookSettings> = {}, at = T0): CustomerQueueEvent {
  const settings: WebhookSettings = {
    url: 'https://example.com/hook',
    enabled: true,
    batching: false,
    events: null,
    authorizationHeader: true,
    acceptAny2xx: false,
    region: null,
    secretLast4: 'cret',
    ...overrides,
  };
  return { type: 'WebhookConfigured', at, data: { settings } };
}

/** The endpoint's secret rotated from one ending in `from` to one ending in `to`, the old one valid until `until`. */
export function secretRotated(from: string, to: string, until: number, at = T0): CustomerQueueEvent {
  return {
    type: 'SecretRotated',
    at,
    data: { secretLast4: to, previousSecretLast4: from, previousSecretExpiresAt: until },
  };
}

export function failed(firstId: number, lastId: number, attempt: number, at: number): CustomerQueueEvent {
  return {
    type: 'DeliveryFailed',
    at,
    data: {
      firstId,
      lastId,
      count: lastId - firstId + 1,
      attempt,
      event: 'CHECK_COMPLETED',
      statusCode: 500,
      error: 'HTTP 500',
      durationMs: 12,
    },
  };
}

export function succeeded(firstId: number, lastId: number, at: number): CustomerQueueEvent {
  const count = lastId - firstId + 1;
  return { type: 'DeliverySucceeded', at, data: { firstId, lastId, count, statusCode: 200, durationMs: 9 } };
}

export const retryRequested = (at: number): CustomerQueueEvent => ({ type: 'RetryRequested', at, data: {} });
export const failuresCleared = (at: number): CustomerQueueEvent => ({
  type: 'FailuresCleared',
  at,
  data: {},
});

/** Pending messages with the given ids, all of one event type unless given as [id, type] pairs. */
export function pendingIds(...items: Array<number | [number, string | null]>): PendingMessage[] {
  return items.map((item) =>
    typeof item === 'number' ? { id: item, event: 'CHECK_COMPLETED' } : { id: item[0], event: item[1] },
  );
}

/** ids from..to inclusive as pending messages. */
export function pendingRange(from: number, to: number): PendingMessage[] {
  return Array.from({ length: to - from + 1 }, (_, index) => ({
    id: from + index,
    event: 'CHECK_COMPLETED',
  }));
}

/** given(events).when(now, pending) -> the decision; .state for assertions on the fold. */
export function given(events: CustomerQueueEvent[], settings: DeliverySettings = defaultDeliverySettings) {
  const state: CustomerQueueState = fold(events);
  return {
    state,
    when: (now: number, pending: readonly PendingMessage[]): Decision =>
      decide(state, { now, pending }, settings),
  };
}

/** A status view as the API returns it: an empty queue of customer `acme`, with `overrides`. */
export const statusOf = (overrides: Partial<CustomerStatus> = {}): CustomerStatus => ({
  customerId: 'acme',
  queue: 'empty',
  pending: 0,
  enabled: true,
  lastProcessedAt: null,
  nextAttemptAt: null,
  attempts: 0,
  recentFailures: [],
  stepFailure: null,
  ...overrides,
});
