/**
 * Times the status list's queries (`GET /v1/status`) over 100,000 customer rows on PostgreSQL and
 * SQLite (numbers for docs/performance.md). Run:
 *   npx swc bench/status-list libs test/support -d /tmp/slbench --config-file .swcrc
 *   ln -sfn "$PWD/node_modules" /tmp/slbench/node_modules; echo '{"type":"module"}' > /tmp/slbench/package.json
 *   node /tmp/slbench/bench/status-list/measure.js [customers=100000]
 */
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { initialState, type QueueState } from '../../libs/domain/index.js';
import { openDataSource } from '../../libs/event-store/data-source.js';
import { noLock } from '../../libs/event-store/serial-lock.js';
import { SnapshotRepository, type SnapshotFilter } from '../../libs/event-store/snapshot-repository.js';
import { systemClock } from '../../libs/runtime/clock.js';
import { createTestDatabase } from '../../test/support/postgres.js';

const CUSTOMERS = Number(process.argv[2] ?? 100_000);
const ROUNDS = 50;
const T0 = Date.UTC(2026, 0, 1);

/** 5% stalled, 25% waiting, the rest empty; ids like cust-000042-eu so prefixes split them. */
function row(index: number): unknown[] {
  const queue: QueueState = index % 20 === 0 ? 'stalled' : index % 4 === 1 ? 'waiting' : 'empty';
  const pending = queue === 'empty' ? 0 : 1 + (index % 7);
  const oldest = queue === 'empty' ? null : T0 + ((index * 7919) % 86_400_000);
  const id = `cust-${String(index).padStart(6, '0')}-${['eu', 'us', 'ap'][index % 3]}`;
  return [id, 1, JSON.stringify(initialState()), pending, queue, null, oldest, T0];
}

async function fill(dataSource: DataSource, postgres: boolean): Promise<void> {
  const per = 1_000;
  for (let start = 0; start < CUSTOMERS; start += per) {
    const rows = Array.from({ length: Math.min(per, CUSTOMERS - start) }, (_, i) => row(start + i));
    let n = 0;
    const values = rows
      .map(() => `(${Array.from({ length: 8 }, () => (postgres ? `$${++n}` : '?')).join(', ')})`)
      .join(', ');
    await dataSource.query(
      `INSERT INTO "customer_status" ("customer_id", "version", "state", "pending", "queue",
         "next_attempt_at", "oldest_pending_at", "updated_at") VALUES ${values}`,
      rows.flat(),
    );
  }
  await dataSource.query(postgres ? 'ANALYZE "customer_status"' : 'ANALYZE');
}

async function time(repository: SnapshotRepository, filter: SnapshotFilter): Promise<string> {
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const started = performance.now();
    await repository.list(filter);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? NaN;
  return `p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms`;
}

const queries: Array<[string, SnapshotFilter]> = [
  ['first page, all, by id', { limit: 100 }],
  ['page deep in, by id', { limit: 100, afterCustomerId: 'cust-090000-eu' }],
  ['stalled, by id', { queue: 'stalled', limit: 100 }],
  ['waiting, deep page by id', { queue: 'waiting', limit: 100, afterCustomerId: 'cust-080000-eu' }],
  ['empty, first 100', { queue: 'empty', limit: 100 }],
  ['prefix cust-0421 (10 rows)', { prefix: 'cust-0421', limit: 100 }],
  ['prefix cust-04 + waiting', { prefix: 'cust-04', queue: 'waiting', limit: 100 }],
  ['stalled, oldest first', { queue: 'stalled', order: 'oldest', limit: 100 }],
  ['waiting, oldest first', { queue: 'waiting', order: 'oldest', limit: 100 }],
  [
    'waiting, oldest first, deep page',
    {
      queue: 'waiting',
      order: 'oldest',
      limit: 100,
      afterOldestPendingAt: T0 + 80_000_000,
      afterCustomerId: 'cust-000001-us',
    },
  ],
  ['all pending, oldest first (no queue)', { order: 'oldest', limit: 100 }],
  [
    'prefix cust-04 + stalled, oldest first',
    { prefix: 'cust-04', queue: 'stalled', order: 'oldest', limit: 100 },
  ],
];

const database = await createTestDatabase();
const backends: Array<[string, boolean, () => Promise<DataSource>]> = [
  ['PostgreSQL', true, () => openDataSource({ databaseUrl: database.url, encryptionKey: randomBytes(32) })],
  [
    'SQLite',
    false,
    () =>
      openDataSource({
        sqlitePath: `/tmp/status-list-${process.pid}.sqlite`,
        encryptionKey: randomBytes(32),
      }),
  ],
];
try {
  for (const [name, postgres, open] of backends) {
    const dataSource = await open();
    try {
      await fill(dataSource, postgres);
      const repository = new SnapshotRepository(dataSource, noLock, systemClock);
      console.log(`${name}, ${CUSTOMERS.toLocaleString('en')} customers:`);
      for (const [label, filter] of queries) {
        console.log(`  ${label.padEnd(42)} ${await time(repository, filter)}`);
      }
    } finally {
      await dataSource.destroy();
    }
  }
} finally {
  await database.drop();
}
