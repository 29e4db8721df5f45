import { currentEventData } from '../domain/index.js';
import type { RawStoredEvent } from '../event-store/index.js';

/** One event of the log as other systems receive it on `<ns>.events.<customerId>.<type>`. */
export interface OutboundEvent {
  /** Global position in the log: ascending, the order events were committed. */
  readonly position: number;
  readonly customerId: string;
  /** 1, 2, 3 ... within the customer: a gap means an event was missed. */
  readonly version: number;
  readonly type: string;
  /** The schema version of `data` (older stored shapes are upcast to the current one). */
  readonly schemaVersion: number;
  /** When it happened, epoch milliseconds. */
  readonly at: number;
  readonly data: unknown;
}

/** The subject an event is published on; subscribers filter by customer and type with wildcards. */
export function eventSubject(namespace: string, customerId: string, type: string): string {
  return `${namespace}.events.${customerId}.${type}`;
}

/**
 * The outbound shape of a stored row: upcast to the current schema when it validates; a row that
 * does not (a corrupt log, which replay reports) goes out as stored, so the feed never stops or skips.
 */
export function toOutboundEvent(row: RawStoredEvent, currentVersions: Readonly<Record<string, number>>) {
  const base = { position: row.position, customerId: row.customerId, version: row.version, type: row.type };
  let stored: unknown;
  try {
    stored = JSON.parse(row.data);
  } catch {
    return { event: { ...base, schemaVersion: row.schemaVersion, at: row.at, data: row.data }, valid: false };
  }
  const { valid, data } = currentEventData(row.type, stored, row.at, row.schemaVersion);
  const schemaVersion = valid ? (currentVersions[row.type] ?? row.schemaVersion) : row.schemaVersion;
  const event: OutboundEvent = { ...base, schemaVersion, at: row.at, data };
  return { event, valid };
}
