import type { DataSource, Repository } from 'typeorm';
import type { CustomerQueueEvent, EndpointSecrets, Fence, QueueState, RelayFence } from '../domain/index.js';
import { checkAppend, refuseLeakedSecret } from './append-checks.js';
import { ArchiveState } from './archive-state.js';
import type { AppendRequest } from './append-plan.js';
import { AppendWriter } from './append-writer.js';
import { openDataSource } from './data-source.js';
import { CustomerSecretRow } from './entities/customer-secret.entity.js';
import { EventReader } from './event-reader.js';
import { FeedReader } from './feed-reader.js';
import { GroupCommit } from './group-commit.js';
import { checkEncryptionKey } from './key-check.js';
import { OwnConnectionPing } from './own-connection-ping.js';
import { SecretCipher, type SealedSecrets } from './secret-cipher.js';
import { RelayState } from './relay-state.js';
import { noLock, SerialLock, type WorkLock } from './serial-lock.js';
import {
  sealedSecrets,
  SnapshotRepository,
  type QueueSummary,
  type SnapshotFilter,
} from './snapshot-repository.js';
import { sqlDialect } from './sql-dialect.js';
import { systemClock } from '../runtime/clock.js';
import { compactEvents, type CompactionReport, type ReindexMode } from './events-compaction.js';
import type {
  AppendResult,
  ArchiveCheckpoint,
  ArchiveChunk,
  ArchiveProgress,
  CustomerSnapshot,
  FeedCursor,
  FeedEvent,
  FeedPage,
  Projection,
  RawStoredEvent,
  StoreOptions,
  StoredEvent,
  StoreStats,
} from './store-types.js';

/** Most appends in one group transaction; more wait for the next one. */
const MAX_GROUP_SIZE = 500;

/**
 * The event log of every customer queue, with its inline projections (status rows) and sealed
 * webhook secrets. Appends are group-committed; restart loads the status row instead of replaying.
 */
export class EventStore {
  private closed = false;
  private readonly committedListeners = new Set<() => void>();

  private constructor(
    private readonly dataSource: DataSource,
    private readonly lock: WorkLock,
    private readonly cipher: SecretCipher,
    private readonly writer: AppendWriter,
    private readonly appends: GroupCommit<AppendRequest, AppendResult>,
    private readonly events: EventReader,
    private readonly feed: FeedReader,
    private readonly snapshots: SnapshotRepository,
    private readonly secrets: Repository<CustomerSecretRow>,
    private readonly relayState: RelayState,
    private readonly archive: ArchiveState,
    /** PostgreSQL's health ping, on its own connection; null on SQLite (one connection, no pool). */
    private readonly ownPing: OwnConnectionPing | null,
  ) {}

  /** Opens the database (PostgreSQL when databaseUrl is set, else SQLite) and migrates its schema. */
  static async open(options: StoreOptions): Promise<EventStore> {
    const cipher = new SecretCipher(options.encryptionKey); // a bad key fails before any connection
    const dataSource = await openDataSource(options);
    const lock = dataSource.options.type === 'postgres' ? noLock : new SerialLock();
    const dialect = sqlDialect(dataSource);
    if (options.checkKey ?? true) {
      try {
        await checkEncryptionKey(dataSource, dialect, lock, cipher.keyId);
      } catch (error) {
        await dataSource.destroy();
        throw error;
      }
    }
    const clock = options.clock ?? systemClock;
    const writer = new AppendWriter(dataSource, dialect, lock, clock);
    const appends = new GroupCommit(writer.writeGroup, {
      maxWaitMs: options.groupCommitMaxWaitMs ?? 0,
      maxGroupSize: MAX_GROUP_SIZE,
      clock,
    });
    return new EventStore(
      dataSource,
      lock,
      cipher,
      writer,
      appends,
      new EventReader(dataSource, lock),
      new FeedReader(dataSource, dataSource.options.type === 'postgres', lock, clock),
      new SnapshotRepository(dataSource, lock, clock),
      dataSource.getRepository(CustomerSecretRow),
      new RelayState(dataSource, dialect, lock, clock),
      new ArchiveState(dataSource, dialect, lock, clock),
      options.databaseUrl === undefined ? null : new OwnConnectionPing(options.databaseUrl),
    );
  }

  /** Group-commit counters, copied: transactions begun, appends committed, conflicts, fallbacks. */
  get stats(): StoreStats {
    return { ...this.writer.stats };
  }

  /**
   * Appends events at `expectedVersion` and writes the projection (and the sealed secrets, if given:
   * they replace both stored ones) in the same transaction. Resolves after the commit; rejects with VersionConflictError on a
   * version mismatch, and with StaleEpochError when `fence` is given and its lease has moved to a
   * newer epoch (checked in the same transaction), with nothing written.
   */
  async append(
    customerId: string,
    expectedVersion: number,
    events: readonly CustomerQueueEvent[],
    projection: Projection,
    options: { secrets?: EndpointSecrets; fence?: Fence } = {},
  ): Promise<AppendResult> {
    if (this.closed) {
      throw new Error('event store is closed');
    }
    checkAppend(customerId, expectedVersion, events, projection);
    const secrets = options.secrets === undefined ? undefined : this.seal(customerId, options.secrets);
    if (options.secrets !== undefined) {
      refuseLeakedSecret(options.secrets.current, events, projection);
      if (options.secrets.previous !== null) {
        refuseLeakedSecret(options.secrets.previous.secret, events, projection);
      }
    }
    const result = await this.appends.submit({
      customerId,
      expectedVersion,
      events: [...events],
      projection,
      secrets,
      fence: options.fence,
    });
    this.committedListeners.forEach((listener) => listener());
    return result;
  }

  /** Calls `listener` after each append commits (the relay wakes up); returns the unsubscribe. */
  onCommitted(listener: () => void): () => void {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
  }

  /** This database's log id: random, made once, so its positions are never confused with another's. */
  logId(): Promise<string> {
    return this.relayState.logId();
  }

  /** The feed cursor the named relay recorded as published; the feed's start when none. */
  readCheckpoint(name: string): Promise<FeedCursor> {
    return this.relayState.checkpoint(name);
  }

  /**
   * Records the named relay's cursor; under `fence` (the relay lease) only while the lease is still
   * at that epoch, checked in the same transaction (else StaleRelayEpochError, nothing written).
   */
  writeCheckpoint(name: string, cursor: FeedCursor, fence?: RelayFence): Promise<void> {
    return this.relayState.saveCheckpoint(name, cursor, fence);
  }

  /**
   * Up to `limit` events after `after` in the outbound feed's order, (txid, position), none of a
   * transaction that one still open precedes (libs/event-store/feed-reader.ts).
   */
  readFeed(after: FeedCursor, limit: number): Promise<FeedPage> {
    return this.feed.readFeed(after, limit);
  }

  /** The event at `position`, with its transaction id; null when none. */
  feedEventAt(position: number): Promise<FeedEvent | null> {
    return this.feed.eventAt(position);
  }

  /** Events committed after the feed cursor (counted up to a million): the feed's lag. */
  feedBacklog(cursor: FeedCursor): Promise<number> {
    return this.feed.backlog(cursor);
  }

  /**
   * A position at or below which no event can commit any more (waits for the transactions open now
   * to end, at most `timeoutMs`): how far a reader by position may go without missing one.
   */
  settledPosition(timeoutMs?: number): Promise<number> {
    return this.feed.settledPosition(timeoutMs);
  }

  /** The longest prefix of the log, in position order, wholly sent by a feed at `cursor`. */
  feedSentThrough(cursor: FeedCursor): Promise<number> {
    return this.feed.sentThrough(cursor);
  }

  /** How far the log has been archived (libs/archive). */
  archiveProgress(): Promise<ArchiveProgress> {
    return this.archive.progress();
  }

  /** The archive checkpoints (of one customer when given), keyed by customerId. */
  archiveCheckpoints(customerId?: string): Promise<Map<string, ArchiveCheckpoint>> {
    return this.archive.checkpoints(customerId);
  }

  /** The first position after `afterPosition` recorded at or after `at` (epoch ms); null when none. */
  firstPositionFrom(at: number, afterPosition: number): Promise<number | null> {
    return this.archive.firstPositionFrom(at, afterPosition);
  }

  /**
   * The archive lines of up to `limit` events in (afterPosition, throughPosition], in position
   * order, joined by newlines ('' when none), built by the database; null where it does not (SQLite).
   */
  archiveLines(afterPosition: number, throughPosition: number, limit: number): Promise<string | null> {
    return this.archive.lines(afterPosition, throughPosition, limit);
  }

  /** Deletes archived events and writes their checkpoints in one transaction. */
  commitArchiveChunk(chunk: ArchiveChunk): Promise<void> {
    return this.archive.commit(chunk);
  }

  /**
   * Gives the space of deleted (archived) events back to the disk without holding appends up
   * (events-compaction.ts); null on SQLite, whose file shrinks only by a VACUUM that does.
   */
  compactEvents(mode: ReindexMode): Promise<CompactionReport | null> {
    return this.dataSource.options.type === 'postgres'
      ? compactEvents(this.dataSource, mode)
      : Promise.resolve(null);
  }

  /** Events stored in the database now. */
  countEvents(): Promise<number> {
    return this.archive.countEvents();
  }

  /** The customer's projection row (its snapshot), or null when it has none. */
  load(customerId: string): Promise<CustomerSnapshot | null> {
    return this.snapshots.load(customerId);
  }

  /**
   * The customer's snapshot and decrypted secrets (null without any, or when they do not open) in
   * one query, or null when it has no row: what an actor loads when it comes into memory.
   */
  async loadWithSecret(
    customerId: string,
  ): Promise<{ snapshot: CustomerSnapshot; secrets: EndpointSecrets | null } | null> {
    const loaded = await this.snapshots.loadWithSealedSecret(customerId);
    if (loaded === null) {
      return null;
    }
    let secrets: EndpointSecrets | null = null;
    try {
      secrets = loaded.sealed === null ? null : this.open(customerId, loaded.sealed);
    } catch {
      // Sealed with another key: loading still works (status, a new PUT); getSecrets reports it.
    }
    return { snapshot: loaded.snapshot, secrets };
  }

  /** The snapshots of those customers that have one, keyed by customerId. */
  loadMany(customerIds: readonly string[]): Promise<Map<string, CustomerSnapshot>> {
    return this.snapshots.loadMany(customerIds);
  }

  /**
   * Records a new pending count without an event or a version bump, and when the oldest pending
   * message was accepted if known (null keeps the stored time while anything is pending).
   */
  updatePending(
    customerId: string,
    pending: number,
    queue: QueueState,
    oldestPendingAt: number | null = null,
  ): Promise<void> {
    return this.snapshots.updatePending(customerId, pending, queue, oldestPendingAt);
  }

  /** Up to `limit` events of one customer after `afterVersion`, oldest first. */
  readStream(customerId: string, afterVersion: number, limit: number): Promise<StoredEvent[]> {
    return this.events.readStream(customerId, afterVersion, limit);
  }

  /** Up to `limit` events of the whole log after `afterPosition`, in position order (replay). */
  readAll(afterPosition: number, limit: number): Promise<StoredEvent[]> {
    return this.events.readAll(afterPosition, limit);
  }

  /** Up to `limit` rows after `afterPosition` (of one customer when given), unparsed, in position order (replay). */
  readLog(afterPosition: number, limit: number, customerId?: string): Promise<RawStoredEvent[]> {
    return this.events.readLog(afterPosition, limit, customerId);
  }

  /** The position of the newest event (0 for an empty log). */
  lastPosition(): Promise<number> {
    return this.events.lastPosition();
  }

  /** A page of snapshots in customerId order, optionally only those in one queue state. */
  listSnapshots(filter: SnapshotFilter): Promise<CustomerSnapshot[]> {
    return this.snapshots.list(filter);
  }

  /** Customers per queue state and all pending messages, from the projection rows (metrics). */
  summary(): Promise<QueueSummary> {
    return this.snapshots.summary();
  }

  /** The customer's webhook secrets, decrypted; null when none was stored. */
  async getSecrets(customerId: string): Promise<EndpointSecrets | null> {
    const row = await this.lock.run(() => this.secrets.findOneBy({ customerId }));
    const sealed =
      row === null
        ? null
        : sealedSecrets({
            ciphertext: row.ciphertext,
            key_id: row.keyId,
            previous_ciphertext: row.previousCiphertext,
            previous_key_id: row.previousKeyId,
            previous_expires_at: row.previousExpiresAt,
          });
    return sealed === null ? null : this.open(customerId, sealed);
  }

  private seal(customerId: string, { current, previous }: EndpointSecrets): SealedSecrets {
    return {
      current: this.cipher.seal(customerId, current),
      previous:
        previous === null
          ? null
          : { ...this.cipher.seal(customerId, previous.secret), expiresAt: previous.expiresAt },
    };
  }

  private open(customerId: string, { current, previous }: SealedSecrets): EndpointSecrets {
    return {
      current: this.cipher.open(customerId, current),
      previous:
        previous === null
          ? null
          : { secret: this.cipher.open(customerId, previous), expiresAt: previous.expiresAt },
    };
  }

  /** Replaces a customer's projection row as given (replay --rebuild). */
  writeSnapshot(snapshot: CustomerSnapshot): Promise<void> {
    return this.snapshots.write(snapshot);
  }

  /** Throws when the database does not answer (health check); never waits for the pool. */
  async ping(): Promise<void> {
    if (this.closed) {
      throw new Error('the event log is closed');
    }
    if (this.ownPing !== null) {
      return this.ownPing.ping();
    }
    await this.lock.run(() => this.dataSource.query('SELECT 1'));
  }

  /** Waits for queued appends to commit, then closes the database. Appends after this are refused. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    await this.ownPing?.close();
    await this.appends.drain();
    await this.lock.run(() => this.dataSource.destroy());
  }
}
