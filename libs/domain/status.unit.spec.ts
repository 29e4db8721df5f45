import { defaultDeliverySettings } from './settings.js';
import {
  configured,
  failed,
  failuresCleared,
  given,
  retryRequested,
  SECOND,
  succeeded,
  T0,
} from './spec-support.js';
import { statusView } from './status.js';

const view = (events: Parameters<typeof given>[0], pending: number) =>
  statusView('acme', given(events).state, pending, defaultDeliverySettings);

describe('status view: queue state', () => {
  test('empty when nothing is pending', () => {
    expect(view([configured(), failed(1, 1, 2, T0)], 0)).toMatchObject({
      queue: 'empty',
      nextAttemptAt: null,
    });
  });

  test('waiting when pending and going out normally', () => {
    expect(view([configured(), succeeded(1, 1, T0)], 3)).toMatchObject({
      queue: 'waiting',
      pending: 3,
      enabled: true,
      lastProcessedAt: T0,
      attempts: 0,
      nextAttemptAt: null,
    });
  });

  test('stalled when the head failed, with the next attempt from the schedule', () => {
    expect(view([configured(), failed(2, 2, 3, T0)], 3)).toMatchObject({
      queue: 'stalled',
      attempts: 3,
      nextAttemptAt: T0 + 120 * SECOND,
    });
  });

  test('stalled when disabled or never configured', () => {
    expect(view([configured({ enabled: false })], 1)).toMatchObject({ queue: 'stalled', enabled: false });
    expect(view([], 1)).toMatchObject({ queue: 'stalled', enabled: false });
  });
});

describe('status view: Retry and Refresh', () => {
  test('Retry brings the next attempt to now and keeps the attempt count', () => {
    expect(view([configured(), failed(2, 2, 6, T0), retryRequested(T0 + 5 * SECOND)], 1)).toMatchObject({
      queue: 'stalled',
      attempts: 6,
      nextAttemptAt: T0 + 5 * SECOND,
    });
  });

  test('Refresh empties the failures and leaves the queue and backoff as they were', () => {
    const before = given([configured(), failed(2, 2, 3, T0)]).state;
    const after = given([configured(), failed(2, 2, 3, T0), failuresCleared(T0 + SECOND)]).state;
    expect(before.recentFailures).toHaveLength(1);
    expect(after.recentFailures).toEqual([]);
    expect({ ...after, recentFailures: [] }).toEqual({ ...before, recentFailures: [] });
  });
});

describe('status view: recent failures', () => {
  test('at most 10, newest first', () => {
    const events = [configured({ batching: true })];
    for (let first = 1; first <= 12; first += 1) {
      events.push(failed(first, 500, 1, T0 + first * SECOND));
    }
    const failures = view(events, 500).recentFailures;
    expect(failures.map((failure) => failure.webhookId)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
    expect(failures[0]).toEqual({
      webhookId: 12,
      lastWebhookId: 500,
      event: 'CHECK_COMPLETED',
      attempts: 1,
      statusCode: 500,
      error: 'HTTP 500',
      failedAt: T0 + 12 * SECOND,
    });
  });

  test('a head that fails again replaces its entry with the new attempt count', () => {
    const failures = view(
      [configured(), failed(4, 4, 1, T0), failed(4, 4, 2, T0 + 30 * SECOND)],
      1,
    ).recentFailures;
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ webhookId: 4, attempts: 2, failedAt: T0 + 30 * SECOND });
  });

  test('an entry leaves once its messages are delivered', () => {
    const events = [configured({ batching: true }), failed(1, 100, 1, T0), failed(101, 150, 1, T0 + SECOND)];
    expect(
      view([...events, succeeded(1, 100, T0 + 2 * SECOND)], 50).recentFailures.map((f) => f.webhookId),
    ).toEqual([101]);
    expect(view([...events, succeeded(1, 150, T0 + 2 * SECOND)], 0).recentFailures).toEqual([]);
  });
});
