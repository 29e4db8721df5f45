import type { RecordedRequest } from '../support/receiver.js';
import { checkDeliveries, type CheckInput } from './invariants.js';

let seq = 0;
/** A request for `customer` carrying `ids` (an array body when there are several), at time `at`. */
function req(customer: string, ids: number[], at: number, ok = true): RecordedRequest & { ok: boolean } {
  seq += 1;
  const body = ids.length === 1 ? { id: ids[0] } : ids.map((id) => ({ id }));
  return {
    seq,
    method: 'POST',
    path: `/${customer}`,
    headers: {},
    body: JSON.stringify(body),
    receivedAt: at,
    remoteAddress: '127.0.0.1',
    outcome: 'status',
    status: ok ? 200 : 500,
    ok,
  };
}

function check(
  requests: Array<RecordedRequest & { ok: boolean }>,
  accepted: Record<string, number[]>,
  faults: CheckInput['faults'] = [],
) {
  return checkDeliveries({
    requests,
    accepted: new Map(Object.entries(accepted)),
    succeeded: (r) => (r as RecordedRequest & { ok: boolean }).ok,
    answeredAt: (r) => r.receivedAt + 1,
    faults,
  });
}

beforeEach(() => {
  seq = 0;
});

test('a clean run: everything delivered once, in order, retries of failures are not duplicates', () => {
  const result = check(
    [req('a', [1], 10, false), req('a', [1], 20), req('a', [3, 5], 30), req('b', [2], 40)],
    {
      a: [1, 3, 5],
      b: [2],
    },
  );
  expect(result).toMatchObject({
    published: 4,
    delivered: 4,
    lost: 0,
    requests: 4,
    failedRequests: 1,
    duplicates: 0,
    orderViolations: 0,
    firstSuccessInversions: 0,
    problems: [],
  });
});

test('an accepted id never delivered is lost', () => {
  const result = check([req('a', [1], 10)], { a: [1, 2] });
  expect(result.lost).toBe(1);
  expect(result.problems).toEqual(['a: accepted 2 was never delivered']);
});

test('sending N before N-1 succeeded is an order violation, as is a gap inside a batch', () => {
  const skipped = check([req('a', [1], 10, false), req('a', [2], 20), req('a', [1], 30)], { a: [1, 2] });
  expect(skipped.orderViolations).toBe(1);
  expect(skipped.firstSuccessInversions).toBe(1);
  const gap = check([req('a', [1, 3], 10)], { a: [1, 2, 3] });
  expect(gap.orderViolations).toBe(1);
});

test('a request that arrives before the previous success was answered is a violation', () => {
  const result = check([req('a', [1], 10), req('a', [2], 10)], { a: [1, 2] });
  expect(result.orderViolations).toBe(1);
});

test('a re-send is counted; it is explained only when a fault overlaps it', () => {
  const requests = () => [req('a', [1, 2], 10), req('a', [2, 3], 1_000)];
  const unexplained = check(requests(), { a: [1, 2, 3] });
  expect(unexplained).toMatchObject({ duplicateRequests: 1, duplicates: 1, unexplainedDuplicates: 1 });
  const explained = check(requests(), { a: [1, 2, 3] }, [{ start: 500, healedAt: 600 }]);
  expect(explained).toMatchObject({ duplicates: 1, unexplainedDuplicates: 0, orderViolations: 0, lost: 0 });
});

test('ids the receiver saw without a publish ack are checked for order and counted as unconfirmed', () => {
  const result = check([req('a', [1], 10), req('a', [2], 20), req('a', [3], 30)], { a: [1, 3] });
  expect(result).toMatchObject({ unconfirmed: 1, orderViolations: 0, lost: 0, delivered: 2 });
  const outOfOrder = check([req('a', [1], 10), req('a', [3], 20), req('a', [2], 30)], { a: [1, 3] });
  expect(outOfOrder.orderViolations).toBe(1);
});
