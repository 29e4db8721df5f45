import { backoffDelay } from './backoff.js';
import { defaultDeliverySettings } from './settings.js';
import {
  configured,
  failed,
  given,
  pendingIds,
  pendingRange,
  retryRequested,
  SECOND,
  succeeded,
  T0,
} from './spec-support.js';

const MINUTE = 60 * SECOND;

describe('decide: nothing to do', () => {
  test('an unconfigured customer holds its messages', () => {
    expect(given([]).when(T0, pendingIds(1))).toEqual({ kind: 'idle', reason: 'unconfigured' });
  });

  test('an empty queue is idle', () => {
    expect(given([configured()]).when(T0, [])).toEqual({ kind: 'idle', reason: 'empty' });
  });

  test('messages at or below the cursor are never chosen again', () => {
    const spec = given([configured(), succeeded(5, 5, T0)]);
    expect(spec.when(T0 + SECOND, pendingIds(3, 5))).toEqual({ kind: 'idle', reason: 'empty' });
    expect(spec.when(T0 + SECOND, pendingIds(5, 8))).toMatchObject({ kind: 'deliver', ids: [8] });
  });
});

describe('decide: batching off', () => {
  test('only the oldest undelivered message is chosen', () => {
    expect(given([configured()]).when(T0, pendingIds(5, 7, 9))).toEqual({
      kind: 'deliver',
      ids: [5],
      attempt: 1,
    });
  });

  test('nothing behind a failing head moves, through the whole schedule', () => {
    const events = [configured()];
    const noAlerts = { ...defaultDeliverySettings, stallAlertMs: 0 };
    let at = T0;
    for (let attempt = 1; attempt <= 14; attempt += 1) {
      const decision = given(events, noAlerts).when(at, pendingIds(5, 7, 9));
      expect(decision).toEqual({ kind: 'deliver', ids: [5], attempt });
      events.push(failed(5, 5, attempt, at));
      const wait = backoffDelay(attempt, defaultDeliverySettings);
      expect(given(events, noAlerts).when(at + wait - 1, pendingIds(5, 7, 9))).toEqual({
        kind: 'waitUntil',
        at: at + wait,
        reason: 'backoff',
      });
      at += wait;
    }
  });

  test('after the head succeeds the next one goes, attempts start again at 1', () => {
    const spec = given([
      configured(),
      failed(5, 5, 1, T0),
      failed(5, 5, 2, T0 + 30 * SECOND),
      succeeded(5, 5, T0 + 2 * MINUTE),
    ]);
    expect(spec.when(T0 + 2 * MINUTE, pendingIds(5, 7, 9))).toEqual({
      kind: 'deliver',
      ids: [7],
      attempt: 1,
    });
  });
});

describe('decide: batching on', () => {
  const batching = configured({ batching: true });

  test('the first 100 of 250 pending, in order', () => {
    const decision = given([batching]).when(T0, pendingRange(1, 250));
    expect(decision).toEqual({ kind: 'deliver', ids: pendingRange(1, 100).map((m) => m.id), attempt: 1 });
  });

  test('all of a partial batch when no request went out within the interval', () => {
    expect(given([batching]).when(T0, pendingRange(1, 30))).toMatchObject({
      kind: 'deliver',
      ids: pendingRange(1, 30).map((m) => m.id),
    });
  });

  test('a partial batch waits at most the interval since the last request', () => {
    const spec = given([batching, succeeded(1, 30, T0)]);
    expect(spec.when(T0 + 2 * SECOND, pendingRange(31, 40))).toEqual({
      kind: 'waitUntil',
      at: T0 + 10 * SECOND,
      reason: 'batch',
    });
    expect(spec.when(T0 + 10 * SECOND, pendingRange(31, 40))).toMatchObject({
      kind: 'deliver',
      ids: pendingRange(31, 40).map((m) => m.id),
    });
  });

  test('a full batch does not wait for the interval', () => {
    const spec = given([batching, succeeded(1, 30, T0)]);
    expect(spec.when(T0 + SECOND, pendingRange(31, 200))).toMatchObject({
      kind: 'deliver',
      ids: pendingRange(31, 130).map((m) => m.id),
    });
  });

  test('a failed batch is retried whole and grows up to 100', () => {
    const spec = given([batching, failed(1, 30, 1, T0)]);
    expect(spec.when(T0 + 29 * SECOND, pendingRange(1, 250))).toEqual({
      kind: 'waitUntil',
      at: T0 + 30 * SECOND,
      reason: 'backoff',
    });
    expect(spec.when(T0 + 30 * SECOND, pendingRange(1, 250))).toEqual({
      kind: 'deliver',
      ids: pendingRange(1, 100).map((m) => m.id),
      attempt: 2,
    });
    expect(spec.when(T0 + 30 * SECOND, pendingRange(1, 30))).toEqual({
      kind: 'deliver',
      ids: pendingRange(1, 30).map((m) => m.id),
      attempt: 2,
    });
  });

  test('the batch size comes from settings', () => {
    const settings = { ...defaultDeliverySettings, batchSize: 7 };
    expect(given([batching], settings).when(T0, pendingRange(1, 20))).toMatchObject({
      ids: [1, 2, 3, 4, 5, 6, 7],
    });
  });
});

describe('decide: Retry', () => {
  test('the next attempt is now, whatever the backoff, and the attempt count goes on', () => {
    const events = [
      configured(),
      failed(5, 5, 1, T0),
      failed(5, 5, 2, T0 + 30 * SECOND),
      failed(5, 5, 3, T0 + 90 * SECOND),
    ];
    const waiting = given(events);
    expect(waiting.when(T0 + 100 * SECOND, pendingIds(5))).toMatchObject({
      kind: 'waitUntil',
      reason: 'backoff',
    });

    const retried = given([...events, retryRequested(T0 + 100 * SECOND)]);
    expect(retried.state.attempts).toBe(3);
    expect(retried.when(T0 + 100 * SECOND, pendingIds(5))).toEqual({ kind: 'deliver', ids: [5], attempt: 4 });
  });

  test('a failed retry goes back on the schedule at the next attempt number', () => {
    const spec = given([
      configured(),
      failed(5, 5, 3, T0),
      retryRequested(T0 + SECOND),
      failed(5, 5, 4, T0 + 2 * SECOND),
    ]);
    expect(spec.when(T0 + 3 * SECOND, pendingIds(5))).toEqual({
      kind: 'waitUntil',
      at: T0 + 2 * SECOND + 240 * SECOND,
      reason: 'backoff',
    });
  });
});

describe('decide: disabled = paused', () => {
  test('nothing is chosen while disabled, and the state is kept', () => {
    const spec = given([
      configured(),
      succeeded(1, 1, T0),
      failed(2, 2, 2, T0 + SECOND),
      configured({ enabled: false }, T0 + 2 * SECOND),
    ]);
    expect(spec.when(T0 + 1_000 * MINUTE, pendingIds(2, 3))).toEqual({ kind: 'idle', reason: 'paused' });
    expect(spec.state).toMatchObject({ cursor: 1, attempts: 2, failingFrom: 2 });
  });

  test('enabling resumes where it stopped', () => {
    const spec = given([
      configured(),
      succeeded(1, 1, T0),
      configured({ enabled: false }, T0 + SECOND),
      configured({ enabled: true }, T0 + 2 * SECOND),
    ]);
    expect(spec.when(T0 + 3 * SECOND, pendingIds(2, 3))).toEqual({ kind: 'deliver', ids: [2], attempt: 1 });
  });
});

describe('decide: event-type subscription', () => {
  const subscribed = configured({ events: ['A'] });

  test('unsubscribed types at the head are skipped in order, as one run', () => {
    const pending = pendingIds([1, 'B'], [2, 'B'], [3, 'A'], [4, 'B']);
    expect(given([subscribed]).when(T0, pending)).toEqual({
      kind: 'skip',
      ids: [1, 2],
      reason: 'unsubscribed',
    });
  });

  test('a subscribed head goes first and skipped ones after it do not block', () => {
    const pending = pendingIds([1, 'A'], [2, 'B'], [3, 'A']);
    expect(given([subscribed]).when(T0, pending)).toMatchObject({ kind: 'deliver', ids: [1] });
    const afterSkip = given([
      subscribed,
      succeeded(1, 1, T0),
      { type: 'MessagesSkipped', at: T0, data: { ids: [2], reason: 'unsubscribed' } },
    ]);
    expect(afterSkip.when(T0, pending)).toMatchObject({ kind: 'deliver', ids: [3] });
  });

  test('a batch stops before a message that must be skipped', () => {
    const pending = pendingIds([1, 'A'], [2, 'A'], [3, 'B'], [4, 'A']);
    expect(given([configured({ events: ['A'], batching: true })]).when(T0, pending)).toMatchObject({
      kind: 'deliver',
      ids: [1, 2],
    });
  });

  test('a partial batch cut short by a message to skip goes at once: waiting would not let it grow', () => {
    const spec = given([configured({ batching: true }), succeeded(1, 1, T0)]);
    expect(spec.when(T0 + SECOND, pendingIds([2, 'A'], [3, null], [4, 'A']))).toMatchObject({
      kind: 'deliver',
      ids: [2],
    });
    expect(spec.when(T0 + SECOND, pendingIds([2, 'A'], [4, 'A']))).toMatchObject({
      kind: 'waitUntil',
      reason: 'batch',
    });
  });

  test('an unreadable body is skipped, not retried', () => {
    expect(given([configured()]).when(T0, pendingIds([1, null], [2, 'A']))).toEqual({
      kind: 'skip',
      ids: [1],
      reason: 'unreadable',
    });
  });

  test('unsubscribing from a failing head skips it without waiting out the backoff', () => {
    const spec = given([configured(), failed(1, 1, 4, T0), configured({ events: ['A'] }, T0 + SECOND)]);
    expect(spec.when(T0 + 2 * SECOND, pendingIds([1, 'B'], [2, 'A']))).toEqual({
      kind: 'skip',
      ids: [1],
      reason: 'unsubscribed',
    });
  });
});
