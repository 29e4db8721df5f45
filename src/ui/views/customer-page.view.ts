import type { CustomerStatus } from '../../../libs/domain/index.js';
import { failureList, lastProcessed, queueSummary } from './customer-status.view.js';
import { relativeTime } from './format.js';
import { html, type SafeHtml } from './html.js';
import { layout } from './layout.js';

/** What the customer page is rendered from. */
export interface CustomerPageModel {
  readonly customerId: string;
  readonly root: string;
  /** The status link the page was opened with; null for an operator (admin token from the overview). */
  readonly link: { token: string; expiresAt: number } | null;
  /** Show Retry and Refresh (a link with actions, or an operator). */
  readonly actions: boolean;
  /** The first paint's status; null when the script has to fetch it (operator). */
  readonly status: CustomerStatus | null;
  readonly now: number;
}

/**
 * "Webhook status" as Passfort shows it: Queue, Last processed, Recent failures, Refresh and Retry.
 * The regions the script updates carry ids. They are not live regions (their relative times tick):
 * a change of queue state and the buttons' results are announced in polite live regions instead.
 */
export function customerPage(model: CustomerPageModel): string {
  const { status, now } = model;
  const loading = html`<p class="detail">Loading…</p>`;
  return layout({
    title: `Webhook status · ${model.customerId}`,
    root: model.root,
    script: 'customer-page',
    body: html`<main
      class="page"
      data-customer="${model.customerId}"
      data-token="${model.link?.token ?? ''}"
      data-actions="${model.actions ? 'true' : 'false'}"
    >
      <header class="page-head">
        <h1>Webhook status</h1>
        <p class="subtitle">Customer <strong>${model.customerId}</strong></p>
      </header>
      <div class="cards">
        <section class="card" aria-labelledby="queue-title">
          <h2 id="queue-title">Queue</h2>
          <div id="queue">${status === null ? loading : queueSummary(status, now)}</div>
        </section>
        <section class="card" aria-labelledby="processed-title">
          <h2 id="processed-title">Last processed</h2>
          <div id="last-processed">${status === null ? loading : lastProcessed(status, now)}</div>
        </section>
      </div>
      <p id="queue-change" class="visually-hidden" role="status" aria-live="polite"></p>
      <section class="panel" aria-labelledby="failures-title">
        <div class="panel-head">
          <h2 id="failures-title">Recent failures</h2>
          ${model.actions ? actionButtons() : null}
        </div>
        <p id="action-result" class="notice" role="status" aria-live="polite"></p>
        <div id="failures">${status === null ? loading : failureList(status, now)}</div>
      </section>
      <footer class="page-foot">
        <p id="connection" class="detail">Updates every 2 seconds while this page is open.</p>
        ${
          model.link === null
            ? null
            : html`<p class="detail">
                This link expires ${relativeTime(model.link.expiresAt, now, 'until', '')}.
              </p>`
        }
      </footer>
    </main>`,
  });
}

function actionButtons(): SafeHtml {
  return html`<div class="actions">
    <button type="button" id="refresh" aria-describedby="refresh-help">Refresh</button>
    <button type="button" id="retry" aria-describedby="retry-help">Retry</button>
    <p id="refresh-help" class="visually-hidden">Clears the recent failures; the queue is untouched.</p>
    <p id="retry-help" class="visually-hidden">
      Sends the oldest waiting message now, without waiting for the backoff.
    </p>
  </div>`;
}
