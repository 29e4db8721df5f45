import fc from 'fast-check';
import type { CustomerQueueEvent } from './events.js';
import { fold, type CustomerQueueState } from './state.js';

/** Random but plausible event sequences: ids and times only move forward. */
const eventSequence = fc
  .array(
    fc.oneof(
      fc.record({ kind: fc.constant('configured' as const), enabled: fc.boolean(), batching: fc.boolean() }),
      fc.record({ kind: fc.constant('succeeded' as const), span: fc.integer({ min: 1, max: 100 }) }),
      fc.record({ kind: fc.constant('failed' as const), span: fc.integer({ min: 1, max: 100 }) }),
      fc.record({ kind: fc.constant('retry' as const) }),
      fc.record({ kind: fc.constant('cleared' as const) }),
      fc.record({ kind: fc.constant('skipped' as const), span: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant('purged' as const), span: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant('stalled' as const) }),
      fc.record({ kind: fc.constant('recovered' as const) }),
    ),
    { maxLength: 60 },
  )
  .map((steps) => {
    let at = 1_700_000_000_000;
    let next = 1;
    let attempt = 0;
    const ids = (span: number) => Array.from({ length: span }, (_, index) => next + index);
    return steps.map((step): CustomerQueueEvent => {
      at += 1_000;
      switch (step.kind) {
        case 'configured':
          return {
            type: 'WebhookConfigured',
            at,
            data: {
              settings: {
                url: 'https://x.test/',
                enabled: step.enabled,
                batching: step.batching,
                events: null,
                authorizationHeader: true,
                acceptAny2xx: false,
                region: null,
                secretLast4: 'abcd',
              },
            },
          };
        case 'succeeded': {
          const event: CustomerQueueEvent = {
            type: 'DeliverySucceeded',
            at,
            data: {
              firstId: next,
              lastId: next + step.span - 1,
              count: step.span,
              statusCode: 200,
              durationMs: 3,
            },
          };
          next += step.span;
          attempt = 0;
          return event;
        }
        case 'failed':
          attempt += 1;
          return {
            type: 'DeliveryFailed',
            at,
            data: {
              firstId: next,
              lastId: next + step.span - 1,
              count: step.span,
              attempt,
              event: 'E',
              statusCode: null,
              error: 'reset',
              durationMs: 5,
            },
          };
        case 'retry':
          return { type: 'RetryRequested', at, data: {} };
        case 'cleared':
          return { type: 'FailuresCleared', at, data: {} };
        case 'stalled': {
          const data = { since: at - 60_000, thresholdMs: 60_000, webhookId: next, statusCode: null };
          return {
            type: 'QueueStalled',
            at,
            data: { ...data, attempts: Math.max(attempt, 1), error: 'reset' },
          };
        }
        case 'recovered':
          return { type: 'QueueRecovered', at, data: { since: at - 90_000, stalledMs: 90_000 } };
        case 'skipped':
        case 'purged': {
          const data = ids(step.span);
          next += step.span;
          attempt = 0;
          return step.kind === 'skipped'
            ? { type: 'MessagesSkipped', at, data: { ids: data, reason: 'unsubscribed' } }
            : { type: 'QueuePurged', at, data: { ids: data } };
        }
      }
    });
  });

/** The snapshot is stored as JSON in the projection row: restore it the way the store does. */
const throughStorage = (state: CustomerQueueState): CustomerQueueState =>
  JSON.parse(JSON.stringify(state)) as CustomerQueueState;

test('fold(snapshot + tail) equals fold(all events), for any split', () => {
  fc.assert(
    fc.property(eventSequence, fc.nat(), (events, splitSeed) => {
      const split = events.length === 0 ? 0 : splitSeed % (events.length + 1);
      const snapshot = throughStorage(fold(events.slice(0, split)));
      expect(fold(events.slice(split), snapshot)).toEqual(fold(events));
    }),
    { numRuns: 300 },
  );
});

test('the cursor never moves backwards and failures stay at 10 or fewer', () => {
  fc.assert(
    fc.property(eventSequence, (events) => {
      let state = fold([]);
      for (const event of events) {
        const next = fold([event], state);
        expect(next.cursor).toBeGreaterThanOrEqual(state.cursor);
        expect(next.recentFailures.length).toBeLessThanOrEqual(10);
        state = next;
      }
    }),
  );
});
