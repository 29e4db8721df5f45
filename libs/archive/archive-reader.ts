import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventStore, RawStoredEvent } from '../event-store/index.js';
import { readArchiveFile, type ArchivedFile } from './archive-file.js';
import { readManifest, type ArchiveFileEntry, type ArchiveManifest } from './manifest.js';

/**
 * Reads an archive directory: every file checked against the manifest as it is opened (a changed
 * byte throws ArchiveFileError naming the file). Keeps the last file it opened decoded, since
 * readers go through a file page by page.
 */
export class ArchiveReader {
  private cached: { name: string; stamp: string; file: ArchivedFile } | null = null;

  private constructor(
    readonly dir: string,
    readonly manifest: ArchiveManifest,
  ) {}

  /** The archive in `dir`, or null when it has no manifest. */
  static async open(dir: string): Promise<ArchiveReader | null> {
    const manifest = await readManifest(dir);
    return manifest === null ? null : new ArchiveReader(dir, manifest);
  }

  /** The events of one listed file, checked. */
  async rows(entry: ArchiveFileEntry): Promise<RawStoredEvent[]> {
    return (await this.file(entry)).rows;
  }

  /** One listed file's events and their lines as stored, checked. */
  async file(entry: ArchiveFileEntry): Promise<ArchivedFile> {
    // A file changed on disk since it was decoded is read (and checked) again.
    const stamp = await stat(join(this.dir, entry.name)).then(
      ({ mtimeMs, size, ino }) => `${mtimeMs}:${size}:${ino}`,
      () => 'missing',
    );
    if (this.cached?.name !== entry.name || this.cached.stamp !== stamp) {
      this.cached = null;
      this.cached = { name: entry.name, stamp, file: await readArchiveFile(this.dir, entry) };
    }
    return this.cached.file;
  }

  /** Up to `limit` archived events after `afterPosition` and at or below `through` (of one customer when given). */
  async readLog(
    afterPosition: number,
    limit: number,
    through: number,
    customerId?: string,
  ): Promise<RawStoredEvent[]> {
    const found: RawStoredEvent[] = [];
    for (const entry of this.manifest.files) {
      if (entry.lastPosition <= afterPosition || entry.firstPosition > through) {
        continue;
      }
      if (customerId !== undefined && entry.customers[customerId] === undefined) {
        continue;
      }
      for (const row of await this.rows(entry)) {
        if (
          row.position > afterPosition &&
          row.position <= through &&
          (customerId === undefined || row.customerId === customerId)
        ) {
          found.push(row);
          if (found.length === limit) {
            return found;
          }
        }
      }
    }
    return found;
  }

  /** Up to `limit` archived events of one customer after `afterVersion` and at or below `throughVersion`. */
  async readStream(
    customerId: string,
    afterVersion: number,
    throughVersion: number,
    limit: number,
  ): Promise<RawStoredEvent[]> {
    const found: RawStoredEvent[] = [];
    for (const entry of this.manifest.files) {
      const range = entry.customers[customerId];
      if (range === undefined || range[1] <= afterVersion || range[0] > throughVersion) {
        continue;
      }
      for (const row of await this.rows(entry)) {
        if (row.customerId === customerId && row.version > afterVersion && row.version <= throughVersion) {
          found.push(row);
          if (found.length === limit) {
            return found;
          }
        }
      }
    }
    return found;
  }

  /** The file that holds the customer's `version`, for a message that names it; null when none lists it. */
  fileWith(customerId: string, version: number): string | null {
    const entry = this.manifest.files.find((file) => {
      const range = file.customers[customerId];
      return range !== undefined && range[0] <= version && version <= range[1];
    });
    return entry?.name ?? null;
  }
}

/** The archive followed by the database: the whole log as replay reads it, from position 0. */
export function archivedLog(
  archive: ArchiveReader,
  store: Pick<EventStore, 'readLog'>,
  through: number,
): Pick<EventStore, 'readLog'> {
  return {
    async readLog(afterPosition, limit, customerId) {
      const rows =
        afterPosition < through ? await archive.readLog(afterPosition, limit, through, customerId) : [];
      if (rows.length < limit) {
        rows.push(
          ...(await store.readLog(Math.max(afterPosition, through), limit - rows.length, customerId)),
        );
      }
      return rows;
    },
  };
}
