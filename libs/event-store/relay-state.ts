import { randomUUID } from 'node:crypto';
import type { DataSource, Repository } from 'typeorm';
import { EventLogMetaRow, RelayCheckpointRow } from './entities/relay-state.entity.js';
import type { WorkLock } from './serial-lock.js';
import { FEED_START, type FeedCursor } from './store-types.js';

const LOG_ID_KEY = 'log-id';

/** The log's identity and the relays' checkpoints. */
export class RelayState {
  private readonly meta: Repository<EventLogMetaRow>;
  private readonly checkpoints: Repository<RelayCheckpointRow>;
  private cachedLogId: string | null = null;

  constructor(
    dataSource: DataSource,
    private readonly lock: WorkLock,
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

  async saveCheckpoint(name: string, { txid, position }: FeedCursor): Promise<void> {
    await this.lock.run(() =>
      this.checkpoints.upsert({ name, txid, position, updatedAt: Date.now() }, { conflictPaths: ['name'] }),
    );
  }
}
