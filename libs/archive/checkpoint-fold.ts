import { evolve, initialState } from '../domain/index.js';
import type { ArchiveCheckpoint, ArchiveChunk, RawStoredEvent } from '../event-store/index.js';
import { parseRawEvent } from '../replay/index.js';
import { ArchiveRefusedError } from './archive-errors.js';
import { chainNext, EMPTY_CHAIN } from './archive-line.js';

/** A customer's checkpoint before any of its events was archived. */
export function initialCheckpoint(customerId: string): ArchiveCheckpoint {
  return { customerId, version: 0, position: 0, state: initialState(), chain: EMPTY_CHAIN, at: 0 };
}

/**
 * Moves the customers' checkpoints over `rows` (in position order, `lines` their archive lines)
 * and cuts them into transactions of at most `chunkEvents` events, each carrying the checkpoints
 * as they stand at its end. `checkpoints` is updated in place. Throws ArchiveRefusedError at an
 * event replay would report as invalid: such a log is not archived until it verifies.
 */
export function planChunks(
  rows: readonly RawStoredEvent[],
  lines: readonly string[],
  checkpoints: Map<string, ArchiveCheckpoint>,
  afterPosition: number,
  chunkEvents: number,
): ArchiveChunk[] {
  const chunks: ArchiveChunk[] = [];
  let touched = new Set<string>();
  let chunkStart = afterPosition;
  let count = 0;
  let lastAt = 0;
  rows.forEach((row, index) => {
    const previous = checkpoints.get(row.customerId) ?? initialCheckpoint(row.customerId);
    const refuse = (reason: string) =>
      new ArchiveRefusedError(
        `event at position ${row.position} (customer ${row.customerId}, version ${row.version}) is invalid: ${reason}; run \`hookpost replay --verify\``,
      );
    if (row.version !== previous.version + 1) {
      throw refuse(`version ${row.version} follows version ${previous.version}`);
    }
    const parsed = parseRawEvent(row);
    if (!parsed.ok) {
      throw refuse(parsed.reason);
    }
    checkpoints.set(row.customerId, {
      customerId: row.customerId,
      version: row.version,
      position: row.position,
      state: evolve(previous.state, parsed.event),
      chain: chainNext(previous.chain, lines[index] ?? ''),
      at: row.at,
    });
    touched.add(row.customerId);
    count += 1;
    lastAt = Math.max(lastAt, row.at);
    if (count === chunkEvents || index === rows.length - 1) {
      chunks.push({
        afterPosition: chunkStart,
        throughPosition: row.position,
        events: count,
        lastAt,
        checkpoints: [...touched].map((customerId) => checkpoints.get(customerId)!),
      });
      chunkStart = row.position;
      touched = new Set();
      count = 0;
      lastAt = 0;
    }
  });
  return chunks;
}
