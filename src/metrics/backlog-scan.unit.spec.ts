import { initialState, type QueueState } from '../../libs/domain/index.js';
import type { CustomerSnapshot, SnapshotFilter } from '../../libs/event-store/index.js';
import { BacklogScan, type BacklogSource, type PendingHead } from './backlog-scan.js';

/** Customers as rows (cursor, queue, open stall alert) over a stream of messages (id -> customer, acceptedAt = id * 1000). */
function world(
  customers: Record<string, { cursor: number; queue: QueueState; alerted?: boolean }>,
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
    oldestPendingAt: null,
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

  test('nothing pending: no age', async () => {
    const { source } = world({}, {});
    expect(await new BacklogScan(source).figures()).toEqual({ oldestPendingAt: null, stallAlerted: 0 });
  });
});
