import { decide } from './decide.js';
import { defaultDeliverySettings } from './settings.js';
import { configured, given, pendingIds, SECOND, T0 } from './spec-support.js';
import { statusView } from './status.js';
import { stepFailed, stepStallAlert } from './step-failure.js';
import { evolve } from './state.js';

const MINUTE = 60 * SECOND;
const settings = { ...defaultDeliverySettings, stallAlertMs: 15 * MINUTE };

describe('steps that keep failing', () => {
  const failure = stepFailed(stepFailed(null, 'database down', T0), 'still down', T0 + 30 * SECOND);

  test('an episode keeps its start, counts the steps and keeps the last error', () => {
    expect(failure).toEqual({ since: T0, count: 2, error: 'still down' });
  });

  test('the queue reads stalled with the failure while messages wait, not waiting', () => {
    const { state } = given([configured()]);
    expect(statusView('acme', state, 3, settings, failure)).toMatchObject({
      queue: 'stalled',
      stepFailure: failure,
    });
    expect(statusView('acme', state, 3, settings)).toMatchObject({ queue: 'waiting', stepFailure: null });
    expect(statusView('acme', state, 0, settings, failure).queue).toBe('empty');
  });

  test('QueueStalled is due once the steps have failed for the threshold, naming the head', () => {
    const { state } = given([configured()], settings);
    expect(stepStallAlert(state, failure, 7, T0 + 15 * MINUTE - 1, settings)).toBeNull();
    expect(stepStallAlert(state, failure, null, T0 + 15 * MINUTE, settings)).toBeNull();
    expect(stepStallAlert(state, failure, 7, T0 + 15 * MINUTE, settings)).toEqual({
      type: 'QueueStalled',
      at: T0 + 15 * MINUTE,
      data: {
        since: T0,
        thresholdMs: 15 * MINUTE,
        webhookId: 7,
        attempts: 2,
        statusCode: null,
        error: 'step failing: still down',
      },
    });
  });

  test('no alert when alerts are off, one is open, or the endpoint is paused', () => {
    const at = T0 + 20 * MINUTE;
    const { state } = given([configured()], settings);
    expect(stepStallAlert(state, failure, 7, at, { ...settings, stallAlertMs: 0 })).toBeNull();
    const alert = stepStallAlert(state, failure, 7, at, settings)!;
    expect(stepStallAlert(evolve(state, alert), failure, 7, at, settings)).toBeNull();
    expect(
      stepStallAlert(given([configured({ enabled: false })]).state, failure, 7, at, settings),
    ).toBeNull();
  });

  test('the stall lasts while steps fail (stalled, no QueueRecovered), and recovers once one gets through', () => {
    const at = T0 + 20 * MINUTE;
    const { state: before } = given([configured()], settings);
    const state = evolve(before, stepStallAlert(before, failure, 7, at, settings)!);
    expect(statusView('acme', state, 1, settings).queue).toBe('stalled');
    const pending = pendingIds(7);
    expect(decide(state, { now: at + SECOND, pending, stepFailing: true }, settings)).toEqual({
      kind: 'deliver',
      ids: [7],
      attempt: 1,
    });
    expect(decide(state, { now: at + SECOND, pending }, settings)).toEqual({
      kind: 'alert',
      event: {
        type: 'QueueRecovered',
        at: at + SECOND,
        data: { since: T0, stalledMs: 20 * MINUTE + SECOND },
      },
    });
  });
});
