import type { CustomerQueueEvent } from './events.js';
import { defaultDeliverySettings } from './settings.js';
import { configured, failed, given, pendingIds, SECOND, succeeded, T0 } from './spec-support.js';
import { evolve } from './state.js';

const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const settings = { ...defaultDeliverySettings, stallAlertMs: 15 * MINUTE };
const failingHead = () => [configured(), failed(5, 5, 1, T0), failed(5, 5, 2, T0 + 30 * SECOND)];

describe('stall alerts', () => {
  test('a head failing for less than the threshold waits for the alert time when it comes first', () => {
    // attempts 1..5 at T0, +30 s, +1.5 min, +3.5 min, +7.5 min; the 6th is due at +15.5 min
    const events = [configured()];
    let at = T0;
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      events.push(failed(5, 5, attempt, at));
      at += defaultDeliverySettings.backoffBaseMs * 2 ** (attempt - 1);
    }
    expect(given(events, settings).when(T0 + 14 * MINUTE, pendingIds(5))).toEqual({
      kind: 'waitUntil',
      at: T0 + 15 * MINUTE,
      reason: 'stallAlert',
    });
  });

  test('once the head has failed for the threshold, QueueStalled is recorded before anything else', () => {
    const decision = given(failingHead(), settings).when(T0 + 15 * MINUTE, pendingIds(5, 6));
    expect(decision).toEqual({
      kind: 'alert',
      event: {
        type: 'QueueStalled',
        at: T0 + 15 * MINUTE,
        data: {
          since: T0,
          thresholdMs: 15 * MINUTE,
          webhookId: 5,
          attempts: 2,
          statusCode: 500,
          error: 'HTTP 500',
        },
      },
    });
  });

  test('QueueStalled is recorded once per episode: afterwards the head waits its backoff', () => {
    const events = failingHead();
    const stalled = given(events, settings).when(T0 + 15 * MINUTE, pendingIds(5));
    if (stalled.kind !== 'alert') {
      throw new Error(`expected an alert, got ${stalled.kind}`);
    }
    events.push(stalled.event, failed(5, 5, 3, T0 + 16 * MINUTE));
    const later = given(events, settings).when(T0 + 17 * MINUTE, pendingIds(5));
    expect(later).toEqual({ kind: 'waitUntil', at: T0 + 16 * MINUTE + 2 * MINUTE, reason: 'backoff' });
  });

  test('when the stalled head is delivered, QueueRecovered is recorded once with how long it lasted', () => {
    const stalled: CustomerQueueEvent = {
      type: 'QueueStalled',
      at: T0 + 15 * MINUTE,
      data: { since: T0, thresholdMs: 15 * MINUTE, webhookId: 5, attempts: 2, statusCode: 500, error: 'x' },
    };
    const events = [...failingHead(), stalled, succeeded(5, 5, T0 + 20 * MINUTE)];
    const decision = given(events, settings).when(T0 + 20 * MINUTE, pendingIds(5, 6));
    expect(decision).toEqual({
      kind: 'alert',
      event: { type: 'QueueRecovered', at: T0 + 20 * MINUTE, data: { since: T0, stalledMs: 20 * MINUTE } },
    });
    if (decision.kind !== 'alert') {
      throw new Error('expected an alert');
    }
    const after = given([...events, decision.event], settings);
    expect(after.state.stallAlertSince).toBeNull();
    expect(after.when(T0 + 20 * MINUTE, pendingIds(6))).toEqual({ kind: 'deliver', ids: [6], attempt: 1 });
  });

  test('a head that fails and then succeeds within the threshold records no alert at all', () => {
    const events = [...failingHead(), succeeded(5, 5, T0 + 2 * MINUTE)];
    expect(given(events, settings).when(T0 + 20 * MINUTE, pendingIds(6))).toEqual({
      kind: 'deliver',
      ids: [6],
      attempt: 1,
    });
  });

  test('the stall starts at the first failure of a head; a retried batch that grows keeps it', () => {
    const state = [configured({ batching: true }), failed(5, 9, 1, T0), failed(5, 12, 2, T0 + MINUTE)].reduce(
      evolve,
      given([]).state,
    );
    expect(state.failingSince).toBe(T0);
    const next = [succeeded(5, 12, T0 + 2 * MINUTE), failed(13, 13, 1, T0 + 3 * MINUTE)].reduce(
      evolve,
      state,
    );
    expect(next.failingSince).toBe(T0 + 3 * MINUTE);
  });

  test('a paused queue and alerts set to 0 record no QueueStalled', () => {
    const paused = [...failingHead(), configured({ enabled: false }, T0 + MINUTE)];
    expect(given(paused, settings).when(T0 + HOUR, pendingIds(5))).toEqual({
      kind: 'idle',
      reason: 'paused',
    });
    const off = { ...settings, stallAlertMs: 0 };
    expect(given(failingHead(), off).when(T0 + HOUR, pendingIds(5))).toMatchObject({ kind: 'deliver' });
  });
});
