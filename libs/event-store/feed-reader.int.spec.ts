import pg from 'pg';
import { createTestDatabase } from '../../test/support/postgres.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { until } from '../../test/support/until.js';
import { T0 } from '../domain/spec-support.js';
import { openTransactionWorld, type OpenTransactionWorld } from './open-transaction-spec-support.js';
import { FEED_START, type FeedCursor } from './store-types.js';

/**
 * The feed's order and the archive's horizon when transactions commit out of position order,
 * driven step by step: a second connection holds a transaction open while the store appends.
 */
describe('FeedReader on PostgreSQL with a transaction held open', () => {
  let world: OpenTransactionWorld;
  beforeEach(async () => {
    world = await openTransactionWorld();
  });

  afterEach(() => world.dispose());

  const cursorOf = (event: { txid: number; position: number }): FeedCursor => ({
    txid: event.txid,
    position: event.position,
  });

  test('a position taken first and committed last: the feed waits for it, then gives it first, each once', async () => {
    const first = await world.append('first');
    await world.other.query('BEGIN');
    const slow = await world.insertOnOther('slow');
    const fast = await world.append('fast');
    expect(slow).toBeGreaterThan(first);
    expect(fast).toBeGreaterThan(slow);

    // What the old lock prevented: a reader by position passes `slow`, which is still open.
    expect((await world.store.readLog(first, 10)).map((row) => row.position)).toEqual([fast]);
    // The feed gives the first event and holds the committed `fast` behind the open transaction.
    // (Waited for: an id the horizon cannot place for a moment, a session just ending, holds it back.)
    let before = await world.store.readFeed(FEED_START, 10);
    await until(
      async () => (before = await world.store.readFeed(FEED_START, 10)).events.length > 0,
      'the first event',
    );
    expect(before.events.map((event) => event.position)).toEqual([first]);
    expect(before.held).toBe(true);
    expect((await world.store.readFeed(cursorOf(before.events[0]!), 10)).events).toEqual([]);
    // Nor may a reader by position (the archive, replay) go past it yet.
    await expect(world.store.settledPosition(50)).rejects.toThrow(/open for more than 50 ms/);

    await world.other.query('COMMIT');
    expect(await world.store.settledPosition()).toBe(fast);
    const after = await world.store.readFeed(cursorOf(before.events[0]!), 10);
    expect(after.events.map((event) => event.position)).toEqual([slow, fast]);
    expect(after.held).toBe(false);
    expect((await world.store.readFeed(cursorOf(after.events[1]!), 10)).events).toEqual([]);
  });

  test('settledPosition waits on the store clock: it looks again until the timeout has passed on it, then gives up', async () => {
    const clock = new ManualClock(T0);
    const timed = await openTransactionWorld({ clock });
    try {
      await timed.append('first');
      await timed.other.query('BEGIN');
      await timed.insertOnOther('slow');
      await timed.append('fast');
      const settled = timed.store.settledPosition(50);
      settled.catch(() => undefined); // asserted below
      await until(() => clock.armed > 0, 'the first wait between looks');
      clock.advance(49);
      await until(() => clock.armed > 0, 'a second wait, 49 ms into the timeout');
      clock.advance(5); // the second look, past the timeout
      await expect(settled).rejects.toThrow(/open for more than 50 ms/);
    } finally {
      await timed.other.query('ROLLBACK');
      await timed.dispose();
    }
  });

  test('a transaction id taken first and a position taken last: the feed goes in commit order, the archive bound by position', async () => {
    await world.other.query('BEGIN');
    await world.other.query('SELECT pg_current_xact_id()');
    const fast = await world.append('fast');
    const slow = await world.insertOnOther('slow'); // a later position, in the older transaction
    await world.other.query('COMMIT');
    expect(slow).toBeGreaterThan(fast);

    await world.store.settledPosition();
    const { events } = await world.store.readFeed(FEED_START, 10);
    expect(events.map((event) => event.position)).toEqual([slow, fast]);
    // A feed that has sent only `slow` has not sent `fast`, a smaller position: the archive (a
    // position prefix) may not reach it. Once `fast` is sent, the whole log is.
    expect(await world.store.feedSentThrough(FEED_START)).toBe(fast - 1);
    expect(await world.store.feedSentThrough(cursorOf(events[0]!))).toBe(fast - 1);
    expect(await world.store.feedSentThrough(cursorOf(events[1]!))).toBe(slow);
    expect(await world.store.feedBacklog(cursorOf(events[0]!))).toBe(1);
    expect(await world.store.feedBacklog(cursorOf(events[1]!))).toBe(0);
  });

  test('events written before the migration keep their place: before every new one, in position order', async () => {
    const old = [await world.append('a'), await world.append('b')];
    await world.other.query('UPDATE "events" SET "txid" = 0'); // as the migration leaves existing rows
    const fresh = await world.append('c');
    await world.store.settledPosition();
    const { events } = await world.store.readFeed(FEED_START, 10);
    expect(events.map((event) => [event.txid === 0, event.position])).toEqual([
      [true, old[0]],
      [true, old[1]],
      [false, fresh],
    ]);
    // A checkpoint from before the migration, at position p, reads as (0, p) and resumes right after it.
    expect(
      (await world.store.readFeed({ txid: 0, position: old[0]! }, 10)).events.map((e) => e.position),
    ).toEqual([old[1], fresh]);
  });

  test('a transaction open in another database on the same server does not hold this feed back', async () => {
    const elsewhere = await createTestDatabase();
    const neighbour = new pg.Client({ connectionString: elsewhere.url });
    await neighbour.connect();
    try {
      await neighbour.query('BEGIN');
      await neighbour.query('SELECT pg_current_xact_id()'); // it holds a transaction id, as a writer does
      const mine = [await world.append('a'), await world.append('b')];
      const page = await world.store.readFeed(FEED_START, 10);
      expect(page.events.map((event) => event.position)).toEqual(mine);
      expect(page.held).toBe(false);
      expect(await world.store.settledPosition(1_000)).toBe(mine[1]);
      // The same transaction in this database does hold it back.
      const afterMine = cursorOf(page.events[1]!);
      await world.other.query('BEGIN');
      await world.other.query('SELECT pg_current_xact_id()');
      const later = await world.append('c');
      expect((await world.store.readFeed(afterMine, 10)).events).toEqual([]);
      await world.other.query('COMMIT');
      expect((await world.store.readFeed(afterMine, 10)).events.map((e) => e.position)).toEqual([later]);
    } finally {
      await neighbour.end();
      await elsewhere.drop();
    }
  });
});
