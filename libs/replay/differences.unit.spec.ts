import { configured, failed, T0 } from '../domain/spec-support.js';
import { fold } from '../domain/index.js';
import type { CustomerSnapshot } from '../event-store/index.js';
import { MAX_DIFFERENCE_LINES, projectionDifferences } from './differences.js';
import { formatDifference, formatSummary } from './format.js';

const events = [configured(), failed(1, 1, 1, T0 + 1_000), failed(1, 1, 2, T0 + 31_000)];
const folded = { version: 3, state: fold(events) };
const row = (overrides: Partial<CustomerSnapshot> = {}): CustomerSnapshot => ({
  customerId: 'acme',
  version: 3,
  state: JSON.parse(JSON.stringify(folded.state)),
  pending: 1,
  queue: 'stalled',
  nextAttemptAt: null,
  oldestPendingAt: null,
  updatedAt: T0,
  ...overrides,
});

describe('projectionDifferences', () => {
  test('a row that went through JSON agrees with the fold; pending, queue and nextAttemptAt are not compared', () => {
    expect(projectionDifferences(row({ pending: 9, queue: 'waiting', nextAttemptAt: 1 }), folded)).toEqual(
      [],
    );
  });

  test('names each differing field with both values', () => {
    const stored = row({
      version: 4,
      state: { ...folded.state, cursor: 7, settings: null, recentFailures: [] },
    });
    expect(projectionDifferences(stored, folded)).toEqual([
      'version: stored 4, log 3',
      'state.cursor: stored 7, log 0',
      'state.recentFailures: stored 0 entries, log 1 entry',
      'state.settings: stored null, log {"url":"https://example.com/hook","enabled":true,"batching":false,"events":null,"authorizationHeader":true,"acceptAny2xx":false,"region":null,"secretLast4":"cret"}',
    ]);
  });

  test('a missing field reads as absent, a missing row says so', () => {
    const { delivered: _delivered, ...state } = folded.state;
    expect(projectionDifferences(row({ state: state as any }), folded)).toEqual([
      'state.delivered: stored absent, log 0',
    ]);
    expect(projectionDifferences(null, folded)).toEqual(['no stored projection (the log is at version 3)']);
  });

  test('a long list of differences is cut and counted', () => {
    const extra = Object.fromEntries(Array.from({ length: 25 }, (_, index) => [`extra${index}`, index]));
    const lines = projectionDifferences(row({ state: { ...folded.state, ...extra } }), folded);
    expect(lines).toHaveLength(MAX_DIFFERENCE_LINES + 1);
    expect(lines[0]).toBe('state.extra0: stored 0, log absent');
    expect(lines.at(-1)).toBe('… and 5 more');
  });
});

describe('format', () => {
  test('a difference names the customer, then one line per field', () => {
    expect(formatDifference({ customerId: 'acme', lines: ['state.cursor: stored 7, log 0'] })).toBe(
      'customer acme: stored projection differs from the log\n  state.cursor: stored 7, log 0',
    );
  });

  test('the summary gives counts, time and speed', () => {
    const summary = {
      events: 12_345,
      customers: 1,
      differences: 2,
      invalid: 0,
      rewritten: 2,
      elapsedMs: 250,
      eventsPerSecond: 49_380,
    };
    expect(formatSummary('rebuild', summary)).toBe(
      'replay rebuild: 12,345 events, 1 customer, 2 differences, 2 rewritten, 0 invalid events, 0.25 s, 49,380 events/s',
    );
  });
});
