import { MoreThan, type DataSource, type Repository } from 'typeorm';
import { customerQueueEventTypes, type CustomerQueueEventType } from '../domain/index.js';
import { EventRow } from './entities/event.entity.js';
import type { WorkLock } from './serial-lock.js';
import type { StoredEvent } from './store-types.js';

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
}

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
  };
}

function isEventType(type: string): type is CustomerQueueEventType {
  return (customerQueueEventTypes as readonly string[]).includes(type);
}
