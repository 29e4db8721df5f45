import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RawStoredEvent } from '../event-store/index.js';
import { writeDurably } from './durable-write.js';

/** The manifest's name in the archive directory. */
export const MANIFEST_NAME = 'manifest.json';

/** One archive file: which events it holds and the checksum of its bytes. */
export interface ArchiveFileEntry {
  /** File name in the archive directory, `events-<first>-<last>.jsonl.gz`. */
  readonly name: string;
  readonly firstPosition: number;
  readonly lastPosition: number;
  readonly events: number;
  /** Each customer in it with the first and last of its versions there. */
  readonly customers: Readonly<Record<string, readonly [number, number]>>;
  /** Hex SHA-256 of the file as stored (compressed). */
  readonly sha256: string;
  readonly bytes: number;
  readonly createdAt: string;
}

/** Every file of an archive, in position order, and the log they came from. */
export interface ArchiveManifest {
  readonly format: 1;
  /** The database's log id: an archive of another database is refused. */
  readonly logId: string;
  readonly files: readonly ArchiveFileEntry[];
}

/** The directory's manifest, or null when it has none. */
export async function readManifest(dir: string): Promise<ArchiveManifest | null> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_NAME), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    throw error;
  }
  const manifest = JSON.parse(text) as ArchiveManifest;
  if (manifest.format !== 1 || !Array.isArray(manifest.files) || typeof manifest.logId !== 'string') {
    throw new Error(`${join(dir, MANIFEST_NAME)} is not a Hookpost archive manifest`);
  }
  return manifest;
}

/** Replaces the manifest atomically (see writeDurably). */
export function writeManifest(dir: string, manifest: ArchiveManifest): Promise<void> {
  return writeDurably(dir, MANIFEST_NAME, `${JSON.stringify(manifest, null, 1)}\n`);
}

/** Each customer in the rows with its first and last version there (a manifest entry's `customers`). */
export function versionRanges(rows: readonly RawStoredEvent[]): Record<string, [number, number]> {
  const ranges: Record<string, [number, number]> = {};
  for (const row of rows) {
    const range = ranges[row.customerId];
    if (range === undefined) {
      ranges[row.customerId] = [row.version, row.version];
    } else {
      range[1] = row.version;
    }
  }
  return ranges;
}
