import { initialState } from '../domain/index.js';
import { configured, retryRequested, T0 } from '../domain/spec-support.js';
import { planGroup, type AppendRequest } from './append-plan.js';
import type { Projection } from './store-types.js';
import { VersionConflictError } from './version-conflict.error.js';

const projection = (pending: number): Projection => ({
  state: initialState(),
  pending,
  queue: pending === 0 ? 'empty' : 'stalled',
  nextAttemptAt: null,
});

function request(customerId: string, expectedVersion: number, count = 1, pending = 0): AppendRequest {
  const events = Array.from({ length: count }, (_, index) => retryRequested(T0 + index));
  return { customerId, expectedVersion, events, projection: projection(pending), secrets: undefined };
}

describe('planGroup', () => {
  test('versions follow the current one; absent customers start at 1', () => {
    const plan = planGroup([request('a', 3, 2), request('b', 0)], new Map([['a', 3]]));
    expect(plan.outcomes).toEqual([
      { accepted: true, firstVersion: 4, version: 5 },
      { accepted: true, firstVersion: 1, version: 1 },
    ]);
    expect(plan.events.map((event) => [event.customerId, event.version])).toEqual([
      ['a', 4],
      ['a', 5],
      ['b', 1],
    ]);
  });

  test('a customer twice in a group: the second append expects the version the first produces', () => {
    const plan = planGroup([request('a', 0, 2, 5), request('a', 2, 1, 4)], new Map());
    expect(plan.outcomes).toEqual([
      { accepted: true, firstVersion: 1, version: 2 },
      { accepted: true, firstVersion: 3, version: 3 },
    ]);
    expect(plan.statuses).toEqual([{ customerId: 'a', version: 3, projection: projection(4) }]);
  });

  test('a conflicting append is refused alone and the next one still sees the real version', () => {
    const plan = planGroup([request('a', 1), request('b', 0), request('a', 0)], new Map());
    const [conflict, other, next] = plan.outcomes;
    expect(conflict).toEqual({ accepted: false, error: new VersionConflictError('a', 1, 0) });
    expect(conflict?.accepted === false && conflict.error).toMatchObject({ expected: 1, actual: 0 });
    expect(other).toMatchObject({ accepted: true, version: 1 });
    expect(next).toMatchObject({ accepted: true, version: 1 });
    expect(plan.events).toHaveLength(2);
  });

  test('events keep their time in recordedAt, their schema version, and only their data as JSON', () => {
    const event = configured({}, T0 + 7);
    const plan = planGroup(
      [
        {
          customerId: 'a',
          expectedVersion: 0,
          events: [event],
          projection: projection(0),
          secrets: undefined,
        },
      ],
      new Map(),
    );
    expect(plan.events[0]).toEqual({
      customerId: 'a',
      version: 1,
      type: 'WebhookConfigured',
      data: JSON.stringify(event.data),
      recordedAt: T0 + 7,
      schemaVersion: 1,
    });
  });

  test('the last secret of a customer wins, and refused appends leave theirs out', () => {
    const sealed = (ciphertext: string) => ({ current: { ciphertext, keyId: 'k' }, previous: null });
    const plan = planGroup(
      [
        { ...request('a', 0), secrets: sealed('one') },
        { ...request('a', 1), secrets: sealed('two') },
        { ...request('b', 9), secrets: sealed('refused') },
      ],
      new Map(),
    );
    expect([...plan.secrets]).toEqual([['a', sealed('two')]]);
  });
});
