import { configured, failed, retryRequested, succeeded, T0 } from '../domain/spec-support.js';
import { fold, type CustomerQueueEvent } from '../domain/index.js';
import type { EventStore } from './event-store.js';
import { backends, projectionAfter, type Backend } from './store-spec-support.js';
import { randomBytes } from 'node:crypto';
import { ManualClock } from '../../test/support/manual-clock.js';
import { EncryptionKeyMismatchError } from './key-check.js';
import { VersionConflictError } from './version-conflict.error.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const only = (current: string) => ({ current, previous: null });

describe.each(backends)('EventStore on %s', (_name, createBackend) => {
  let backend: Backend;
  let store: EventStore;

  beforeEach(async () => {
    backend = await createBackend();
    store = await backend.open();
  });

  afterEach(async () => {
    await store.close();
    await backend.dispose();
  });

  /** Appends one event at the customer's current version and returns the store's answer. */
  async function appendNext(customerId: string, event: CustomerQueueEvent, pending = 0) {
    const before = await store.load(customerId);
    const projection = projectionAfter([event], pending, before?.state);
    return store.append(customerId, before?.version ?? 0, [event], projection);
  }

  test('append then load: the snapshot is the fold of the events, positions come back as numbers', async () => {
    const events = [configured(), failed(1, 1, 1, T0 + 1_000), failed(1, 1, 2, T0 + 31_000)];
    const result = await store.append('acme', 0, events, projectionAfter(events, 3));

    expect(result.version).toBe(3);
    expect(result.positions).toHaveLength(3);
    result.positions.forEach((position) => expect(typeof position).toBe('number'));
    expect([...result.positions].sort((a, b) => a - b)).toEqual(result.positions);

    const snapshot = await store.load('acme');
    expect(snapshot).toMatchObject({
      customerId: 'acme',
      version: 3,
      pending: 3,
      queue: 'stalled',
      nextAttemptAt: T0 + 31_000 + 60_000,
    });
    expect(snapshot?.state).toEqual(fold(events));
    expect(typeof snapshot?.updatedAt).toBe('number');

    const stored = await store.readStream('acme', 0, 10);
    expect(stored.map(({ type, at, data }) => ({ type, at, data }))).toEqual(events);
    expect(stored.map((event) => event.schemaVersion)).toEqual([1, 2, 2]);
    expect(fold(stored as unknown as CustomerQueueEvent[])).toEqual(snapshot?.state);
    expect(await store.load('nobody')).toBeNull();
  });

  test('a wrong expected version throws VersionConflictError and writes nothing', async () => {
    await appendNext('acme', configured());
    const before = await store.load('acme');

    const attempt = store.append(
      'acme',
      0,
      [succeeded(1, 1, T0)],
      projectionAfter([succeeded(1, 1, T0)], 0),
      { secrets: only(SECRET) },
    );
    await expect(attempt).rejects.toBeInstanceOf(VersionConflictError);
    await expect(attempt).rejects.toMatchObject({ customerId: 'acme', expected: 0, actual: 1 });

    expect(await store.load('acme')).toEqual(before);
    expect(await store.readStream('acme', 0, 10)).toHaveLength(1);
    expect(await store.getSecrets('acme')).toBeNull();
    expect(store.stats.conflicts).toBe(1);
  });

  test('bad appends are refused before they are queued', async () => {
    const projection = projectionAfter([], 0);
    await expect(store.append('acme', 0, [], projection)).rejects.toThrow('no events');
    await expect(store.append('not a subject', 0, [configured()], projection)).rejects.toThrow(TypeError);
    await expect(store.append('acme', -1, [configured()], projection)).rejects.toThrow(RangeError);
    expect(store.stats.transactions).toBe(0);
  });

  test('two concurrent appends with the same expected version: exactly one wins', async () => {
    const event = configured();
    const results = await Promise.allSettled([
      store.append('acme', 0, [event], projectionAfter([event], 0)),
      store.append('acme', 0, [event], projectionAfter([event], 0)),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await store.readStream('acme', 0, 10)).toHaveLength(1);
  });

  test('two stores on one database (two processes): the second writer of a version is fenced', async () => {
    const other = await backend.open();
    try {
      const event = configured();
      const results = await Promise.allSettled([
        store.append('acme', 0, [event], projectionAfter([event], 0)),
        other.append('acme', 0, [event], projectionAfter([event], 0)),
      ]);
      expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
      const loser = results.find((result) => result.status === 'rejected');
      expect(loser?.status === 'rejected' && loser.reason).toBeInstanceOf(VersionConflictError);
      expect(await store.readStream('acme', 0, 10)).toHaveLength(1);
      expect(await other.load('acme')).toMatchObject({ version: 1 });

      // With a status row in place the second writer waits for the first, then sees its version.
      const next = retryRequested(T0 + 1);
      const again = await Promise.allSettled([
        store.append('acme', 1, [next], projectionAfter([event, next], 0)),
        other.append('acme', 1, [next], projectionAfter([event, next], 0)),
      ]);
      expect(again.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
      const fenced = again.find((result) => result.status === 'rejected');
      expect(fenced?.status === 'rejected' && fenced.reason).toMatchObject({ expected: 1, actual: 2 });
      expect(await store.readStream('acme', 0, 10)).toHaveLength(2);
    } finally {
      await other.close();
    }
  });

  test('group commit: 200 concurrent appends from 50 customers land in far fewer transactions', async () => {
    const customers = Array.from({ length: 50 }, (_, index) => `c${String(index).padStart(2, '0')}`);
    const appends = [0, 1, 2, 3].flatMap((round) =>
      customers.map((customerId) => {
        const event = round === 0 ? configured() : succeeded(round, round, T0 + round);
        return store.append(customerId, round, [event], projectionAfter([event], 0));
      }),
    );
    const results = await Promise.all(appends);

    expect(results).toHaveLength(200);
    expect(store.stats.appends).toBe(200);
    // All 200 are queued in the same tick, so they share one group (at most 500 per group).
    expect(store.stats.transactions).toBeLessThan(200);
    expect(store.stats.transactions).toBeLessThanOrEqual(2);
    for (const customerId of customers) {
      const stream = await store.readStream(customerId, 0, 10);
      expect(stream.map((event) => event.version)).toEqual([1, 2, 3, 4]);
      expect((await store.load(customerId))?.version).toBe(4);
    }
    const positions = results.flatMap((result) => result.positions);
    expect(new Set(positions).size).toBe(200);
  });

  test('an append too big for one statement is split into chunks and lands whole', async () => {
    const events = [configured(), ...Array.from({ length: 2_499 }, (_, index) => retryRequested(T0 + index))];
    const result = await store.append('big', 0, events, projectionAfter(events, 0));
    expect(result.version).toBe(2_500);
    expect(new Set(result.positions).size).toBe(2_500);
    const stream = await store.readStream('big', 2_000, 1_000);
    expect(stream.map((event) => event.version)).toEqual(
      Array.from({ length: 500 }, (_, index) => 2_001 + index),
    );
    expect(stream.map((event) => event.position)).toEqual(result.positions.slice(2_000));
  });

  test('a conflicting append in a group fails alone', async () => {
    await appendNext('stale', configured());
    const event = configured();
    const results = await Promise.allSettled([
      store.append('a', 0, [event], projectionAfter([event], 0)),
      store.append('stale', 0, [event], projectionAfter([event], 0)),
      store.append('b', 0, [event], projectionAfter([event], 0)),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(store.stats.fallbacks).toBe(0);
  });

  test('when a group transaction fails (a version taken behind our back) only the culprit fails', async () => {
    // Another process wrote version 1 of 'taken' without a status row: only the UNIQUE index knows.
    await backend.query(
      'INSERT INTO events (customer_id, version, type, data, recorded_at) VALUES (?, ?, ?, ?, ?)',
      ['taken', 1, 'RetryRequested', '{}', T0],
    );
    const event = configured();
    const results = await Promise.allSettled(
      ['a', 'taken', 'b'].map((customerId) =>
        store.append(customerId, 0, [event], projectionAfter([event], 0)),
      ),
    );
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const culprit = results[1];
    expect(culprit?.status === 'rejected' && culprit.reason).toMatchObject({
      name: 'VersionConflictError',
      customerId: 'taken',
      expected: 0,
      actual: 1,
    });
    expect(store.stats.fallbacks).toBe(1);
    expect(await store.load('taken')).toBeNull();
    expect((await store.readStream('a', 0, 10)).map((stored) => stored.version)).toEqual([1]);
  });

  test('readAll and readStream return events in position order, page by page', async () => {
    for (let round = 1; round <= 3; round += 1) {
      for (const customerId of ['x', 'y', 'z']) {
        await appendNext(customerId, round === 1 ? configured() : retryRequested(T0 + round));
      }
    }
    const pages: number[][] = [];
    let after = 0;
    for (;;) {
      const page = await store.readAll(after, 4);
      if (page.length === 0) {
        break;
      }
      pages.push(page.map((event) => event.position));
      after = page.at(-1)?.position ?? after;
    }
    expect(pages.map((page) => page.length)).toEqual([4, 4, 1]);
    const all = pages.flat();
    expect([...all].sort((a, b) => a - b)).toEqual(all);

    const everything = await store.readAll(0, 100);
    expect(everything.map((event) => `${event.customerId}${event.version}`)).toEqual([
      'x1',
      'y1',
      'z1',
      'x2',
      'y2',
      'z2',
      'x3',
      'y3',
      'z3',
    ]);
    const secondPage = await store.readStream('y', 1, 1);
    expect(secondPage).toEqual([everything[4]]);
    expect(await store.readStream('y', 3, 10)).toEqual([]);
  });

  test('readLog returns rows as stored, a corrupt one included, in position order', async () => {
    await appendNext('x', configured());
    await appendNext('y', configured());
    await appendNext('x', failed(1, 1, 1, T0 + 1));
    await backend.query(
      `UPDATE "events" SET "type" = 'Teleported', "data" = '{oops' WHERE "customer_id" = 'y'`,
    );

    const all = await store.readLog(0, 10);
    expect(
      all.map(({ customerId, version, type, schemaVersion }) => [customerId, version, type, schemaVersion]),
    ).toEqual([
      ['x', 1, 'WebhookConfigured', 1],
      ['y', 1, 'Teleported', 1],
      ['x', 2, 'DeliveryFailed', 2],
    ]);
    expect(all[1]).toMatchObject({ data: '{oops', at: T0 });
    expect(JSON.parse(all[2]!.data)).toEqual(failed(1, 1, 1, T0 + 1).data);
    expect(all.every((event) => typeof event.position === 'number' && typeof event.at === 'number')).toBe(
      true,
    );
    expect(await store.readLog(all[0]!.position, 10, 'x')).toEqual([all[2]]);
    expect(await store.readLog(all[0]!.position, 1)).toEqual([all[1]]);
  });

  test('listSnapshots filters by queue and pages by customerId', async () => {
    await appendNext('d-empty', configured(), 0);
    await appendNext('a-waiting', configured(), 2);
    await appendNext('c-waiting', configured(), 1);
    await store.append(
      'b-stalled',
      0,
      [configured(), failed(1, 1, 1, T0)],
      projectionAfter([configured(), failed(1, 1, 1, T0)], 4),
    );

    const ids = (snapshots: Array<{ customerId: string }>) =>
      snapshots.map((snapshot) => snapshot.customerId);
    expect(ids(await store.listSnapshots({ limit: 10 }))).toEqual([
      'a-waiting',
      'b-stalled',
      'c-waiting',
      'd-empty',
    ]);
    expect(ids(await store.listSnapshots({ queue: 'waiting', limit: 10 }))).toEqual([
      'a-waiting',
      'c-waiting',
    ]);
    expect(ids(await store.listSnapshots({ queue: 'waiting', limit: 1 }))).toEqual(['a-waiting']);
    expect(
      ids(await store.listSnapshots({ queue: 'waiting', afterCustomerId: 'a-waiting', limit: 1 })),
    ).toEqual(['c-waiting']);
    expect(ids(await store.listSnapshots({ afterCustomerId: 'b-stalled', limit: 10 }))).toEqual([
      'c-waiting',
      'd-empty',
    ]);
    expect(await store.listSnapshots({ queue: 'stalled', limit: 10 })).toEqual([
      expect.objectContaining({ customerId: 'b-stalled', pending: 4, nextAttemptAt: T0 + 30_000 }),
    ]);
    expect(await store.summary()).toEqual({ customers: { empty: 1, waiting: 2, stalled: 1 }, pending: 7 });
  });

  test('listSnapshots finds an id prefix and pages oldest pending first by keyset', async () => {
    const withAge = async (customerId: string, pending: number, oldestPendingAt: number | null) => {
      const event = configured();
      await store.append(customerId, 0, [event], { ...projectionAfter([event], pending), oldestPendingAt });
    };
    await withAge('acme-eu', 1, T0 + 30);
    await withAge('acme_us', 2, T0 + 10);
    await withAge('acme-de', 1, T0 + 10);
    await withAge('acmf', 1, T0 + 5);
    await withAge('ac', 0, null);
    await withAge('Acme', 1, null); // pending, but its age not known yet (a row from before ages)
    const ids = (snapshots: Array<{ customerId: string }>) =>
      snapshots.map((snapshot) => snapshot.customerId);

    // Byte order on both databases: '-' < '_' and upper case before lower case.
    expect(ids(await store.listSnapshots({ prefix: 'acme', limit: 10 }))).toEqual([
      'acme-de',
      'acme-eu',
      'acme_us',
    ]);
    expect(ids(await store.listSnapshots({ prefix: 'acme_', limit: 10 }))).toEqual(['acme_us']);
    expect(ids(await store.listSnapshots({ prefix: 'ac', afterCustomerId: 'acme-eu', limit: 10 }))).toEqual([
      'acme_us',
      'acmf',
    ]);

    const oldest = await store.listSnapshots({ order: 'oldest', queue: 'waiting', limit: 2 });
    expect(oldest.map((row) => [row.customerId, row.oldestPendingAt])).toEqual([
      ['acmf', T0 + 5],
      ['acme-de', T0 + 10],
    ]);
    const after = { afterOldestPendingAt: T0 + 10, afterCustomerId: 'acme-de' };
    expect(ids(await store.listSnapshots({ order: 'oldest', ...after, limit: 10 }))).toEqual([
      'acme_us',
      'acme-eu',
    ]);
    expect(ids(await store.listSnapshots({ order: 'oldest', prefix: 'acme', limit: 10 }))).toEqual([
      'acme-de',
      'acme_us',
      'acme-eu',
    ]);
  });

  test('the oldest pending time is kept while the writer does not know it and cleared when nothing is pending', async () => {
    const event = configured();
    await store.append('acme', 0, [event], { ...projectionAfter([event], 3), oldestPendingAt: T0 });
    const retried = retryRequested(T0 + 1);
    const state = (await store.load('acme'))?.state;
    await store.append('acme', 1, [retried], {
      ...projectionAfter([retried], 3, state),
      oldestPendingAt: null,
    });
    expect((await store.load('acme'))?.oldestPendingAt).toBe(T0);
    await store.updatePending('acme', 2, 'waiting', T0 + 7);
    expect((await store.load('acme'))?.oldestPendingAt).toBe(T0 + 7);
    await store.updatePending('acme', 2, 'waiting');
    expect((await store.load('acme'))?.oldestPendingAt).toBe(T0 + 7);
    await store.updatePending('acme', 0, 'empty', T0 + 9);
    expect((await store.load('acme'))?.oldestPendingAt).toBeNull();
    await store.updatePending('fresh', 1, 'stalled', T0 + 3);
    expect((await store.load('fresh'))?.oldestPendingAt).toBe(T0 + 3);
  });

  test('a snapshot stored before a state field existed loads with that field at its initial value', async () => {
    const event = configured();
    await store.append('acme', 0, [event], projectionAfter([event], 0), { secrets: only(SECRET) });
    const { failingSince: _a, stallAlertSince: _b, ...older } = fold([event]);
    await backend.query('UPDATE customer_status SET state = ? WHERE customer_id = ?', [
      JSON.stringify(older),
      'acme',
    ]);
    expect((await store.load('acme'))?.state).toEqual(fold([event]));
    expect((await store.loadWithSecret('acme'))?.snapshot.state).toEqual(fold([event]));
  });

  test('the secret is sealed at rest and read back decrypted', async () => {
    const event = configured();
    await store.append('acme', 0, [event], projectionAfter([event], 0), { secrets: only(SECRET) });
    expect(await store.getSecrets('acme')).toEqual(only(SECRET));
    expect(await store.getSecrets('other')).toBeNull();
    expect(await store.loadWithSecret('acme')).toEqual({
      snapshot: await store.load('acme'),
      secrets: only(SECRET),
    });
    expect(await store.loadWithSecret('other')).toBeNull();
    await store.updatePending('held', 3, 'stalled'); // a row without a secret (no endpoint yet)
    expect(await store.loadWithSecret('held')).toEqual({ snapshot: await store.load('held'), secrets: null });

    const rows = await backend.query('SELECT * FROM customer_secrets');
    expect(rows).toHaveLength(1);
    const raw = JSON.stringify(rows);
    expect(raw).not.toContain(SECRET);
    expect(raw).not.toContain(Buffer.from(SECRET).toString('base64'));
    const everywhere = JSON.stringify([
      await backend.query('SELECT * FROM events'),
      await backend.query('SELECT * FROM customer_status'),
    ]);
    expect(everywhere).not.toContain(SECRET);

    const rotated = retryRequested(T0 + 1);
    const snapshot = await store.load('acme');
    await store.append('acme', 1, [rotated], projectionAfter([rotated], 0, snapshot?.state), {
      secrets: only('whsec_second-secret-value'),
    });
    expect(await store.getSecrets('acme')).toEqual(only('whsec_second-secret-value'));
  });

  test('a rotation seals the previous secret at rest too, and the next plain write drops it', async () => {
    const NEW = 'whsec_rotated-secret-value-0001';
    const event = configured();
    await store.append('acme', 0, [event], projectionAfter([event], 0), { secrets: only(SECRET) });
    const rotation: CustomerQueueEvent = {
      type: 'SecretRotated',
      at: T0 + 1,
      data: {
        secretLast4: NEW.slice(-4),
        previousSecretLast4: SECRET.slice(-4),
        previousSecretExpiresAt: T0 + 9,
      },
    };
    const state = (await store.load('acme'))?.state;
    const both = { current: NEW, previous: { secret: SECRET, expiresAt: T0 + 9 } };
    await store.append('acme', 1, [rotation], projectionAfter([rotation], 0, state), { secrets: both });

    expect(await store.getSecrets('acme')).toEqual(both);
    expect((await store.loadWithSecret('acme'))?.secrets).toEqual(both);
    const rows = JSON.stringify(await backend.query('SELECT * FROM customer_secrets'));
    for (const secret of [SECRET, NEW]) {
      expect(rows).not.toContain(secret);
      expect(rows).not.toContain(Buffer.from(secret).toString('base64'));
    }
    expect(JSON.stringify(await backend.query('SELECT * FROM events'))).not.toContain(NEW);

    const put = configured();
    await store.append('acme', 2, [put], projectionAfter([put], 0), { secrets: only(NEW) });
    expect(await store.getSecrets('acme')).toEqual(only(NEW));
  });

  test('a previous secret that appears in the events is refused', async () => {
    const leaky = retryRequested(T0);
    const secrets = { current: SECRET, previous: { secret: 'whsec_older-secret-value', expiresAt: T0 } };
    const tainted = { ...leaky, data: {}, type: 'RetryRequested' as const };
    const projection = projectionAfter(
      [configured({ url: 'https://example.com/?k=whsec_older-secret-value' })],
      0,
    );
    await expect(store.append('acme', 0, [tainted], projection, { secrets })).rejects.toThrow(
      'must not appear',
    );
  });

  test('a secret that appears in the events is refused', async () => {
    const leaky = configured({ url: `https://example.com/hook?token=${SECRET}` });
    await expect(
      store.append('acme', 0, [leaky], projectionAfter([leaky], 0), { secrets: only(SECRET) }),
    ).rejects.toThrow('must not appear');
  });

  test('updatePending changes the count and queue without an event or a version bump', async () => {
    await appendNext('acme', configured());
    await store.updatePending('acme', 7, 'waiting');
    expect(await store.load('acme')).toMatchObject({ version: 1, pending: 7, queue: 'waiting' });
    expect(await store.readStream('acme', 0, 10)).toHaveLength(1);

    // A customer nobody configured yet gets a version-0 row, and appends still start at 0.
    await store.updatePending('fresh', 2, 'stalled');
    expect(await store.load('fresh')).toMatchObject({ version: 0, pending: 2, queue: 'stalled' });
    await appendNext('fresh', configured(), 2);
    expect(await store.load('fresh')).toMatchObject({ version: 1, queue: 'waiting' });
  });

  test('every row the store writes is stamped by its clock, not the machine time', async () => {
    await store.close();
    const clock = new ManualClock(T0 + 7_000);
    store = await backend.open({ clock });
    const stamps = async (table: string) =>
      (await backend.query(`SELECT "updated_at" FROM "${table}"`)).map((row) => Number(row.updated_at));

    const event = configured();
    await store.append('acme', 0, [event], projectionAfter([event], 1), { secrets: only(SECRET) });
    expect(await stamps('customer_status')).toEqual([T0 + 7_000]);
    expect(await stamps('customer_secrets')).toEqual([T0 + 7_000]);

    clock.advance(1_000);
    await store.updatePending('acme', 2, 'waiting');
    await store.writeCheckpoint('relay', { txid: 0, position: 1 });
    await store.commitArchiveChunk({
      afterPosition: 0,
      throughPosition: 0,
      events: 0,
      lastAt: T0,
      checkpoints: [],
    });
    expect(await stamps('customer_status')).toEqual([T0 + 8_000]);
    expect(await stamps('relay_checkpoints')).toEqual([T0 + 8_000]);
    expect(await stamps('archive_progress')).toEqual([T0 + 8_000]);
  });

  test('writeSnapshot rewrites a projection row, loadMany finds the rows that exist, ping answers', async () => {
    await appendNext('acme', configured());
    await appendNext('beta', configured());
    const snapshot = await store.load('acme');
    if (snapshot === null) {
      throw new Error('no snapshot');
    }
    await store.writeSnapshot({
      ...snapshot,
      pending: 9,
      queue: 'waiting',
      nextAttemptAt: T0,
      updatedAt: T0,
    });
    expect(await store.load('acme')).toEqual({
      ...snapshot,
      pending: 9,
      queue: 'waiting',
      nextAttemptAt: T0,
      updatedAt: T0,
    });

    const many = await store.loadMany(['acme', 'beta', 'nobody', 'acme']);
    expect([...many.keys()].sort()).toEqual(['acme', 'beta']);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  test('close waits for queued appends, and a reopened store has everything', async () => {
    const event = configured();
    const pending = store.append('acme', 0, [event], projectionAfter([event], 1), { secrets: only(SECRET) });
    await store.close();
    await expect(pending).resolves.toMatchObject({ version: 1 });
    await expect(store.append('acme', 1, [event], projectionAfter([event], 1))).rejects.toThrow('closed');

    store = await backend.open();
    expect(await store.load('acme')).toMatchObject({ version: 1, pending: 1, state: fold([event]) });
    expect(await store.getSecrets('acme')).toEqual(only(SECRET));
    expect(await store.readAll(0, 10)).toHaveLength(1);
  });

  test('another encryption key is refused at open, naming HOOKPOST_ENCRYPTION_KEY; a tool that reads no secret may open with any', async () => {
    await store.append('acme', 0, [configured()], projectionAfter([configured()], 0), {
      secrets: only(SECRET),
    });
    const otherKey = randomBytes(32);
    await expect(backend.open({ encryptionKey: otherKey })).rejects.toBeInstanceOf(
      EncryptionKeyMismatchError,
    );
    await expect(backend.open({ encryptionKey: otherKey })).rejects.toThrow(
      /^HOOKPOST_ENCRYPTION_KEY is not the key/,
    );
    const tool = await backend.open({ encryptionKey: otherKey, checkKey: false });
    await tool.close();
    // ...and did not record its key: the service's key still opens.
    const again = await backend.open();
    expect(await again.getSecrets('acme')).toEqual(only(SECRET));
    await again.close();
  });
});
