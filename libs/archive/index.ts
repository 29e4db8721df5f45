/**
 * The event log's archive: events older than a cutoff moved into compressed, checksummed files
 * with one manifest, per-customer checkpoints left in the database, and reads and checks of both.
 */
export { ArchiveFileError, ArchiveRefusedError } from './archive-errors.js';
export { archivedLog, ArchiveReader } from './archive-reader.js';
export { verifyArchive, type ArchiveVerifyReport } from './archive-verify.js';
export {
  archiveEvents,
  type ArchiveLock,
  type ArchiveOptions,
  type ArchiveReport,
  type ArchiveStep,
  type ArchiveStore,
  type CompactMode,
} from './archiver.js';
export { MANIFEST_NAME, type ArchiveFileEntry, type ArchiveManifest } from './manifest.js';
