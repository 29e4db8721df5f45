import type { CustomerStatus, FailureRecord } from '../../libs/domain/index.js';

/** "in 4 s", "12 s ago", "-": how far a time is from `now`, at a glance. */
export function relativeTime(at: number | null, now: number): string {
  if (at === null) {
    return '-';
  }
  const seconds = Math.round((at - now) / 1000);
  if (seconds === 0) {
    return 'now';
  }
  const span =
    Math.abs(seconds) < 120 ? `${Math.abs(seconds)} s` : `${Math.round(Math.abs(seconds) / 60)} min`;
  return seconds >= 0 ? `in ${span}` : `${span} ago`;
}

const when = (at: number | null, now: number) =>
  at === null ? 'never' : `${new Date(at).toISOString()} (${relativeTime(at, now)})`;

/** One customer's status as a readable block: the headline, the schedule, then recent failures. */
export function formatStatus(status: CustomerStatus, now: number): string {
  const lines = [
    `customer ${status.customerId}: ${status.queue}, ${status.pending} pending, webhook ${status.enabled ? 'enabled' : 'disabled or not configured'}`,
    `  attempts ${status.attempts}, next attempt ${when(status.nextAttemptAt, now)}`,
    `  last processed ${when(status.lastProcessedAt, now)}`,
  ];
  if (status.stepFailure !== null) {
    const { count, error, since } = status.stepFailure;
    lines.push(`  steps failing: ${count} since ${when(since, now)}: ${error}`);
  }
  if (status.recentFailures.length > 0) {
    lines.push('  recent failures (newest first):');
    lines.push(...status.recentFailures.map((failure) => `    ${formatFailure(failure, now)}`));
  }
  return lines.join('\n');
}

/** Several customers as an aligned table (the status list and the demo's live view). */
export function formatStatusTable(statuses: readonly CustomerStatus[], now: number): string {
  const rows = [
    ['CUSTOMER', 'QUEUE', 'PENDING', 'ATTEMPTS', 'NEXT ATTEMPT', 'LAST PROCESSED', 'LAST FAILURE'],
    ...statuses.map((status) => {
      const failure = status.recentFailures[0];
      return [
        status.customerId,
        status.queue,
        String(status.pending),
        String(status.attempts),
        relativeTime(status.nextAttemptAt, now),
        relativeTime(status.lastProcessedAt, now),
        failure === undefined ? '-' : `${failure.webhookId}: ${failure.error}`.slice(0, 40),
      ];
    }),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function formatFailure(failure: FailureRecord, now: number): string {
  const ids =
    failure.webhookId === failure.lastWebhookId
      ? `${failure.webhookId}`
      : `${failure.webhookId}-${failure.lastWebhookId}`;
  const status = failure.statusCode === null ? 'no response' : `HTTP ${failure.statusCode}`;
  return `${ids} ${failure.event}: ${status}, attempt ${failure.attempts}, ${relativeTime(failure.failedAt, now)}: ${failure.error}`;
}
