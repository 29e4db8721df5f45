/**
 * Audit replay of Hookpost's event log, without the service: reads the log in order, validates and
 * upcasts every event, folds it with the domain's `evolve`, then verifies or rebuilds the stored
 * projections, or reports every customer's status as of a time.
 */
export { statusAsOf, type AsOfReport, type StatusAsOf } from './as-of.js';
export { formatDifference, formatInvalid, formatStatusAsOf, formatSummary } from './format.js';
export {
  MAX_INVALID_LISTED,
  parseRawEvent,
  type CustomerFold,
  type FoldOptions,
  type InvalidEvent,
  type LogFold,
  type ReplayProgress,
  type ReplaySource,
} from './log-fold.js';
export { projectionDifferences } from './differences.js';
export type { ReplaySummary } from './summary.js';
export {
  rebuild,
  verify,
  type CustomerDifference,
  type RebuildSettings,
  type VerifyOptions,
  type VerifyReport,
} from './verify.js';
