import {
  formatDifference,
  formatInvalid,
  formatStatusAsOf,
  formatSummary,
  MAX_INVALID_LISTED,
  type AsOfReport,
  type InvalidEvent,
  type ReplaySummary,
  type VerifyReport,
} from '../../libs/replay/index.js';

/** The text report of verify or rebuild: invalid events, differences, then the summary line. */
export function verifyText(mode: 'verify' | 'rebuild', report: VerifyReport): string {
  const lines = [
    ...invalidLines(report.invalid, report.summary),
    ...report.differences.map(formatDifference),
    ...report.broken.map(
      (customerId) =>
        `customer ${customerId}: not ${mode === 'verify' ? 'compared' : 'rewritten'}, its log has invalid events`,
    ),
    formatSummary(mode, report.summary),
  ];
  if (mode === 'verify' && report.differences.length > 0) {
    lines.push('run `hookpost replay --rebuild` (with the service stopped) to rewrite them from the log');
  } else if (report.differences.length === 0 && report.invalid.length === 0) {
    lines.push('every stored projection agrees with the log');
  }
  return lines.join('\n');
}

/** The text report of --as-of: each customer's status then, then the summary line. */
export function asOfText(report: AsOfReport): string {
  return [
    `status as of ${new Date(report.asOf).toISOString()}`,
    ...invalidLines(report.invalid, report.summary),
    ...report.customers.map(formatStatusAsOf),
    formatSummary('as-of', report.summary),
  ].join('\n');
}

function invalidLines(invalid: readonly InvalidEvent[], summary: ReplaySummary): string[] {
  const more = summary.invalid - invalid.length;
  return [
    ...invalid.map(formatInvalid),
    ...(more > 0
      ? [`… and ${more} more invalid events (only the first ${MAX_INVALID_LISTED} are listed)`]
      : []),
  ];
}
