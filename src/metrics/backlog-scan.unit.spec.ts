import { initialState, type QueueState } from '../../libs/domain/index.js';
import type { CustomerSnapshot, SnapshotFilter } from '../../libs/event-store/index.js';
import { BacklogScan, type BacklogSource, type PendingHead } from './backlog-scan.js';

/** Customers as rows (cursor, queue, open stall alert) over a stream of messages (id -> customer, acceptedAt = id * 1000). */
function world(
  customers: Record<
    string,
    { cursor: number; queue: QueueState; alerted?: boolean; oldestPendingAt?: number | null }
  >,
  stream: Record<number, string>,
) {
  const lookups: string[] = [];
  const rows: CustomerSnapshot[] = Object.entries(customers).map(([customerId, row]) => ({
    customerId,
    version: 1,
    state: { ...initialState(), cursor: row.cursor, stallAlertSince: row.alerted === true ? 1 : null },
    pending: 1,
    queue: row.queue,
    nextAttemptAt: null,
    oldestPendingAt: row.oldestPendingAt ?? null,
    updatedAt: 0,
  }));
  const source: BacklogSource = {
    listSnapshots: (filter: SnapshotFilter) =>
      Promise.resolve(
        rows
          .filter((row) => row.queue === filter.queue)
          .filter((row) => filter.afterCustomerId === undefined || row.customerId > filter.afterCustomerId)
          .sort((a, b) => a.customerId.localeCompare(b.customerId))
          .slice(0, filter.limit),
      ),
    oldestPending: (customerId: string, afterId: number): Promise<PendingHead | null> => {
      lookups.push(customerId);
      const id = Object.keys(stream)
        .map(Number)
        .sort((a, b) => a - b)
        .find((candidate) => candidate > afterId && stream[candidate] === customerId);
      return Promise.resolve(id === undefined ? null : { id, acceptedAt: id * 1000 });
    },
  };
  return { rows, source, lookups };
}

describe('BacklogScan', () => {
  test('finds the lowest first-pending id, though its customer has not the lowest cursor', async () => {
    // acme delivered up to 5 long ago and its next message is 90; globex's cursor is 10, next 11.
    const { source } = world(
      { acme: { cursor: 5, queue: 'waiting' }, globex: { cursor: 10, queue: 'stalled', alerted: true } },
      { 11: 'globex', 90: 'acme' },
    );
    const figures = await new BacklogScan(source).figures();
    expect(figures).toEqual({ oldestPendingAt: 11_000, stallAlerted: 1 });
  });

  test('stops at the first cursor past the best id, and caches heads until the cursor moves', async () => {
    const { rows, source, lookups } = world(
      {
        a: { cursor: 1, queue: 'stalled' },
        b: { cursor: 2, queue: 'waiting' },
        c: { cursor: 50, queue: 'waiting' }, // its first pending id is above 50 > 3: never looked up
      },
      { 3: 'b', 20: 'a', 60: 'c' },
    );
    let now = 0;
    const scan = new BacklogScan(source, () => now);
    expect((await scan.figures()).oldestPendingAt).toBe(3_000);
    expect(lookups).toEqual(['a', 'b']);
    now += 1_000;
    await scan.figures();
    expect(lookups).toEqual(['a', 'b']); // nothing moved: all from the cache
    rows.find((row) => row.customerId === 'b')!.state = { ...initialState(), cursor: 3 };
    now += 1_000;
    expect((await scan.figures()).oldestPendingAt).toBe(20_000);
    expect(lookups).toEqual(['a', 'b', 'b']); // only b again; c's cursor 50 is past 20
  });

  test('a stored oldestPendingAt needs no stream look-up; only rows without one are looked up', async () => {
    const { rows, source, lookups } = world(
      {
        acme: { cursor: 5, queue: 'waiting', oldestPendingAt: 6_000 },
        globex: { cursor: 1, queue: 'stalled', oldestPendingAt: 2_000 },
        initech: { cursor: 7, queue: 'waiting' }, // a row from before the column: looked up (id 8)
      },
      { 2: 'globex', 6: 'acme', 8: 'initech' },
    );
    let now = 0;
    const scan = new BacklogScan(source, () => now);
    expect((await scan.figures()).oldestPendingAt).toBe(2_000);
    expect(lookups).toEqual(['initech']);
    // globex delivered its head; initech's next write stores the time: the oldest is acme's, no look-up.
    rows.find((row) => row.customerId === 'globex')!.oldestPendingAt = 9_000;
    rows.find((row) => row.customerId === 'initech')!.oldestPendingAt = 8_000;
    now += 1_000;
    expect((await scan.figures()).oldestPendingAt).toBe(6_000);
    expect(lookups).toEqual(['initech']);
  });

  test('a looked-up head older than every stored time is the figure', async () => {
    const { source } = world(
      {
        acme: { cursor: 5, queue: 'waiting', oldestPendingAt: 6_000 },
        initech: { cursor: 0, queue: 'stalled' },
      },
      { 1: 'initech', 6: 'acme' },
    );
    expect((await new BacklogScan(source).figures()).oldestPendingAt).toBe(1_000);
  });

  test('nothing pending: no age', async () => {
    const { source } = world({}, {});
    expect(await new BacklogScan(source).figures()).toEqual({ oldestPendingAt: null, stallAlerted: 0 });
  });
});
