import type { FailureRecord } from '../domain/index.js';
import type { StatusAsOf } from './as-of.js';
import type { InvalidEvent } from './log-fold.js';
import type { ReplaySummary } from './summary.js';
import type { CustomerDifference } from './verify.js';

const count = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
const time = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toISOString());

/** `invalid event at position 42 (customer acme, version 7, DeliveryFailed): <reason>` */
export function formatInvalid({ position, customerId, version, type, reason }: InvalidEvent): string {
  return `invalid event at position ${position} (customer ${customerId}, version ${version}, ${type}): ${reason}`;
}

/** The customer, then one indented line per differing field. */
export function formatDifference({ customerId, lines }: CustomerDifference): string {
  return [
    `customer ${customerId}: stored projection differs from the log`,
    ...lines.map((line) => `  ${line}`),
  ].join('\n');
}

/** One line: events, customers, differences, invalid events, time and speed. */
export function formatSummary(mode: 'verify' | 'rebuild' | 'as-of', summary: ReplaySummary): string {
  const parts = [
    count(summary.events, 'event'),
    count(summary.customers, 'customer'),
    ...(mode === 'as-of' ? [] : [count(summary.differences, 'difference')]),
    ...(mode === 'rebuild' ? [`${summary.rewritten.toLocaleString('en-US')} rewritten`] : []),
    count(summary.invalid, 'invalid event'),
    `${(summary.elapsedMs / 1000).toFixed(2)} s`,
    `${summary.eventsPerSecond.toLocaleString('en-US')} events/s`,
  ];
  return `replay ${mode}: ${parts.join(', ')}`;
}

/** A readable block for one customer's status at a time. */
export function formatStatusAsOf(status: StatusAsOf): string {
  const endpoint = !status.configured ? 'not configured' : status.enabled ? 'enabled' : 'disabled';
  const lines = [
    `customer ${status.customerId} (version ${status.version}, webhook ${endpoint})${status.broken ? ' [log has invalid events]' : ''}`,
    `  cursor ${status.cursor}, delivered ${status.delivered}, last processed ${time(status.lastProcessedAt)}`,
    status.attempts > 0
      ? `  failing: head ${status.failingFrom ?? '?'}, attempt ${status.attempts}, last failure ${time(status.lastFailureAt)}, next attempt ${time(status.nextAttemptAt)}`
      : '  not failing',
    ...status.recentFailures.map(formatFailure),
  ];
  return lines.join('\n');
}

function formatFailure(failure: FailureRecord): string {
  const ids =
    failure.webhookId === failure.lastWebhookId
      ? `${failure.webhookId}`
      : `${failure.webhookId}-${failure.lastWebhookId}`;
  const status = failure.statusCode === null ? 'no response' : `HTTP ${failure.statusCode}`;
  return `  failed ${ids} ${failure.event}: ${status}, attempt ${failure.attempts}, ${time(failure.failedAt)}: ${failure.error}`;
}
