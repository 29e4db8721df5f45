import { performance } from 'node:perf_hooks';
import {
  evolve,
  initialState,
  parseStoredEvent,
  type CustomerQueueState,
  type ParsedEvent,
} from '../domain/index.js';
import type { EventStore, RawStoredEvent } from '../event-store/index.js';

/** What replay uses of the event store: the raw log, and the projection rows to compare or rewrite. */
export type ReplaySource = Pick<EventStore, 'readLog' | 'listSnapshots' | 'load' | 'writeSnapshot'>;

/** One customer's fold so far. Mutable: replay updates it in place, one Map entry per customer. */
export interface CustomerFold {
  state: CustomerQueueState;
  /** Version of the last event read (folded or not). */
  version: number;
  /** Its log has an invalid event or a version gap: the fold cannot be trusted. */
  broken: boolean;
  /** An event after `asOf` was seen: later ones are ignored, so the fold is a prefix of the stream. */
  pastAsOf: boolean;
  /** Its stored projection has been compared (verify and rebuild mark it). */
  compared: boolean;
}

/** A stored event that could not be folded, with where it is. */
export interface InvalidEvent {
  readonly position: number;
  readonly customerId: string;
  readonly version: number;
  readonly type: string;
  readonly reason: string;
}

/** How far replay has read; handed to `onProgress` after every page. */
export interface ReplayProgress {
  readonly events: number;
  readonly customers: number;
  readonly elapsedMs: number;
}

/** What to read and fold. */
export interface FoldOptions {
  /** Only this customer's stream. */
  readonly customerId?: string;
  /** Fold only each customer's events up to this time (epoch ms, inclusive). */
  readonly asOf?: number;
  /**
   * Where each customer's fold starts instead of the initial state: the archive checkpoints, when
   * the events before them are no longer in the source.
   */
  readonly start?: ReadonlyMap<string, { readonly state: CustomerQueueState; readonly version: number }>;
  /** Events per read; default 10,000. */
  readonly pageSize?: number;
  readonly onProgress?: (progress: ReplayProgress) => void;
}

/** The whole log folded: per-customer state, and what could not be used. */
export interface LogFold {
  readonly customers: Map<string, CustomerFold>;
  readonly events: number;
  readonly invalidCount: number;
  /** The first MAX_INVALID_LISTED invalid events (invalidCount has them all). */
  readonly invalid: InvalidEvent[];
  readonly elapsedMs: number;
}

const DEFAULT_PAGE_SIZE = 10_000;
/** Invalid events kept for the report; a badly damaged log must not fill memory with reasons. */
export const MAX_INVALID_LISTED = 100;

/** A customer with no events yet: the initial state at version 0. */
export function emptyFold(): CustomerFold {
  return { state: initialState(), version: 0, broken: false, pastAsOf: false, compared: false };
}

/**
 * Reads the log in position order, page by page, validates every event against its type's schema
 * (upcasting old versions) and folds it with the service's own `evolve`.
 */
export async function foldLog(
  source: Pick<ReplaySource, 'readLog'>,
  options: FoldOptions = {},
): Promise<LogFold> {
  const started = performance.now();
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const customers = new Map<string, CustomerFold>();
  for (const [customerId, { state, version }] of options.start ?? []) {
    customers.set(customerId, { ...emptyFold(), state, version });
  }
  const invalid: InvalidEvent[] = [];
  let invalidCount = 0;
  let events = 0;
  const reject = (row: RawStoredEvent, reason: string) => {
    invalidCount += 1;
    if (invalid.length < MAX_INVALID_LISTED) {
      invalid.push({ ...pick(row), reason });
    }
  };
  for (let after = 0; ;) {
    const page = await source.readLog(after, pageSize, options.customerId);
    for (const row of page) {
      let fold = customers.get(row.customerId);
      if (fold === undefined) {
        fold = emptyFold();
        customers.set(row.customerId, fold);
      }
      apply(fold, row, options.asOf, reject);
    }
    events += page.length;
    const last = page.at(-1);
    options.onProgress?.({ events, customers: customers.size, elapsedMs: performance.now() - started });
    if (last === undefined || page.length < pageSize) {
      break;
    }
    after = last.position;
  }
  return { customers, events, invalidCount, invalid, elapsedMs: performance.now() - started };
}

function apply(
  fold: CustomerFold,
  row: RawStoredEvent,
  asOf: number | undefined,
  reject: (row: RawStoredEvent, reason: string) => void,
): void {
  if (fold.pastAsOf || (asOf !== undefined && row.at > asOf)) {
    fold.pastAsOf = true;
    return;
  }
  if (row.version !== fold.version + 1) {
    // A gap or a repeat: events are missing or doubled, so nothing after this is trustworthy.
    reject(row, `version ${row.version} follows version ${fold.version}`);
    fold.broken = true;
  }
  fold.version = row.version;
  const parsed = parseRawEvent(row);
  if (!parsed.ok) {
    reject(row, parsed.reason);
    fold.broken = true;
    return;
  }
  fold.state = evolve(fold.state, parsed.event);
}

/** A stored row as a domain event (its JSON parsed, checked against its schema and upcast), or why not. */
export function parseRawEvent(row: RawStoredEvent): ParsedEvent {
  let data: unknown;
  try {
    data = JSON.parse(row.data);
  } catch (error) {
    return {
      ok: false,
      reason: `data is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  return parseStoredEvent(row.type, data, row.at, row.schemaVersion);
}

function pick({ position, customerId, version, type }: RawStoredEvent) {
  return { position, customerId, version, type };
}
