import type { CustomerQueueState } from '../domain/index.js';
import type { CustomerSnapshot } from '../event-store/index.js';

/** Most difference lines reported per customer; the rest are counted. */
export const MAX_DIFFERENCE_LINES = 20;

/**
 * How a stored projection differs from the fold of the log, one readable line per field
 * (`state.cursor: stored 7, log 5`); empty when they agree. Only `version` and `state` are
 * compared: `pending`, `queue` and `nextAttemptAt` depend on the queue and the configuration.
 */
export function projectionDifferences(
  stored: CustomerSnapshot | null,
  folded: { readonly version: number; readonly state: CustomerQueueState },
): string[] {
  if (stored === null) {
    return [`no stored projection (the log is at version ${folded.version})`];
  }
  const lines: string[] = [];
  if (stored.version !== folded.version) {
    lines.push(`version: stored ${stored.version}, log ${folded.version}`);
  }
  // Through JSON on both sides: the stored state went through it, so absent and undefined are one.
  compare(asJson(stored.state), asJson(folded.state), 'state', lines);
  if (lines.length > MAX_DIFFERENCE_LINES) {
    const more = lines.length - MAX_DIFFERENCE_LINES;
    lines.splice(MAX_DIFFERENCE_LINES, more, `… and ${more} more`);
  }
  return lines;
}

function compare(stored: unknown, folded: unknown, path: string, lines: string[]): void {
  if (isObject(stored) && isObject(folded)) {
    const keys = [...new Set([...Object.keys(stored), ...Object.keys(folded)])].sort();
    keys.forEach((key) => compare(stored[key], folded[key], `${path}.${key}`, lines));
  } else if (Array.isArray(stored) && Array.isArray(folded)) {
    if (stored.length !== folded.length) {
      lines.push(`${path}: stored ${entries(stored.length)}, log ${entries(folded.length)}`);
    }
    for (let index = 0; index < Math.min(stored.length, folded.length); index += 1) {
      compare(stored[index], folded[index], `${path}[${index}]`, lines);
    }
  } else if (JSON.stringify(stored) !== JSON.stringify(folded)) {
    lines.push(`${path}: stored ${show(stored)}, log ${show(folded)}`);
  }
}

const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;
const entries = (count: number) => `${count} ${count === 1 ? 'entry' : 'entries'}`;
const show = (value: unknown) => (value === undefined ? 'absent' : JSON.stringify(value));

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
