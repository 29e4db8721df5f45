import { In, type DataSource, type Repository } from 'typeorm';
import { initialState, type QueueState } from '../domain/index.js';
import type { Clock } from '../runtime/clock.js';
import { CustomerStatusRow, parseStoredState } from './entities/customer-status.entity.js';
import { OLDEST_PENDING_UPDATE } from './group-statements.js';
import type { SealedSecrets } from './secret-cipher.js';
import type { WorkLock } from './serial-lock.js';
import { chunksFor } from './sql-dialect.js';
import type { CustomerSnapshot } from './store-types.js';

/** Customers per queue state, and the pending messages of them all. */
export interface QueueSummary {
  customers: Record<QueueState, number>;
  pending: number;
}

/** How {@link SnapshotRepository.list} orders: by id (byte order), or oldest pending message first. */
export type SnapshotOrder = 'id' | 'oldest';

/** Filter and keyset page for {@link SnapshotRepository.list}. */
export interface SnapshotFilter {
  queue?: QueueState;
  /** Only customers whose id starts with this. */
  prefix?: string;
  /** 'id' (default), or 'oldest': only customers with a known oldest pending message, oldest first. */
  order?: SnapshotOrder;
  /** Only customers after this id in the order: pass the last id of the previous page. */
  afterCustomerId?: string;
  /** With order 'oldest' (and afterCustomerId): the previous page's last `oldestPendingAt`. */
  afterOldestPendingAt?: number;
  limit: number;
}

/** Above every character of a customerId: `[prefix, prefix + PREFIX_END)` is exactly the ids with that prefix. */
const PREFIX_END = '~';

/** The projection rows (customer_status) outside appends: loads, listings, pending counts, rebuilds. */
export class SnapshotRepository {
  private readonly rows: Repository<CustomerStatusRow>;
  private readonly loadWithSecretSql: string;
  private readonly postgres: boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly lock: WorkLock,
    private readonly clock: Clock,
  ) {
    this.rows = dataSource.getRepository(CustomerStatusRow);
    this.postgres = dataSource.options.type === 'postgres';
    const param = this.postgres ? '$1' : '?';
    this.loadWithSecretSql =
      `SELECT ${STATUS_COLUMNS('s')}, k.ciphertext, k.key_id,` +
      ' k.previous_ciphertext, k.previous_key_id, k.previous_expires_at' +
      ` FROM customer_status s LEFT JOIN customer_secrets k ON k.customer_id = s.customer_id WHERE s.customer_id = ${param}`;
  }

  /**
   * One customer's snapshot and its sealed secret in one plain query (an actor's activation: two
   * TypeORM look-ups cost about twice the CPU, docs/performance.md H2). Null when it has no row.
   */
  async loadWithSealedSecret(
    customerId: string,
  ): Promise<{ snapshot: CustomerSnapshot; sealed: SealedSecrets | null } | null> {
    const rows = await this.lock.run(() =>
      this.dataSource.query<RawSnapshotRow[]>(this.loadWithSecretSql, [customerId]),
    );
    const row = rows[0];
    if (row === undefined) {
      return null;
    }
    return { snapshot: fromRawRow(row, customerId), sealed: sealedSecrets(row) };
  }

  /** One customer's snapshot, or null when it has none. */
  async load(customerId: string): Promise<CustomerSnapshot | null> {
    const row = await this.lock.run(() => this.rows.findOneBy({ customerId }));
    return row === null ? null : toSnapshot(row);
  }

  /** The snapshots of the customers that have one, keyed by customerId. */
  async loadMany(customerIds: readonly string[]): Promise<Map<string, CustomerSnapshot>> {
    const snapshots = new Map<string, CustomerSnapshot>();
    for (const chunk of chunksFor([...new Set(customerIds)], 1)) {
      const rows = await this.lock.run(() => this.rows.findBy({ customerId: In(chunk) }));
      rows.forEach((row) => snapshots.set(row.customerId, toSnapshot(row)));
    }
    return snapshots;
  }

  /**
   * A keyset page of snapshots in customerId order (bytewise, on both databases) or oldest pending
   * message first, optionally in one queue state and under an id prefix. Each form is one index
   * range (migration 1765200000000), so a page costs the same at any depth.
   */
  async list(filter: SnapshotFilter): Promise<CustomerSnapshot[]> {
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return this.postgres ? `$${params.length}` : '?';
    };
    const id = this.postgres ? '"customer_id" COLLATE "C"' : '"customer_id"';
    const where: string[] = [];
    if (filter.queue !== undefined) {
      where.push(`"queue" = ${param(filter.queue)}`);
    }
    if (filter.prefix !== undefined) {
      where.push(`${id} >= ${param(filter.prefix)} AND ${id} < ${param(filter.prefix + PREFIX_END)}`);
    }
    const oldest = filter.order === 'oldest';
    if (oldest) {
      where.push('"oldest_pending_at" IS NOT NULL');
    }
    if (filter.afterCustomerId !== undefined) {
      where.push(
        oldest
          ? `("oldest_pending_at", ${id}) > (${param(filter.afterOldestPendingAt ?? 0)}, ${param(filter.afterCustomerId)})`
          : `${id} > ${param(filter.afterCustomerId)}`,
      );
    }
    const sql =
      `SELECT "customer_id", ${STATUS_COLUMNS()} FROM "customer_status"` +
      (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY ${oldest ? `"oldest_pending_at", ${id}` : id} LIMIT ${param(filter.limit)}`;
    const rows = await this.lock.run(() =>
      this.dataSource.query<Array<RawStatusRow & { customer_id: string }>>(sql, params),
    );
    return rows.map((row) => fromRawRow(row, row.customer_id));
  }

  /**
   * Sets the pending count and queue state without an event. A customer without a row gets one at
   * version 0 (initial state), so an unconfigured customer with pending messages is listed as stalled.
   */
  async updatePending(
    customerId: string,
    pending: number,
    queue: QueueState,
    oldestPendingAt: number | null = null,
  ): Promise<void> {
    const p = this.postgres ? (index: number) => `$${index}` : () => '?';
    await this.lock.run(() =>
      this.dataSource.query(
        `INSERT INTO "customer_status" ("customer_id", "version", "state", "pending", "queue",
           "next_attempt_at", "oldest_pending_at", "updated_at")
         VALUES (${[1, 2, 3, 4, 5, 6, 7, 8].map(p).join(', ')}) ON CONFLICT ("customer_id") DO UPDATE SET
         "pending" = excluded."pending", "queue" = excluded."queue", "updated_at" = excluded."updated_at",
         ${OLDEST_PENDING_UPDATE}`,
        [
          customerId,
          0,
          JSON.stringify(initialState()),
          pending,
          queue,
          null,
          pending > 0 ? oldestPendingAt : null,
          this.clock.now(),
        ],
      ),
    );
  }

  /** Customers per queue state and pending messages in all, from the rows (metrics). */
  async summary(): Promise<QueueSummary> {
    const rows = await this.lock.run(() =>
      this.rows
        .createQueryBuilder('row')
        .select('row.queue', 'queue')
        .addSelect('COUNT(*)', 'customers')
        .addSelect('COALESCE(SUM(row.pending), 0)', 'pending')
        .groupBy('row.queue')
        .getRawMany<{ queue: QueueState; customers: string | number; pending: string | number }>(),
    );
    const summary: QueueSummary = { customers: { empty: 0, waiting: 0, stalled: 0 }, pending: 0 };
    for (const row of rows) {
      summary.customers[row.queue] = Number(row.customers);
      summary.pending += Number(row.pending);
    }
    return summary;
  }

  /** Replaces a customer's row as given (replay --rebuild). */
  async write(snapshot: CustomerSnapshot): Promise<void> {
    const row: CustomerStatusRow = { ...snapshot };
    await this.lock.run(() => this.rows.upsert(row, ['customerId']));
  }
}

/** The status columns of a plain query, optionally of a table alias. */
const STATUS_COLUMNS = (alias?: string) =>
  ['version', 'state', 'pending', 'queue', 'next_attempt_at', 'oldest_pending_at', 'updated_at']
    .map((column) => (alias === undefined ? `"${column}"` : `${alias}.${column}`))
    .join(', ');

/** The status columns as the drivers return them (pg gives BIGINT as a string). */
interface RawStatusRow {
  version: number | string;
  state: string;
  pending: number | string;
  queue: QueueState;
  next_attempt_at: number | string | null;
  oldest_pending_at: number | string | null;
  updated_at: number | string;
}

function fromRawRow(row: RawStatusRow, customerId: string): CustomerSnapshot {
  const orNull = (value: number | string | null) => (value === null ? null : Number(value));
  return {
    customerId,
    version: Number(row.version),
    state: parseStoredState(row.state),
    pending: Number(row.pending),
    queue: row.queue,
    nextAttemptAt: orNull(row.next_attempt_at),
    oldestPendingAt: orNull(row.oldest_pending_at),
    updatedAt: Number(row.updated_at),
  };
}

/** A row of loadWithSealedSecret's query. */
interface RawSnapshotRow extends RawStatusRow {
  ciphertext: string | null;
  key_id: string | null;
  previous_ciphertext: string | null;
  previous_key_id: string | null;
  previous_expires_at: number | string | null;
}

/** The sealed secrets of a `customer_secrets` row in its column names (null when it has none). */
export function sealedSecrets(row: {
  ciphertext: string | null;
  key_id: string | null;
  previous_ciphertext: string | null;
  previous_key_id: string | null;
  previous_expires_at: number | string | null;
}): SealedSecrets | null {
  if (row.ciphertext === null || row.key_id === null) {
    return null;
  }
  const previous =
    row.previous_ciphertext === null || row.previous_key_id === null || row.previous_expires_at === null
      ? null
      : {
          ciphertext: row.previous_ciphertext,
          keyId: row.previous_key_id,
          expiresAt: Number(row.previous_expires_at),
        };
  return { current: { ciphertext: row.ciphertext, keyId: row.key_id }, previous };
}

/** A plain object, not the entity instance: callers get data, not TypeORM's class. */
function toSnapshot(row: CustomerStatusRow): CustomerSnapshot {
  return { ...row };
}
