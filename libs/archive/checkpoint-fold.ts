import { evolve, initialState } from '../domain/index.js';
import type { ArchiveCheckpoint, ArchiveChunk, RawStoredEvent } from '../event-store/index.js';
import { parseRawEvent } from '../replay/index.js';
import { ArchiveRefusedError } from './archive-errors.js';
import { chainNext, EMPTY_CHAIN } from './archive-line.js';

/** A customer's checkpoint before any of its events was archived. */
export function initialCheckpoint(customerId: string): ArchiveCheckpoint {
  return { customerId, version: 0, position: 0, state: initialState(), chain: EMPTY_CHAIN, at: 0 };
}

/** The customer's checkpoint in `checkpoints`, added there at the initial one when it has none. */
export function checkpointOf(
  checkpoints: Map<string, ArchiveCheckpoint>,
  customerId: string,
): ArchiveCheckpoint {
  let checkpoint = checkpoints.get(customerId);
  if (checkpoint === undefined) {
    checkpoint = initialCheckpoint(customerId);
    checkpoints.set(customerId, checkpoint);
  }
  return checkpoint;
}

/**
 * Moves `checkpoint` over one archived event (`line` its archive line) in place: the archiver and
 * the archive check fold with this same step. Returns why the event cannot follow (a version gap,
 * or data that fails its schema), leaving the checkpoint as it was; null when it moved.
 */
export function advanceCheckpoint(
  checkpoint: ArchiveCheckpoint,
  row: RawStoredEvent,
  line: string,
): string | null {
  if (row.version !== checkpoint.version + 1) {
    return `version ${row.version} follows version ${checkpoint.version}`;
  }
  const parsed = parseRawEvent(row);
  if (!parsed.ok) {
    return parsed.reason;
  }
  checkpoint.version = row.version;
  checkpoint.position = row.position;
  checkpoint.state = evolve(checkpoint.state, parsed.event);
  checkpoint.chain = chainNext(checkpoint.chain, line);
  checkpoint.at = row.at;
  return null;
}

/** Events folded between two turns of the event loop: a daily run inside the service must not stall it. */
const EVENTS_PER_TURN = 5_000;

/**
 * Moves the customers' checkpoints over `rows` (in position order, `lines` their archive lines)
 * and cuts them into transactions of at most `chunkEvents` events, each carrying copies of the
 * checkpoints as they stand at its end. `checkpoints` is updated in place. Throws
 * ArchiveRefusedError at an event replay would report as invalid: such a log is not archived
 * until it verifies.
 */
export async function planChunks(
  rows: readonly RawStoredEvent[],
  lines: readonly string[],
  checkpoints: Map<string, ArchiveCheckpoint>,
  afterPosition: number,
  chunkEvents: number,
): Promise<ArchiveChunk[]> {
  const chunks: ArchiveChunk[] = [];
  let touched = new Set<ArchiveCheckpoint>();
  let chunkStart = afterPosition;
  let count = 0;
  let lastAt = 0;
  for (let index = 0; index < rows.length; index += 1) {
    const row = rows[index]!;
    const checkpoint = checkpointOf(checkpoints, row.customerId);
    const problem = advanceCheckpoint(checkpoint, row, lines[index] ?? '');
    if (problem !== null) {
      throw new ArchiveRefusedError(
        `event at position ${row.position} (customer ${row.customerId}, version ${row.version}) is invalid: ${problem}; run \`hookpost replay --verify\``,
      );
    }
    touched.add(checkpoint);
    count += 1;
    lastAt = Math.max(lastAt, row.at);
    if (count === chunkEvents || index === rows.length - 1) {
      chunks.push({
        afterPosition: chunkStart,
        throughPosition: row.position,
        events: count,
        lastAt,
        checkpoints: [...touched].map((touchedCheckpoint) => ({ ...touchedCheckpoint })),
      });
      chunkStart = row.position;
      touched = new Set();
      count = 0;
      lastAt = 0;
    }
    if (index % EVENTS_PER_TURN === EVENTS_PER_TURN - 1) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return chunks;
}
