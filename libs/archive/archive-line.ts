import { hash } from 'node:crypto';
import type { RawStoredEvent } from '../event-store/index.js';

/**
 * One archived event as one line of JSON: `[position, customerId, version, type, schemaVersion, at, data]`,
 * with `data` kept as the stored JSON text, so an event reads back byte for byte as stored.
 */
export function encodeLine(row: RawStoredEvent): string {
  return JSON.stringify([
    row.position,
    row.customerId,
    row.version,
    row.type,
    row.schemaVersion,
    row.at,
    row.data,
  ]);
}

/** The event of one archive line; throws on a line that is not one. */
export function decodeLine(line: string): RawStoredEvent {
  const value: unknown = JSON.parse(line);
  if (!Array.isArray(value) || value.length !== 7) {
    throw new Error('not an archive line');
  }
  const [position, customerId, version, type, schemaVersion, at, data] = value as unknown[];
  if (
    typeof position !== 'number' ||
    typeof customerId !== 'string' ||
    typeof version !== 'number' ||
    typeof type !== 'string' ||
    typeof schemaVersion !== 'number' ||
    typeof at !== 'number' ||
    typeof data !== 'string'
  ) {
    throw new Error('not an archive line');
  }
  return { position, customerId, version, type, schemaVersion, at, data };
}

/** The chain before a customer's first archived event. */
export const EMPTY_CHAIN = '';

/**
 * The next link of a customer's hash chain: SHA-256 over the previous link and the event's archive
 * line. The checkpoint keeps the last link, so any changed, missing or reordered archived event of
 * that customer gives another chain.
 */
export function chainNext(previous: string, line: string): string {
  // One-shot: a Hash object per event cost more than the digest itself (H9's profile).
  return hash('sha256', `${previous}\n${line}`);
}
