import type { CustomerQueueEventType, CustomerQueueState, QueueState } from '../domain/index.js';
import type { Clock } from '../runtime/clock.js';

/** How to reach the event log, and the key that seals webhook secrets at rest. */
export interface StoreOptions {
  /** `postgres://...`; absent means SQLite. */
  databaseUrl?: string;
  /** SQLite file; default ':memory:' when there is no databaseUrl. */
  sqlitePath?: string;
  /** 32 bytes: the AES-256-GCM key for customer secrets. */
  encryptionKey: Buffer;
  /**
   * Record the key's id in the database, and refuse to open with another key (default true). Off for
   * tools that never read a secret and open with a throwaway key (replay, archive).
   */
  checkKey?: boolean;
  /** Longest wait before a group of appends is written when no transaction is running; default 0 (same event-loop turn only). */
  groupCommitMaxWaitMs?: number;
  /**
   * Stamps the rows' updated_at and times the group commit's wait and the feed's settle (default:
   * the system clock). The events carry their own times, from the caller.
   */
  clock?: Clock;
  /** Log every SQL statement (TypeORM logging). */
  logging?: boolean;
  /**
   * PostgreSQL ends a session that sits this long inside a transaction (default 5,000 ms). A
   * process frozen mid-append (SIGSTOP, a stalled VM) would otherwise keep the locks its
   * transaction took, the lease rows' key-share locks among them, and no other instance could
   * take its partitions over; set it below HOOKPOST_LEASE_MS.
   */
  idleInTransactionTimeoutMs?: number;
}

/** One event as stored in the log: the domain event plus its global and per-customer positions. */
export interface StoredEvent {
  /** Global position: unique, ascending within each customer's stream (docs/architecture.md). */
  position: number;
  customerId: string;
  /** 1.. within the customer's stream. */
  version: number;
  type: CustomerQueueEventType;
  data: unknown;
  /** When the event happened, epoch ms. */
  at: number;
  /** The schema version its data was written with; replay upcasts older ones (domain parseStoredEvent). */
  schemaVersion: number;
}

/** A row of the log as stored, for replay: `type` unchecked and `data` still JSON text. */
export interface RawStoredEvent {
  position: number;
  customerId: string;
  version: number;
  type: string;
  data: string;
  at: number;
  schemaVersion: number;
}

/**
 * Where the outbound feed stands: the feed goes in (txid, position) order, txid being the id of the
 * transaction that wrote the event (0 on SQLite and for events written before the column existed).
 */
export interface FeedCursor {
  readonly txid: number;
  readonly position: number;
}

/** The start of the feed: before every event. */
export const FEED_START: FeedCursor = { txid: 0, position: 0 };

/** A row of the log as the feed reads it: with its transaction's id. */
export interface FeedEvent extends RawStoredEvent {
  txid: number;
}

/** A page of the feed, and whether committed events wait behind a transaction still open. */
export interface FeedPage {
  readonly events: FeedEvent[];
  /** Events of newer transactions have committed, but an older one is open: read again soon. */
  readonly held: boolean;
}

/** A customer's projection row: the folded state at `version` plus the queue view derived from it. */
export interface CustomerSnapshot {
  customerId: string;
  /** Version of the last event folded into `state` (0 when there is none yet). */
  version: number;
  state: CustomerQueueState;
  pending: number;
  queue: QueueState;
  nextAttemptAt: number | null;
  /** When the oldest pending message was accepted, epoch ms; null when none is pending or not known. */
  oldestPendingAt: number | null;
  /** When the row was last written, epoch ms. */
  updatedAt: number;
}

/** What an append writes into the projection row (libs/domain's rules compute it from the folded state). */
export type { Projection } from '../domain/index.js';

/** The result of an append: the customer's new version and the global positions of its events. */
export interface AppendResult {
  version: number;
  positions: number[];
}

/** Counters for tests and metrics: how group commit is doing. */
export interface StoreStats {
  /** Write transactions begun (groups and fallback singles). */
  transactions: number;
  /** Appends that committed. */
  appends: number;
  /** Appends refused because the expected version did not match. */
  conflicts: number;
  /** Groups whose transaction failed and were retried one append per transaction. */
  fallbacks: number;
}

/**
 * Where a customer's archived events end: the fold's state at its last archived event, that
 * event's version and position, and the hash chained over every archived event of the customer.
 */
export interface ArchiveCheckpoint {
  customerId: string;
  version: number;
  position: number;
  state: CustomerQueueState;
  /** Hex SHA-256 chain over the archived events' archive lines (libs/archive/archive-line.ts). */
  chain: string;
  /** `at` of the last archived event, epoch ms. */
  at: number;
}

/** How far the log has been archived: every event at or below `throughPosition` left the database. */
export interface ArchiveProgress {
  throughPosition: number;
  /** Events archived in all, over every run. */
  events: number;
  /** The latest `at` among the archived events (0 when none): `replay --as-of` before it needs the files. */
  lastAt: number;
}

/** One archive transaction: the events in (afterPosition, throughPosition] go, the checkpoints they move come. */
export interface ArchiveChunk {
  afterPosition: number;
  throughPosition: number;
  events: number;
  lastAt: number;
  checkpoints: readonly ArchiveCheckpoint[];
}
