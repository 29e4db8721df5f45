/**
 * Test-only helpers for the event store's integration tests: one backend per database kind and
 * builders for realistic appends. Not exported from the library's index.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createTestDatabase } from '../../test/support/postgres.js';
import {
  defaultDeliverySettings,
  fold,
  initialState,
  nextAttemptAt,
  queueState,
  type CustomerQueueEvent,
  type CustomerQueueState,
} from '../domain/index.js';
import { EventStore } from './event-store.js';
import type { Projection, StoreOptions } from './store-types.js';

/** One database the suite runs against, with a raw door beside the store. */
export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** Opens a store on this backend's database (the same database on every call). */
  open(overrides?: Partial<StoreOptions>): Promise<EventStore>;
  /** Raw SQL through the driver, bypassing the store; `?` placeholders on both kinds. */
  query(sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  /** Deletes the database. */
  dispose(): Promise<void>;
}

/** The key used by every store in a test run, so a reopened store can read its secrets. */
export const testKey = randomBytes(32);

/** A fresh SQLite file in a temp dir. */
export function sqliteBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), 'hookpost-event-store-'));
  const sqlitePath = join(dir, 'events.db');
  return Promise.resolve({
    name: 'sqlite',
    open: (overrides = {}) => EventStore.open({ sqlitePath, encryptionKey: testKey, ...overrides }),
    query: (sql, params = []) => {
      const db = new Database(sqlitePath, { timeout: 5_000 });
      try {
        const statement = db.prepare(sql);
        if (!statement.reader) {
          statement.run(...params);
          return Promise.resolve([]);
        }
        return Promise.resolve(statement.all(...params) as Array<Record<string, unknown>>);
      } finally {
        db.close();
      }
    },
    dispose: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  });
}

/** A fresh PostgreSQL database from the shared test helper. */
export async function postgresBackend(): Promise<Backend> {
  const database = await createTestDatabase();
  return {
    name: 'postgres',
    open: (overrides = {}) =>
      EventStore.open({ databaseUrl: database.url, encryptionKey: testKey, ...overrides }),
    query: async (sql, params = []) => {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        let index = 0;
        const result = await client.query(
          sql.replace(/\?/g, () => `$${++index}`),
          params,
        );
        return result.rows as Array<Record<string, unknown>>;
      } finally {
        await client.end();
      }
    },
    dispose: () => database.drop(),
  };
}

/** The backends every parameterised suite runs on. */
export const backends = [
  ['sqlite', sqliteBackend],
  ['postgres', postgresBackend],
] as const;

/** The projection a real actor would write after `events`, on top of `from`. */
export function projectionAfter(
  events: readonly CustomerQueueEvent[],
  pending: number,
  from: CustomerQueueState = initialState(),
): Projection {
  const state = fold(events, from);
  return {
    state,
    pending,
    queue: queueState(state, pending),
    nextAttemptAt: pending > 0 ? nextAttemptAt(state, defaultDeliverySettings) : null,
  };
}

/** Appends each event alone, with the projection an actor would write (pending as given). */
export async function recordEach(
  store: EventStore,
  customerId: string,
  events: readonly CustomerQueueEvent[],
  pending = 0,
): Promise<void> {
  for (const event of events) {
    const before = await store.load(customerId);
    await store.append(
      customerId,
      before?.version ?? 0,
      [event],
      projectionAfter([event], pending, before?.state),
    );
  }
}
