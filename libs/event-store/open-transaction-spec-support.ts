/**
 * Test-only: a PostgreSQL store with a second connection beside it, which can hold a transaction
 * open while the store appends (to make transactions commit out of position order on purpose).
 */
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { configured, T0 } from '../domain/spec-support.js';
import { eventSchemaVersions } from '../domain/index.js';
import { EventStore } from './event-store.js';
import { projectionAfter, testKey } from './store-spec-support.js';
import type { StoreOptions } from './store-types.js';

export interface OpenTransactionWorld {
  readonly store: EventStore;
  /** The second connection: BEGIN / COMMIT on it by hand. */
  readonly other: pg.Client;
  /** Appends one event for a new customer through the store; returns its position. */
  append(customerId: string): Promise<number>;
  /** Inserts one event on the other connection (inside its transaction, if open); returns its position. */
  insertOnOther(customerId: string): Promise<number>;
  dispose(): Promise<void>;
}

export async function openTransactionWorld(
  options: Partial<StoreOptions> = {},
): Promise<OpenTransactionWorld> {
  const database: TestDatabase = await createTestDatabase();
  const store = await EventStore.open({ databaseUrl: database.url, encryptionKey: testKey, ...options });
  const other = new pg.Client({ connectionString: database.url });
  await other.connect();
  return {
    store,
    other,
    async append(customerId) {
      const event = configured({}, T0);
      const { positions } = await store.append(customerId, 0, [event], projectionAfter([event], 0));
      return positions[0]!;
    },
    async insertOnOther(customerId) {
      const { rows } = await other.query<{ position: string }>(
        `INSERT INTO "events" ("customer_id", "version", "type", "data", "recorded_at", "schema_version")
         VALUES ($1, 1, 'WebhookConfigured', $2, $3, $4) RETURNING "position"`,
        [customerId, JSON.stringify(configured().data), T0, eventSchemaVersions.WebhookConfigured],
      );
      return Number(rows[0]!.position);
    },
    async dispose() {
      await other.end();
      await store.close();
      await database.drop();
    },
  };
}
