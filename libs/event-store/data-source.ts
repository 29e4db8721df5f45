import { DataSource, type DataSourceOptions } from 'typeorm';
import { CustomerSecretRow } from './entities/customer-secret.entity.js';
import { CustomerStatusRow } from './entities/customer-status.entity.js';
import { EventRow } from './entities/event.entity.js';
import { EventLogMetaRow, RelayCheckpointRow } from './entities/relay-state.entity.js';
import { CreateEventStore1764000000000 } from './migrations/1764000000000-create-event-store.js';
import { AddEventSchemaVersion1764600000000 } from './migrations/1764600000000-add-event-schema-version.js';
import { AddRelayState1764700000000 } from './migrations/1764700000000-add-relay-state.js';
import { AddArchiveCheckpoints1764800000000 } from './migrations/1764800000000-add-archive-checkpoints.js';
import { AddPreviousSecret1765100000000 } from './migrations/1765100000000-add-previous-secret.js';
import { AddOldestPending1765200000000 } from './migrations/1765200000000-add-oldest-pending.js';
import { AddPartitionLeases1765300000000 } from './migrations/1765300000000-add-partition-leases.js';
import { AddRelayLeases1765400000000 } from './migrations/1765400000000-add-relay-leases.js';
import { AddCommitOrder1765500000000 } from './migrations/1765500000000-add-commit-order.js';
import { AddInstanceProcess1765600000000 } from './migrations/1765600000000-add-instance-process.js';
import type { StoreOptions } from './store-types.js';

/** See StoreOptions.idleInTransactionTimeoutMs: half the default lease. */
const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 5_000;

/** How long a SQLite write waits for another process's lock before it fails (busy_timeout). */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/** Opens the log's database and brings its schema up to date with the migrations. */
export async function openDataSource(options: StoreOptions): Promise<DataSource> {
  const common = {
    entities: [EventRow, CustomerStatusRow, CustomerSecretRow, EventLogMetaRow, RelayCheckpointRow],
    migrations: [
      CreateEventStore1764000000000,
      AddEventSchemaVersion1764600000000,
      AddRelayState1764700000000,
      AddArchiveCheckpoints1764800000000,
      AddPreviousSecret1765100000000,
      AddOldestPending1765200000000,
      AddPartitionLeases1765300000000,
      AddRelayLeases1765400000000,
      AddCommitOrder1765500000000,
      AddInstanceProcess1765600000000,
    ],
    migrationsTableName: 'event_store_migrations',
    migrationsRun: true,
    synchronize: false,
    logging: options.logging ?? false,
  } satisfies Partial<DataSourceOptions>;
  const dataSource = new DataSource(
    options.databaseUrl === undefined
      ? {
          ...common,
          type: 'better-sqlite3',
          database: options.sqlitePath ?? ':memory:',
          enableWAL: true,
          timeout: SQLITE_BUSY_TIMEOUT_MS,
          // WAL with synchronous=FULL fsyncs every commit: an acknowledged append survives an OS crash.
          prepareDatabase: (db: { pragma(source: string): unknown }) => {
            db.pragma('synchronous = FULL');
          },
        }
      : {
          ...common,
          type: 'postgres',
          url: options.databaseUrl,
          extra: {
            idle_in_transaction_session_timeout:
              options.idleInTransactionTimeoutMs ?? DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
          },
        },
  );
  return dataSource.initialize();
}
