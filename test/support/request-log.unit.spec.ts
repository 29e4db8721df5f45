import { createRequestLog, type RecordedRequest } from './request-log.js';

const entry = (path: string): Omit<RecordedRequest, 'seq'> => ({
  method: 'POST',
  path,
  headers: {},
  body: '',
  receivedAt: Date.now(),
  remoteAddress: '127.0.0.1',
  outcome: 'status',
  status: 200,
});

test('numbers requests from 1 in recording order', () => {
  const log = createRequestLog();
  expect(log.record(entry('/a')).seq).toBe(1);
  expect(log.record(entry('/b')).seq).toBe(2);
  expect(log.requests.map((r) => [r.seq, r.path])).toEqual([
    [1, '/a'],
    [2, '/b'],
  ]);
});

test('waitUntil resolves at once when the predicate already holds', async () => {
  const log = createRequestLog();
  log.record(entry('/a'));
  await expect(log.waitUntil((all) => all.length === 1, 50, 'one')).resolves.toBeUndefined();
});

test('waitUntil re-checks on notify()', async () => {
  const log = createRequestLog();
  const waiting = log.waitUntil((all) => all.some((r) => r.path === '/b'), 1_000, '/b');
  log.record(entry('/a'));
  log.notify();
  log.record(entry('/b'));
  log.notify();
  await expect(waiting).resolves.toBeUndefined();
});

test('waitUntil times out naming what it waited for and what it got', async () => {
  const log = createRequestLog();
  log.record(entry('/a'));
  await expect(log.waitUntil((all) => all.length >= 3, 30, '3 request(s)')).rejects.toThrow(
    /waited 30 ms for 3 request\(s\); got 1 request\(s\):\n {2}#1 POST \/a -> 200/,
  );
});

test('waitUntil rejects with the error a predicate throws', async () => {
  const log = createRequestLog();
  const boom = new Error('boom');
  const waiting = log.waitUntil(
    (all) => {
      if (all.length > 0) {
        throw boom;
      }
      return false;
    },
    1_000,
    'x',
  );
  log.record(entry('/a'));
  log.notify();
  await expect(waiting).rejects.toBe(boom);
});
