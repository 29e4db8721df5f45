import {
  archiveEvents,
  type ArchiveReport,
  type ArchiveStep,
  type CompactMode,
} from '../../libs/archive/index.js';
import { relayCheckpointName } from '../../libs/event-relay/index.js';
import type { EventStore } from '../../libs/event-store/index.js';
import type { AppConfig } from '../config/app-config.js';
import { archiveLockFor } from './delivery-lock.js';

/**
 * Events deleted per transaction. SQLite has one writer: its deletion holds appends up, so it goes
 * in small chunks. On PostgreSQL the deletion touches only archived rows, which no append, read
 * or lock of the service waits for: one transaction per file saves a commit (and its fsync) per
 * 5,000 events.
 */
const SQLITE_CHUNK_EVENTS = 5_000;
const POSTGRES_CHUNK_EVENTS = 1_000_000;

/** One archive run as the CLI and the daily schedule make it. */
export interface ArchiveRequest {
  /** Archive the events recorded before this time (epoch ms). */
  readonly before: number;
  readonly now: number;
  /** Default: HOOKPOST_ARCHIVE_DIR. */
  readonly dir?: string;
  /** Most events per file (default 100,000). */
  readonly fileEvents?: number;
  readonly onStep?: (step: ArchiveStep, detail: string) => Promise<void>;
  /** Default 'auto'. */
  readonly compact?: CompactMode;
}

/**
 * Archives with this deployment's settings: its archive dir and lock, and, while the outbound feed
 * is on, never past the relay's checkpoint (an event the feed has not sent stays). With
 * HOOKPOST_EVENTS_FEED=false there is no feed to wait for; events archived then are never
 * published if the feed is turned on later (it starts from what the database holds).
 */
export async function runArchive(
  store: EventStore,
  config: AppConfig,
  request: ArchiveRequest,
): Promise<ArchiveReport> {
  // The feed goes in commit order, not position order: the archive (a position prefix) may go only
  // as far as the longest prefix the relay's checkpoint has wholly sent.
  const publishedThrough = config.eventsFeed
    ? await store.feedSentThrough(await store.readCheckpoint(relayCheckpointName(config.namespace)))
    : null;
  return archiveEvents(store, {
    dir: request.dir ?? config.archiveDir,
    before: request.before,
    now: request.now,
    publishedThrough,
    lock: archiveLockFor(config),
    chunkEvents: config.databaseUrl === null ? SQLITE_CHUNK_EVENTS : POSTGRES_CHUNK_EVENTS,
    ...(request.fileEvents === undefined ? {} : { fileEvents: request.fileEvents }),
    ...(request.onStep === undefined ? {} : { onStep: request.onStep }),
    ...(request.compact === undefined ? {} : { compact: request.compact }),
  });
}
