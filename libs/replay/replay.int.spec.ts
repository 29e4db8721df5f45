import { configured, failed, retryRequested, succeeded, T0 } from '../domain/spec-support.js';
import { defaultDeliverySettings, UNKNOWN_EVENT_TYPE, type CustomerQueueEvent } from '../domain/index.js';
import type { EventStore } from '../event-store/index.js';
import { backends, recordEach, type Backend } from '../event-store/store-spec-support.js';
import { rebuild, statusAsOf, verify } from './index.js';

const rebuildSettings = { delivery: defaultDeliverySettings, now: () => T0 + 100_000 };

describe.each(backends)('replay on %s', (_name, createBackend) => {
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

  const record = (customerId: string, events: CustomerQueueEvent[], pending = 1) =>
    recordEach(store, customerId, events, pending);

  async function givenTwoCustomers() {
    await record('acme', [configured(), failed(1, 1, 1, T0 + 1_000), succeeded(1, 1, T0 + 31_000)], 0);
    await record('globex', [configured(), failed(3, 3, 1, T0 + 2_000), retryRequested(T0 + 3_000)], 2);
    await store.updatePending('initech', 4, 'stalled'); // a row at version 0, no events
  }

  test('verify agrees with projections written by appends', async () => {
    await givenTwoCustomers();
    const progress: number[] = [];
    const report = await verify(store, { pageSize: 2, onProgress: ({ events }) => progress.push(events) });
    expect(report.differences).toEqual([]);
    expect(report.invalid).toEqual([]);
    expect(report.summary).toMatchObject({ events: 6, customers: 3, differences: 0, invalid: 0 });
    expect(progress).toEqual([2, 4, 6, 6]);
  });

  test('a corrupted row is named with its field; rebuild rewrites it and keeps pending', async () => {
    await givenTwoCustomers();
    const [row] = await backend.query('SELECT "state" FROM "customer_status" WHERE "customer_id" = ?', [
      'globex',
    ]);
    const state = { ...JSON.parse(String(row?.state)), cursor: 99 };
    await backend.query('UPDATE "customer_status" SET "state" = ? WHERE "customer_id" = ?', [
      JSON.stringify(state),
      'globex',
    ]);

    const report = await verify(store);
    expect(report.differences).toEqual([{ customerId: 'globex', lines: ['state.cursor: stored 99, log 0'] }]);
    expect((await verify(store, { customerId: 'acme' })).differences).toEqual([]);

    const rebuilt = await rebuild(store, rebuildSettings);
    expect(rebuilt.summary).toMatchObject({ differences: 1, rewritten: 1 });
    expect((await verify(store)).differences).toEqual([]);
    expect(await store.load('globex')).toMatchObject({
      version: 3,
      pending: 2,
      queue: 'stalled',
      nextAttemptAt: T0 + 3_000,
    });
  });

  test('a customer in the log without a row is a difference, and rebuild creates its row', async () => {
    await givenTwoCustomers();
    await backend.query('DELETE FROM "customer_status" WHERE "customer_id" = ?', ['acme']);
    expect((await verify(store)).differences).toEqual([
      { customerId: 'acme', lines: ['no stored projection (the log is at version 3)'] },
    ]);
    await rebuild(store, rebuildSettings);
    expect(await store.load('acme')).toMatchObject({ version: 3, pending: 0, queue: 'empty' });
  });

  test('an event that fails its schema is reported with its position and its customer is left alone', async () => {
    await givenTwoCustomers();
    await backend.query('UPDATE "events" SET "data" = ? WHERE "customer_id" = ? AND "version" = 2', [
      '{"firstId":"one"}',
      'acme',
    ]);
    const [bad] = await backend.query(
      'SELECT "position" FROM "events" WHERE "customer_id" = ? AND "version" = 2',
      ['acme'],
    );
    const report = await rebuild(store, rebuildSettings);
    expect(report.invalid).toEqual([
      {
        position: Number(bad?.position),
        customerId: 'acme',
        version: 2,
        type: 'DeliveryFailed',
        reason: 'DeliveryFailed v2: data.firstId must be an integer >= 1, got "one"',
      },
    ]);
    expect(report.broken).toEqual(['acme']);
    expect(report.summary).toMatchObject({ invalid: 1, rewritten: 0 });
  });

  test('a v1 DeliveryFailed without `event` is upcast, not refused', async () => {
    await givenTwoCustomers();
    const { event: _dropped, ...v1 } = failed(3, 3, 1, T0 + 2_000).data as Record<string, unknown>;
    await backend.query(
      'UPDATE "events" SET "data" = ?, "schema_version" = 1 WHERE "customer_id" = ? AND "version" = 2',
      [JSON.stringify(v1), 'globex'],
    );
    const report = await statusAsOf(store, T0 + 2_500, defaultDeliverySettings, { customerId: 'globex' });
    expect(report.invalid).toEqual([]);
    expect(report.customers[0]?.recentFailures[0]?.event).toBe(UNKNOWN_EVENT_TYPE);
  });

  test('as-of shows the status before and after a failure', async () => {
    await givenTwoCustomers();
    const before = await statusAsOf(store, T0 + 500, defaultDeliverySettings);
    expect(
      before.customers.map(({ customerId, attempts, cursor }) => ({ customerId, attempts, cursor })),
    ).toEqual([
      { customerId: 'acme', attempts: 0, cursor: 0 },
      { customerId: 'globex', attempts: 0, cursor: 0 },
    ]);
    const during = await statusAsOf(store, T0 + 1_000, defaultDeliverySettings);
    expect(during.customers[0]).toMatchObject({
      customerId: 'acme',
      attempts: 1,
      failingFrom: 1,
      nextAttemptAt: T0 + 31_000,
    });
    expect(during.customers[1]).toMatchObject({ customerId: 'globex', version: 1, attempts: 0 });
    const after = await statusAsOf(store, T0 + 40_000, defaultDeliverySettings);
    expect(after.customers[0]).toMatchObject({ attempts: 0, cursor: 1, delivered: 1, recentFailures: [] });
  });
});
