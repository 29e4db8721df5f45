import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveFileError, ArchiveReader, MANIFEST_NAME } from '../../libs/archive/index.js';
import type { CustomerQueueEventType } from '../../libs/domain/index.js';
import type { EventStore, RawStoredEvent, StoredEvent } from '../../libs/event-store/index.js';
import { ApiError } from '../core/api-error.js';

/** 410 ARCHIVED: the events asked for were archived, and the archive file that holds them cannot be read. */
export function archivedError(
  message: string,
  details: { file: string | null; archivedThroughVersion: number },
) {
  return new ApiError(410, 'ARCHIVED', message, details);
}

/**
 * A customer's events for the audit routes: the archived ones (up to the customer's checkpoint)
 * from the archive files, the rest from the database. The reader is kept while the manifest is
 * unchanged, so a scan page by page decodes each file once.
 */
export class AuditLog {
  private reader: { archive: ArchiveReader | null; mtimeMs: number } | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly archiveDir: string,
  ) {}

  /** Up to `limit` events of the customer after `afterVersion`, oldest first. */
  async readStream(customerId: string, afterVersion: number, limit: number): Promise<StoredEvent[]> {
    const checkpoint = (await this.store.archiveCheckpoints(customerId)).get(customerId);
    if (checkpoint === undefined || afterVersion >= checkpoint.version) {
      return this.store.readStream(customerId, afterVersion, limit);
    }
    const archivedThroughVersion = checkpoint.version;
    const archive = await this.archive();
    const wanted = Math.min(limit, archivedThroughVersion - afterVersion);
    let rows: RawStoredEvent[];
    try {
      rows =
        archive === null
          ? []
          : await archive.readStream(customerId, afterVersion, archivedThroughVersion, wanted);
    } catch (error) {
      if (error instanceof ArchiveFileError) {
        throw archivedError(
          `events of customer ${customerId} up to version ${archivedThroughVersion} are archived in ${error.file}, which this service cannot read: ${error.message}`,
          { file: error.file, archivedThroughVersion },
        );
      }
      throw error;
    }
    if (rows.length < wanted) {
      const missing = afterVersion + rows.length + 1;
      const file = archive?.fileWith(customerId, missing) ?? null;
      throw archivedError(
        `version ${missing} of customer ${customerId} is archived${file === null ? '' : ` in ${file}`} and not in this service's archive directory`,
        { file, archivedThroughVersion },
      );
    }
    const events = rows.map(toStoredEvent);
    if (events.length < limit) {
      events.push(
        ...(await this.store.readStream(customerId, archivedThroughVersion, limit - events.length)),
      );
    }
    return events;
  }

  private async archive(): Promise<ArchiveReader | null> {
    const mtimeMs = await stat(join(this.archiveDir, MANIFEST_NAME)).then(
      (stats) => stats.mtimeMs,
      () => 0,
    );
    if (this.reader?.mtimeMs !== mtimeMs) {
      this.reader = { archive: mtimeMs === 0 ? null : await ArchiveReader.open(this.archiveDir), mtimeMs };
    }
    return this.reader.archive;
  }
}

// An archived row passed the archiver's checks (type and schema) before it was written.
const toStoredEvent = (row: RawStoredEvent): StoredEvent => ({
  ...row,
  type: row.type as CustomerQueueEventType,
  data: JSON.parse(row.data) as unknown,
});
