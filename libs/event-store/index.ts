/**
 * Hookpost's event log (TypeORM on PostgreSQL or SQLite): group-committed appends with optimistic
 * concurrency, inline projection rows, sealed webhook secrets, and ordered reads for replay.
 */
export { EventStore } from './event-store.js';
export type { QueueSummary, SnapshotFilter, SnapshotOrder } from './snapshot-repository.js';
export type {
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
  StoredEvent,
  StoreOptions,
  StoreStats,
} from './store-types.js';
export { FEED_START } from './store-types.js';
export type { CompactionReport, ReindexMode } from './events-compaction.js';
export { EncryptionKeyMismatchError } from './key-check.js';
export { SecretInRecordsError } from './secret-in-records.error.js';
export { VersionConflictError } from './version-conflict.error.js';
export { StaleEpochError, StaleRelayEpochError, type Fence, type RelayFence } from '../domain/index.js';
