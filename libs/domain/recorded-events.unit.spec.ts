import { attemptOutcome, messagesSkipped, queuePurged } from './recorded-events.js';
import { rotateTo } from './secrets.js';
import { nextAttemptAt } from './decide.js';
import { defaultDeliverySettings } from './settings.js';
import { configured, failed, T0 } from './spec-support.js';
import { fold } from './state.js';
import { projectionOf, queueState } from './status.js';

const batch = { firstId: 3, lastId: 5, count: 3, attempt: 2, event: 'ORDER.PAID' };

describe('the events the runtime records', () => {
  test('given a successful attempt without a status code, then DeliverySucceeded records 200', () => {
    const result = { ok: true, statusCode: null, durationMs: 12, error: null };
    expect(attemptOutcome(batch, result, T0)).toEqual({
      type: 'DeliverySucceeded',
      at: T0,
      data: { firstId: 3, lastId: 5, count: 3, durationMs: 12, statusCode: 200 },
    });
  });

  test('given a failed attempt without an error text, then DeliveryFailed records "failed" and the attempt', () => {
    const result = { ok: false, statusCode: null, durationMs: 7, error: null };
    expect(attemptOutcome(batch, result, T0)).toEqual({
      type: 'DeliveryFailed',
      at: T0,
      data: {
        firstId: 3,
        lastId: 5,
        count: 3,
        durationMs: 7,
        attempt: 2,
        event: 'ORDER.PAID',
        statusCode: null,
        error: 'failed',
      },
    });
  });

  test('given skipped messages, then only unreadable ones give a detail, cut at 1,000 characters', () => {
    expect(messagesSkipped([1, 2], 'unsubscribed', [], T0).data).toEqual({
      ids: [1, 2],
      reason: 'unsubscribed',
    });
    const unreadable = [
      { id: 1, reason: 'body is not valid JSON' },
      { id: 2, reason: 'x'.repeat(2_000) },
    ];
    const { detail } = messagesSkipped([1, 2], 'unreadable', unreadable, T0).data;
    expect(detail?.startsWith('1: body is not valid JSON; 2: xx')).toBe(true);
    expect(detail).toHaveLength(1_000);
  });

  test('given a purge of 25,000 ids, then three QueuePurged events list them in order', () => {
    const ids = Array.from({ length: 25_000 }, (_, index) => index + 1);
    const events = queuePurged(ids, T0);
    expect(events.map((event) => event.data.ids.length)).toEqual([10_000, 10_000, 5_000]);
    expect(events.flatMap((event) => event.data.ids)).toEqual(ids);
    expect(queuePurged([], T0)).toEqual([]);
  });

  test('given a rotation, then the new secret is current and the old one signs until the overlap ends', () => {
    const { event, secrets } = rotateTo('new-secret-0123456789', 'old-secret-9876543210', T0, 60_000);
    expect(event).toEqual({
      type: 'SecretRotated',
      at: T0,
      data: { secretLast4: '6789', previousSecretLast4: '3210', previousSecretExpiresAt: T0 + 60_000 },
    });
    expect(secrets).toEqual({
      current: 'new-secret-0123456789',
      previous: { secret: 'old-secret-9876543210', expiresAt: T0 + 60_000 },
    });
  });
});

describe('the projection an append writes', () => {
  test('given a failing head, then the row names its next attempt only while messages are pending', () => {
    const state = fold([configured(), failed(1, 1, 1, T0)]);
    const pending = projectionOf(state, 2, defaultDeliverySettings, T0);
    expect(pending).toEqual({
      state,
      pending: 2,
      queue: queueState(state, 2),
      nextAttemptAt: nextAttemptAt(state, defaultDeliverySettings),
      oldestPendingAt: T0,
    });
    expect(projectionOf(state, 0, defaultDeliverySettings, null)).toMatchObject({
      nextAttemptAt: null,
      pending: 0,
    });
  });
});
