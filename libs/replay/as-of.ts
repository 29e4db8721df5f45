import { nextAttemptAt, type DeliverySettings, type FailureRecord } from '../domain/index.js';
import { foldLog, type FoldOptions, type InvalidEvent, type ReplaySource } from './log-fold.js';
import { summarize, type ReplaySummary } from './summary.js';

/**
 * A customer's status as the log says it was at a time. The log knows no pending count (that is
 * the queue's), so this is the delivery side: cursor, failing head, backoff and recent failures.
 */
export interface StatusAsOf {
  readonly customerId: string;
  /** Version of the last event at or before the time. */
  readonly version: number;
  readonly configured: boolean;
  readonly enabled: boolean;
  /** Every id at or below it was delivered, skipped or purged. */
  readonly cursor: number;
  readonly delivered: number;
  /** Consecutive failed attempts of the head (0: it was not failing). */
  readonly attempts: number;
  readonly failingFrom: number | null;
  readonly lastFailureAt: number | null;
  readonly nextAttemptAt: number | null;
  readonly lastProcessedAt: number | null;
  readonly recentFailures: readonly FailureRecord[];
  /** Its log up to then has an invalid event: the status may be wrong. */
  readonly broken: boolean;
}

/** Every customer's status at `asOf`, in customerId order. */
export interface AsOfReport {
  readonly asOf: number;
  readonly summary: ReplaySummary;
  readonly invalid: readonly InvalidEvent[];
  readonly customers: readonly StatusAsOf[];
}

/** Folds each customer's events up to `asOf` (inclusive) and reports the status they add up to. */
export async function statusAsOf(
  source: Pick<ReplaySource, 'readLog'>,
  asOf: number,
  delivery: DeliverySettings,
  options: Omit<FoldOptions, 'asOf'> = {},
): Promise<AsOfReport> {
  const log = await foldLog(source, { ...options, asOf });
  const customers: StatusAsOf[] = [];
  for (const [customerId, { state, version, broken }] of log.customers) {
    if (version === 0) {
      continue; // its first event came later
    }
    customers.push({
      customerId,
      version,
      configured: state.settings !== null,
      enabled: state.settings?.enabled ?? false,
      cursor: state.cursor,
      delivered: state.delivered,
      attempts: state.attempts,
      failingFrom: state.failingFrom,
      lastFailureAt: state.lastFailureAt,
      nextAttemptAt: nextAttemptAt(state, delivery),
      lastProcessedAt: state.lastProcessedAt,
      recentFailures: state.recentFailures,
      broken,
    });
  }
  customers.sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
  return { asOf, summary: summarize(log, { customers: customers.length }), invalid: log.invalid, customers };
}
