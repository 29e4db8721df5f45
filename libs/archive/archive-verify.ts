import type { ArchiveCheckpoint, ArchiveProgress } from '../event-store/index.js';
import { projectionDifferences } from '../replay/index.js';
import { ArchiveFileError } from './archive-errors.js';
import type { ArchiveReader } from './archive-reader.js';
import { advanceCheckpoint, checkpointOf } from './checkpoint-fold.js';
import { versionRanges } from './manifest.js';

/** What checking an archive against its manifest and the database's checkpoints found. */
export interface ArchiveVerifyReport {
  readonly files: number;
  readonly events: number;
  /** One line each: a file that differs from the manifest (named), or a checkpoint that differs from the files. */
  readonly problems: readonly string[];
}

/**
 * Reads every file of the archive (checking its SHA-256, count and position range against the
 * manifest), folds each customer's archived events from the initial state with the hash chain, and
 * compares the result with the customer's checkpoint: version, chain and state.
 */
export async function verifyArchive(
  archive: ArchiveReader,
  checkpoints: ReadonlyMap<string, ArchiveCheckpoint>,
  progress: ArchiveProgress,
  customerId?: string,
): Promise<ArchiveVerifyReport> {
  const problems: string[] = [];
  const folds = new Map<string, ArchiveCheckpoint>();
  const unreadable = new Set<string>();
  let events = 0;
  let previousLast = 0;
  for (const entry of archive.manifest.files) {
    if (entry.firstPosition <= previousLast) {
      problems.push(`archive file ${entry.name}: overlaps the file before it in the manifest`);
    }
    previousLast = entry.lastPosition;
    if (customerId !== undefined && entry.customers[customerId] === undefined) {
      continue;
    }
    let file;
    try {
      file = await archive.file(entry);
    } catch (error) {
      if (!(error instanceof ArchiveFileError)) {
        throw error;
      }
      problems.push(error.message);
      Object.keys(entry.customers).forEach((id) => unreadable.add(id));
      continue;
    }
    const { rows, lines } = file;
    if (JSON.stringify(versionRanges(rows)) !== JSON.stringify(entry.customers)) {
      problems.push(`archive file ${entry.name}: its customers differ from the manifest`);
    }
    rows.forEach((row, index) => {
      if (
        row.position > progress.throughPosition ||
        (customerId !== undefined && row.customerId !== customerId)
      ) {
        return; // still in the database too (a run that crashed before deleting it)
      }
      events += 1;
      const problem = advanceCheckpoint(checkpointOf(folds, row.customerId), row, lines[index] ?? '');
      if (problem !== null) {
        problems.push(
          `archive file ${entry.name}: event at position ${row.position} (customer ${row.customerId}, version ${row.version}) is invalid: ${problem}`,
        );
        unreadable.add(row.customerId);
      }
    });
  }
  if (customerId === undefined && previousLast < progress.throughPosition) {
    problems.push(
      `the archive ends at position ${previousLast} but the database archived through ${progress.throughPosition}: files are missing from ${archive.dir}`,
    );
  }
  for (const checkpoint of checkpoints.values()) {
    if (unreadable.has(checkpoint.customerId)) {
      continue; // its file is already reported
    }
    problems.push(...checkpointDifferences(checkpoint, folds.get(checkpoint.customerId)));
  }
  for (const id of folds.keys()) {
    if (!checkpoints.has(id)) {
      problems.push(`customer ${id}: archived events but no checkpoint in the database`);
    }
  }
  return { files: archive.manifest.files.length, events, problems };
}

function checkpointDifferences(checkpoint: ArchiveCheckpoint, fold: ArchiveCheckpoint | undefined): string[] {
  const prefix = `customer ${checkpoint.customerId}: checkpoint differs from the archive`;
  if (fold === undefined) {
    return [`${prefix}: no archived events (the checkpoint is at version ${checkpoint.version})`];
  }
  const lines = projectionDifferences(
    { ...checkpoint, pending: 0, queue: 'empty', nextAttemptAt: null, oldestPendingAt: null, updatedAt: 0 },
    fold,
  ).map((line) => line.replace(': stored ', ': checkpoint ').replace(', log ', ', archive '));
  if (checkpoint.chain !== fold.chain) {
    lines.push('hash chain: the archived events are not the ones the checkpoint was made from');
  }
  return lines.map((line) => `${prefix}: ${line}`);
}
