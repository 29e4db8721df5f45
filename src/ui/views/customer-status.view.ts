import type { CustomerStatus, FailureRecord } from '../../../libs/domain/index.js';
import { relativeTime } from './format.js';
import { html, type SafeHtml } from './html.js';

/**
 * The parts of the customer page that change: rendered by the server for the first paint and by
 * the page's script on every poll, from the same functions, so both always agree.
 */

/** "Empty", "Waiting to send N" or "Stalled", with what it means underneath. */
export function queueSummary(status: CustomerStatus, now: number): SafeHtml {
  switch (status.queue) {
    case 'empty':
      return html`<p class="state state-empty">Empty</p>
        <p class="detail">Every message has been delivered.</p>`;
    case 'waiting':
      return html`<p class="state state-waiting">Waiting to send ${status.pending}</p>
        <p class="detail">Being delivered in order.</p>`;
    case 'stalled':
      return html`<p class="state state-stalled">Stalled</p>
        <p class="detail">${stalledDetail(status, now)}</p>`;
    default: {
      const unknown: never = status.queue;
      return html`<p class="state">${String(unknown)}</p>`;
    }
  }
}

function stalledDetail(status: CustomerStatus, now: number): SafeHtml {
  const waiting = `${status.pending} ${status.pending === 1 ? 'message' : 'messages'} waiting`;
  if (!status.enabled) {
    return html`${waiting}; webhooks are disabled, nothing is sent until they are enabled again.`;
  }
  if (status.stepFailure !== null) {
    // Nothing was sent or recorded: Hookpost itself cannot take the next step (its database or NATS
    // fails), and retries on its own; the failure list would not say so.
    const { count, error, since } = status.stepFailure;
    return html`${waiting}; Hookpost cannot take the next step (${count} failed tries, the first
    ${relativeTime(since, now, 'ago', '')}: ${error}) and keeps trying.`;
  }
  return html`${waiting} behind a failed delivery; next attempt
  ${relativeTime(status.nextAttemptAt, now, 'until', 'not scheduled')}.`;
}

/** How long ago the last message was delivered (the page's clock keeps it current). */
export function lastProcessed(status: CustomerStatus, now: number): SafeHtml {
  return html`<p class="state">${relativeTime(status.lastProcessedAt, now, 'ago', 'Never')}</p>`;
}

/**
 * The recent failures, newest first. Only the oldest waiting payload (the head) is attempted next;
 * the others wait behind it, in order.
 */
export function failureList(status: CustomerStatus, now: number): SafeHtml {
  if (status.recentFailures.length === 0) {
    return html`<p class="empty-list">No recent failures.</p>`;
  }
  const headId = Math.min(...status.recentFailures.map((failure) => failure.webhookId));
  return html`<table class="failures">
    <caption class="visually-hidden">
      The ${status.recentFailures.length} most recent failed deliveries still waiting, newest first
    </caption>
    <thead>
      <tr>
        <th scope="col">Webhook ID</th>
        <th scope="col">Event</th>
        <th scope="col">Attempts</th>
        <th scope="col">Result</th>
        <th scope="col">When</th>
        <th scope="col">Next attempt</th>
      </tr>
    </thead>
    <tbody>
      ${status.recentFailures.map((failure) => failureRow(failure, headId, status, now))}
    </tbody>
  </table>`;
}

function failureRow(failure: FailureRecord, headId: number, status: CustomerStatus, now: number): SafeHtml {
  const ids =
    failure.lastWebhookId === failure.webhookId
      ? String(failure.webhookId)
      : `${failure.webhookId}–${failure.lastWebhookId}`;
  // The error reads "HTTP 503: <start of the body>" or names the network failure; long bodies are cut.
  const result = failure.error.length > 120 ? `${failure.error.slice(0, 119)}…` : failure.error;
  const next =
    failure.webhookId === headId
      ? relativeTime(status.nextAttemptAt, now, 'until', status.enabled ? 'not scheduled' : 'paused')
      : html`after #${headId}`;
  return html`<tr>
    <td data-label="Webhook ID">${ids}</td>
    <td data-label="Event">${failure.event}</td>
    <td data-label="Attempts">${failure.attempts}</td>
    <td data-label="Result" title="${failure.error}">${result}</td>
    <td data-label="When">${relativeTime(failure.failedAt, now, 'ago', '')}</td>
    <td data-label="Next attempt">${next}</td>
  </tr>`;
}
