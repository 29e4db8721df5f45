import { nextAttemptAt, queueState, type DeliverySettings } from '../domain/index.js';
import type { CustomerSnapshot } from '../event-store/index.js';
import { projectionDifferences } from './differences.js';
import {
  emptyFold,
  foldLog,
  type CustomerFold,
  type FoldOptions,
  type InvalidEvent,
  type ReplaySource,
} from './log-fold.js';
import { summarize, type ReplaySummary } from './summary.js';

/** One customer whose stored projection disagrees with the log, and how. */
export interface CustomerDifference {
  readonly customerId: string;
  readonly lines: readonly string[];
}

/** What verify (or rebuild) found. */
export interface VerifyReport {
  readonly summary: ReplaySummary;
  readonly invalid: readonly InvalidEvent[];
  readonly differences: readonly CustomerDifference[];
  /** Customers with an invalid event: their fold is not trusted, so they are neither compared nor rewritten. */
  readonly broken: readonly string[];
}

/** Verify and rebuild read the whole (or one customer's) log, never a prefix of it. */
export type VerifyOptions = Omit<FoldOptions, 'asOf'>;

/** How rebuild derives the queue view of a rewritten row. */
export interface RebuildSettings {
  readonly delivery: DeliverySettings;
  readonly now: () => number;
}

const SNAPSHOT_PAGE = 1_000;

/** Folds the log and compares every stored projection (`version` and `state`) with it. */
export function verify(source: ReplaySource, options: VerifyOptions = {}): Promise<VerifyReport> {
  return replayProjections(source, options, null);
}

/**
 * Folds the log and rewrites every projection that disagrees with it. `pending` is the queue's,
 * so it is kept; `queue` and `nextAttemptAt` are derived again from it and the folded state.
 * Run it with the service stopped: a row the service writes meanwhile would be overwritten.
 */
export function rebuild(
  source: ReplaySource,
  settings: RebuildSettings,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  return replayProjections(source, options, settings);
}

async function replayProjections(
  source: ReplaySource,
  options: VerifyOptions,
  rebuildWith: RebuildSettings | null,
): Promise<VerifyReport> {
  const log = await foldLog(source, options);
  const differences: CustomerDifference[] = [];
  const broken: string[] = [];
  let customers = 0;
  let rewritten = 0;
  const check = async (customerId: string, stored: CustomerSnapshot | null) => {
    const fold = log.customers.get(customerId) ?? emptyFold();
    fold.compared = true;
    customers += 1;
    if (fold.broken) {
      broken.push(customerId);
      return;
    }
    const lines = projectionDifferences(stored, fold);
    if (lines.length === 0) {
      return;
    }
    differences.push({ customerId, lines });
    if (rebuildWith !== null) {
      await source.writeSnapshot(rebuiltRow(customerId, fold, stored, rebuildWith));
      rewritten += 1;
    }
  };
  for await (const stored of storedRows(source, options.customerId)) {
    await check(stored.customerId, stored);
  }
  for (const [customerId, fold] of log.customers) {
    if (!fold.compared) {
      await check(customerId, null); // in the log, but no row at all
    }
  }
  return {
    summary: summarize(log, { customers, differences: differences.length, rewritten }),
    invalid: log.invalid,
    differences,
    broken,
  };
}

/** Every stored projection row in customerId order (just one when a customer is given). */
async function* storedRows(source: ReplaySource, customerId: string | undefined) {
  if (customerId !== undefined) {
    const row = await source.load(customerId);
    if (row !== null) {
      yield row;
    }
    return;
  }
  for (let afterCustomerId: string | undefined; ;) {
    const page = await source.listSnapshots({
      limit: SNAPSHOT_PAGE,
      ...(afterCustomerId === undefined ? {} : { afterCustomerId }),
    });
    yield* page;
    afterCustomerId = page.at(-1)?.customerId;
    if (afterCustomerId === undefined || page.length < SNAPSHOT_PAGE) {
      return;
    }
  }
}

function rebuiltRow(
  customerId: string,
  { state, version }: CustomerFold,
  stored: CustomerSnapshot | null,
  { delivery, now }: RebuildSettings,
): CustomerSnapshot {
  const pending = stored?.pending ?? 0;
  return {
    customerId,
    version,
    state,
    pending,
    queue: queueState(state, pending),
    nextAttemptAt: pending > 0 ? nextAttemptAt(state, delivery) : null,
    oldestPendingAt: pending > 0 ? (stored?.oldestPendingAt ?? null) : null, // the queue's, like pending
    updatedAt: now(),
  };
}
