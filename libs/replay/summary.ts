import type { LogFold } from './log-fold.js';

/** The numbers every replay ends with. */
export interface ReplaySummary {
  readonly events: number;
  readonly customers: number;
  /** Customers whose stored projection disagreed with the log. */
  readonly differences: number;
  /** Stored events that failed their schema (or broke the version sequence). */
  readonly invalid: number;
  /** Projections rewritten (rebuild only). */
  readonly rewritten: number;
  readonly elapsedMs: number;
  readonly eventsPerSecond: number;
}

/** The summary of a fold, plus what the mode counted. */
export function summarize(
  log: LogFold,
  counts: { customers: number; differences?: number; rewritten?: number },
): ReplaySummary {
  const seconds = log.elapsedMs / 1000;
  return {
    events: log.events,
    customers: counts.customers,
    differences: counts.differences ?? 0,
    invalid: log.invalidCount,
    rewritten: counts.rewritten ?? 0,
    elapsedMs: Math.round(log.elapsedMs),
    eventsPerSecond: seconds > 0 ? Math.round(log.events / seconds) : 0,
  };
}
