import { eventSchemaVersions, parseStoredEvent, UNKNOWN_EVENT_TYPE } from './event-schemas.js';
import type { CustomerQueueEvent } from './events.js';
import {
  configured,
  failed,
  failuresCleared,
  retryRequested,
  secretRotated,
  succeeded,
  T0,
} from './spec-support.js';
import { fold } from './state.js';

/** Stores an event the way the log does (JSON data) and reads it back at the current version. */
const roundTrip = (event: CustomerQueueEvent) =>
  parseStoredEvent(
    event.type,
    JSON.parse(JSON.stringify(event.data)),
    event.at,
    eventSchemaVersions[event.type],
  );

const skipped: CustomerQueueEvent = {
  type: 'MessagesSkipped',
  at: T0,
  data: { ids: [4, 5], reason: 'unreadable', detail: '4: not JSON' },
};
const purged: CustomerQueueEvent = { type: 'QueuePurged', at: T0, data: { ids: [6] } };

describe('parseStoredEvent', () => {
  test.each([
    configured(),
    configured({ events: ['CHECK_COMPLETED'], region: 'eu' }),
    succeeded(1, 3, T0),
    failed(4, 4, 2, T0),
    retryRequested(T0),
    failuresCleared(T0),
    purged,
    skipped,
    secretRotated('cret', 'next', T0 + 86_400_000),
  ])('accepts what the service writes: %j', (event) => {
    expect(roundTrip(event)).toEqual({ ok: true, event });
  });

  test('DeliveryFailed is at v2, every other type at v1', () => {
    expect(eventSchemaVersions).toEqual({
      QueueStalled: 1,
      QueueRecovered: 1,
      WebhookConfigured: 1,
      SecretRotated: 1,
      DeliverySucceeded: 1,
      DeliveryFailed: 2,
      RetryRequested: 1,
      FailuresCleared: 1,
      QueuePurged: 1,
      MessagesSkipped: 1,
    });
  });

  test('given a v1 DeliveryFailed without `event`, then it is upcast with event UNKNOWN and folds', () => {
    const v1 = {
      firstId: 7,
      lastId: 7,
      count: 1,
      attempt: 1,
      statusCode: 503,
      error: 'HTTP 503',
      durationMs: 4,
    };
    const parsed = parseStoredEvent('DeliveryFailed', v1, T0 + 1, 1);
    expect(parsed).toEqual({
      ok: true,
      event: { type: 'DeliveryFailed', at: T0 + 1, data: { ...v1, event: UNKNOWN_EVENT_TYPE } },
    });
    const state = fold(parsed.ok ? [configured(), parsed.event] : []);
    expect(state.recentFailures).toEqual([
      expect.objectContaining({ webhookId: 7, event: UNKNOWN_EVENT_TYPE, attempts: 1 }),
    ]);
  });

  test('a v1 DeliveryFailed that already carries `event` keeps it', () => {
    const { data } = failed(2, 2, 1, T0) as Extract<CustomerQueueEvent, { type: 'DeliveryFailed' }>;
    const parsed = parseStoredEvent('DeliveryFailed', { ...data }, T0, 1);
    expect(parsed.ok && parsed.event.data).toEqual(data);
  });

  test.each([
    [
      'DeliveryFailed',
      { ...failed(1, 1, 1, T0).data, event: undefined },
      2,
      'DeliveryFailed v2: data.event must be a string',
    ],
    [
      'DeliverySucceeded',
      { firstId: 5, lastId: 4, count: 1, statusCode: 200, durationMs: 1 },
      1,
      'data.lastId 4 is below firstId 5',
    ],
    [
      'DeliverySucceeded',
      { firstId: 1, lastId: 2, count: 3, statusCode: 200, durationMs: 1 },
      1,
      'data.count 3 exceeds',
    ],
    ['QueuePurged', { ids: [1, 'x'] }, 1, 'QueuePurged v1: data.ids[1] must be an integer >= 1, got "x"'],
    ['QueuePurged', { ids: [] }, 1, 'data.ids must be a non-empty array'],
    [
      'MessagesSkipped',
      { ids: [1], reason: 'bored' },
      1,
      'data.reason must be one of unsubscribed, unreadable',
    ],
    [
      'WebhookConfigured',
      { settings: { ...(configured().data as any).settings, url: 42 } },
      1,
      'data.settings.url must be a string',
    ],
    ['RetryRequested', null, 1, 'data must be an object, got null'],
    ['Teleported', {}, 1, 'unknown event type "Teleported"'],
    ['RetryRequested', {}, 2, 'RetryRequested v2 is newer than this Hookpost reads (up to v1)'],
    ['RetryRequested', {}, 0, 'RetryRequested has no schema version 0'],
  ])('refuses %s %j (v%d) saying why', (type, data, version, reason) => {
    const parsed = parseStoredEvent(type, data, T0, version);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toContain(reason);
  });

  test('refuses an event without a valid time', () => {
    expect(parseStoredEvent('RetryRequested', {}, Number.NaN, 1)).toEqual({
      ok: false,
      reason: 'RetryRequested: at must be epoch milliseconds, got NaN',
    });
  });
});
