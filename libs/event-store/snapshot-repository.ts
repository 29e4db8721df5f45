import { In, MoreThan, type DataSource, type FindOptionsWhere, type Repository } from 'typeorm';
import { initialState, type QueueState } from '../domain/index.js';
import { CustomerStatusRow, parseStoredState } from './entities/customer-status.entity.js';
import type { SealedSecrets } from './secret-cipher.js';
import type { WorkLock } from './serial-lock.js';
import { chunksFor } from './sql-dialect.js';
import type { CustomerSnapshot } from './store-types.js';

/** Customers per queue state, and the pending messages of them all. */
export interface QueueSummary {
  customers: Record<QueueState, number>;
  pending: number;
}

/** Filter and keyset page for {@link SnapshotRepository.list}. */
export interface SnapshotFilter {
  queue?: QueueState;
  /** Only customers after this id (ids ascending): pass the last id of the previous page. */
  afterCustomerId?: string;
  limit: number;
}

/** The projection rows (customer_status) outside appends: loads, listings, pending counts, rebuilds. */
export class SnapshotRepository {
  private readonly rows: Repository<CustomerStatusRow>;
  private readonly loadWithSecretSql: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly lock: WorkLock,
  ) {
    this.rows = dataSource.getRepository(CustomerStatusRow);
    const param = dataSource.options.type === 'postgres' ? '$1' : '?';
    this.loadWithSecretSql =
      'SELECT s.version, s.state, s.pending, s.queue, s.next_attempt_at, s.updated_at, k.ciphertext, k.key_id,' +
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
    const snapshot: CustomerSnapshot = {
      customerId,
      version: Number(row.version),
      state: parseStoredState(row.state),
      pending: Number(row.pending),
      queue: row.queue,
      nextAttemptAt: row.next_attempt_at === null ? null : Number(row.next_attempt_at),
      updatedAt: Number(row.updated_at),
    };
    return { snapshot, sealed: sealedSecrets(row) };
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

  /** A page of snapshots in customerId order, optionally in one queue state. */
  async list(filter: SnapshotFilter): Promise<CustomerSnapshot[]> {
    const where: FindOptionsWhere<CustomerStatusRow> = {};
    if (filter.queue !== undefined) {
      where.queue = filter.queue;
    }
    if (filter.afterCustomerId !== undefined) {
      where.customerId = MoreThan(filter.afterCustomerId);
    }
    const rows = await this.lock.run(() =>
      this.rows.find({ where, order: { customerId: 'ASC' }, take: filter.limit }),
    );
    return rows.map(toSnapshot);
  }

  /**
   * Sets the pending count and queue state without an event. A customer without a row gets one at
   * version 0 (initial state), so an unconfigured customer with pending messages is listed as stalled.
   */
  async updatePending(customerId: string, pending: number, queue: QueueState): Promise<void> {
    const row: CustomerStatusRow = {
      customerId,
      version: 0,
      state: initialState(),
      pending,
      queue,
      nextAttemptAt: null,
      updatedAt: Date.now(),
    };
    await this.lock.run(() =>
      this.rows
        .createQueryBuilder()
        .insert()
        .values(row)
        .orUpdate(['pending', 'queue', 'updated_at'], ['customer_id'])
        .execute(),
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

/** A row of loadWithSealedSecret's query as the drivers return it (pg gives BIGINT as a string). */
interface RawSnapshotRow {
  version: number | string;
  state: string;
  pending: number | string;
  queue: QueueState;
  next_attempt_at: number | string | null;
  updated_at: number | string;
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
