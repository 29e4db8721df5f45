import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { RawStoredEvent } from '../event-store/index.js';
import { ArchiveFileError } from './archive-errors.js';
import { decodeLine } from './archive-line.js';
import { writeDurably } from './durable-write.js';
import type { ArchiveFileEntry } from './manifest.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** gzip level: 3 compresses event JSON almost as well as 6 in a third of the time (H9). */
const GZIP_LEVEL = 3;

/** `events-<first>-<last>.jsonl.gz`, zero-padded so names sort in position order. */
export function archiveFileName(firstPosition: number, lastPosition: number): string {
  const pad = (position: number) => String(position).padStart(12, '0');
  return `events-${pad(firstPosition)}-${pad(lastPosition)}.jsonl.gz`;
}

/** What a file name of ours looks like (anything else in the directory is left alone). */
export const ARCHIVE_FILE_PATTERN = /^events-\d{12,}-\d{12,}\.jsonl\.gz$/;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Compresses the lines into `name`, durably (written, fsynced, renamed, directory fsynced), then
 * reads the file back and checks it against the checksum of what was meant to be written. Only a
 * file that passes is ever listed in the manifest, so no row is deleted for a file that is not whole.
 */
export async function writeArchiveFile(
  dir: string,
  name: string,
  lines: readonly string[],
): Promise<{ sha256: string; bytes: number }> {
  const compressed = await gzipAsync(`${lines.join('\n')}\n`, { level: GZIP_LEVEL });
  const expected = sha256(compressed);
  await writeDurably(dir, name, compressed);
  const stored = await readFile(join(dir, name));
  if (sha256(stored) !== expected) {
    throw new ArchiveFileError(name, 'read back with another SHA-256 than was written');
  }
  return { sha256: expected, bytes: stored.length };
}

/** A listed file's events and, for each, its line as stored (the hash chain runs over those). */
export interface ArchivedFile {
  readonly rows: RawStoredEvent[];
  readonly lines: string[];
}

/**
 * The events of a listed file, after checking its bytes against the manifest's SHA-256 and its
 * contents against the manifest's count and position range. Throws ArchiveFileError naming the file.
 */
export async function readArchiveFile(dir: string, entry: ArchiveFileEntry): Promise<ArchivedFile> {
  let stored: Buffer;
  try {
    stored = await readFile(join(dir, entry.name));
  } catch (error) {
    throw new ArchiveFileError(
      entry.name,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  if (sha256(stored) !== entry.sha256) {
    throw new ArchiveFileError(entry.name, 'its SHA-256 differs from the manifest (the file was changed)');
  }
  let lines: string[];
  let rows: RawStoredEvent[];
  try {
    lines = (await gunzipAsync(stored))
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '');
    rows = lines.map(decodeLine);
  } catch (error) {
    throw new ArchiveFileError(entry.name, `is not a readable archive (${String(error)})`);
  }
  if (
    rows.length !== entry.events ||
    rows[0]?.position !== entry.firstPosition ||
    rows.at(-1)?.position !== entry.lastPosition
  ) {
    throw new ArchiveFileError(entry.name, 'holds other events than the manifest lists');
  }
  return { rows, lines };
}
