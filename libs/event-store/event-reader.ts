import { MoreThan, type DataSource, type Repository } from 'typeorm';
import { customerQueueEventTypes, type CustomerQueueEventType } from '../domain/index.js';
import { EventRow } from './entities/event.entity.js';
import type { WorkLock } from './serial-lock.js';
import type { RawStoredEvent, StoredEvent } from './store-types.js';

/** Reads the log: one customer's stream, or the whole log in position order for replay. */
export class EventReader {
  private readonly events: Repository<EventRow>;

  constructor(
    dataSource: DataSource,
    private readonly lock: WorkLock,
  ) {
    this.events = dataSource.getRepository(EventRow);
  }

  /** Up to `limit` events of one customer after `afterVersion`, oldest first. */
  async readStream(customerId: string, afterVersion: number, limit: number): Promise<StoredEvent[]> {
    // Within a stream, version order is position order (one writer per stream, versions assigned in order).
    const rows = await this.lock.run(() =>
      this.events.find({
        where: { customerId, version: MoreThan(afterVersion) },
        order: { version: 'ASC' },
        take: limit,
      }),
    );
    return rows.map(toStoredEvent);
  }

  /** Up to `limit` events of every customer after global `afterPosition`, in position order. */
  async readAll(afterPosition: number, limit: number): Promise<StoredEvent[]> {
    const rows = await this.lock.run(() =>
      this.events.find({
        where: { position: MoreThan(afterPosition) },
        order: { position: 'ASC' },
        take: limit,
      }),
    );
    return rows.map(toStoredEvent);
  }

  /** The position of the newest event (0 for an empty log). */
  async lastPosition(): Promise<number> {
    const rows = await this.lock.run(() =>
      this.events.query<Array<{ last: unknown }>>('SELECT MAX("position") AS "last" FROM "events"'),
    );
    return Number(rows[0]?.last ?? 0);
  }

  /**
   * Up to `limit` rows after `afterPosition` (of one customer when given), in position order, as
   * stored: unparsed JSON and unchecked type, so replay can report a corrupt row instead of failing.
   * Raw SQL: replay reads the whole log, and entity hydration would cost more than the fold.
   */
  async readLog(afterPosition: number, limit: number, customerId?: string): Promise<RawStoredEvent[]> {
    const query = this.events
      .createQueryBuilder('e')
      .select('e.position', 'position')
      .addSelect('e.customer_id', 'customerId')
      .addSelect('e.version', 'version')
      .addSelect('e.type', 'type')
      .addSelect('e.data', 'data')
      .addSelect('e.recorded_at', 'at')
      .addSelect('e.schema_version', 'schemaVersion')
      .where('e.position > :afterPosition', { afterPosition });
    if (customerId !== undefined) {
      query.andWhere('e.customer_id = :customerId', { customerId });
    }
    const rows = await this.lock.run(() =>
      query.orderBy('e.position', 'ASC').limit(limit).getRawMany<RawRow>(),
    );
    for (const row of rows) {
      // pg returns BIGINT as a string; positions and times stay below 2^53.
      row.position = Number(row.position);
      row.at = Number(row.at);
    }
    return rows as RawStoredEvent[];
  }
}

type RawRow = Omit<RawStoredEvent, 'position' | 'at'> & { position: number | string; at: number | string };

/** Maps a row to the public shape, refusing a type the domain does not know (a corrupt or newer log). */
export function toStoredEvent(row: EventRow): StoredEvent {
  if (!isEventType(row.type)) {
    throw new Error(`event ${row.position} of ${row.customerId} has unknown type ${row.type}`);
  }
  return {
    position: row.position,
    customerId: row.customerId,
    version: row.version,
    type: row.type,
    data: JSON.parse(row.data) as unknown,
    at: row.recordedAt,
    schemaVersion: row.schemaVersion,
  };
}

function isEventType(type: string): type is CustomerQueueEventType {
  return (customerQueueEventTypes as readonly string[]).includes(type);
}
