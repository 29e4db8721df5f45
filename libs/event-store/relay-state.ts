import { randomUUID } from 'node:crypto';
import type { DataSource, Repository } from 'typeorm';
import { StaleRelayEpochError, type RelayFence } from '../domain/index.js';
import type { Clock } from '../runtime/clock.js';
import { EventLogMetaRow, RelayCheckpointRow } from './entities/relay-state.entity.js';
import type { WorkLock } from './serial-lock.js';
import type { SqlDialect } from './sql-dialect.js';
import { FEED_START, type FeedCursor } from './store-types.js';

const LOG_ID_KEY = 'log-id';

/** The log's identity and the relays' checkpoints. */
export class RelayState {
  private readonly meta: Repository<EventLogMetaRow>;
  private readonly checkpoints: Repository<RelayCheckpointRow>;
  private cachedLogId: string | null = null;

  constructor(
    dataSource: DataSource,
    private readonly dialect: SqlDialect,
    private readonly lock: WorkLock,
    private readonly clock: Clock,
  ) {
    this.meta = dataSource.getRepository(EventLogMetaRow);
    this.checkpoints = dataSource.getRepository(RelayCheckpointRow);
  }

  /** A random id made once per database; processes racing to make it all read the winner's. */
  async logId(): Promise<string> {
    if (this.cachedLogId !== null) {
      return this.cachedLogId;
    }
    const row = await this.lock.run(async () => {
      await this.meta
        .createQueryBuilder()
        .insert()
        .values({ key: LOG_ID_KEY, value: randomUUID() })
        .orIgnore()
        .execute();
      return this.meta.findOneByOrFail({ key: LOG_ID_KEY });
    });
    this.cachedLogId = row.value;
    return row.value;
  }

  /** The relay's last acknowledged feed cursor; the feed's start when it has none. */
  async checkpoint(name: string): Promise<FeedCursor> {
    const row = await this.lock.run(() => this.checkpoints.findOneBy({ name }));
    return row === null ? FEED_START : { txid: row.txid, position: row.position };
  }

  /**
   * Records the cursor. With a `fence` (the relay lease, PostgreSQL) the lease row's epoch is read
   * key-share locked in the same transaction and the write is refused with StaleRelayEpochError
   * when it moved on: a relay that lost its lease (paused, cut off) never moves the cursor, and a
   * taker's `FOR UPDATE` cannot bump the epoch between the check and the commit.
   */
  async saveCheckpoint(name: string, { txid, position }: FeedCursor, fence?: RelayFence): Promise<void> {
    const row = { name, txid, position, updatedAt: this.clock.now() };
    if (fence === undefined) {
      await this.lock.run(() => this.checkpoints.upsert(row, { conflictPaths: ['name'] }));
      return;
    }
    await this.lock.run(() =>
      this.dialect.writeTransaction(async (manager) => {
        const [lease] = await manager.query<Array<{ epoch: string }>>(
          `SELECT "epoch" FROM "relay_leases" WHERE "namespace" = ${this.dialect.list(1)}${this.dialect.shareRows}`,
          [fence.namespace],
        );
        if (lease === undefined || Number(lease.epoch) !== fence.epoch) {
          throw new StaleRelayEpochError(fence);
        }
        await manager.getRepository(RelayCheckpointRow).upsert(row, { conflictPaths: ['name'] });
      }),
    );
  }
}
