import type { CustomerStatus, QueueState } from '../../../libs/domain/index.js';
import { relativeTime } from './format.js';
import { html, type SafeHtml } from './html.js';
import { layout } from './layout.js';

/** A row of `GET /v1/status`: the status plus when its oldest pending message was accepted. */
export type OverviewRow = CustomerStatus & { readonly oldestPendingAt: number | null };

/** `GET /v1/status/summary`. */
export interface OverviewCounts {
  readonly customers: Readonly<Record<QueueState, number>>;
  readonly pending: number;
}

const STATE_LABELS: Record<QueueState, string> = { stalled: 'Stalled', waiting: 'Waiting', empty: 'Empty' };
/** The order operators read in: what needs them first. */
export const STATE_ORDER: readonly QueueState[] = ['stalled', 'waiting', 'empty'];

/** The operator overview's shell: the admin token form; the script fills in the customers. */
export function overviewPage(root: string): string {
  return layout({
    title: 'Webhook status · all customers · Hookpost',
    root,
    script: 'overview-page',
    body: html`<main class="page" data-overview>
      <header class="page-head">
        <h1>Webhook status</h1>
        <p class="subtitle">All customers, stalled first</p>
      </header>
      <form id="sign-in" class="panel sign-in">
        <label for="admin-token">Admin token</label>
        <p id="admin-token-help" class="detail">
          HOOKPOST_ADMIN_TOKEN. Kept in this browser tab only (session storage).
        </p>
        <div class="inline-field">
          <input
            id="admin-token"
            name="admin-token"
            type="password"
            autocomplete="off"
            required
            aria-describedby="admin-token-help"
          />
          <button type="submit">Show customers</button>
        </div>
      </form>
      <p id="overview-result" class="notice" role="status" aria-live="polite"></p>
      <div id="overview"></div>
    </main>`,
  });
}

/**
 * The counts per state and one table of customers, stalled first, then waiting, then empty, each
 * linking to the customer's page. `shown` may be fewer than the counts (the script pages the lists).
 */
export function overviewBody(
  counts: OverviewCounts,
  rows: readonly OverviewRow[],
  now: number,
  root: string,
): SafeHtml {
  const ordered = STATE_ORDER.flatMap((state) => rows.filter((row) => row.queue === state));
  return html`<section class="cards" aria-label="Customers per state">
      ${STATE_ORDER.map(
        (state) =>
          html`<div class="card">
            <h2>${STATE_LABELS[state]}</h2>
            <p class="state state-${state}">${counts.customers[state]}</p>
          </div>`,
      )}
      <div class="card">
        <h2>Pending messages</h2>
        <p class="state">${counts.pending}</p>
      </div>
    </section>
    <section class="panel" aria-labelledby="customers-title">
      <h2 id="customers-title">Customers</h2>
      ${
        ordered.length === 0
          ? html`<p class="empty-list">No customers yet.</p>`
          : html`<table class="customers">
              <thead>
                <tr>
                  <th scope="col">Customer</th>
                  <th scope="col">Queue</th>
                  <th scope="col">Pending</th>
                  <th scope="col">Oldest pending</th>
                  <th scope="col">Last processed</th>
                  <th scope="col">Attempts</th>
                </tr>
              </thead>
              <tbody>
                ${ordered.map((row) => customerRow(row, now, root))}
              </tbody>
            </table>`
      }
      ${
        ordered.length < counts.customers.stalled + counts.customers.waiting + counts.customers.empty
          ? html`<p class="detail">
              Showing ${ordered.length}: every stalled and waiting customer, then the first empty ones.
            </p>`
          : null
      }
    </section>`;
}

function customerRow(row: OverviewRow, now: number, root: string): SafeHtml {
  return html`<tr>
    <th scope="row" data-label="Customer">
      <a href="${root}ui/customers/${encodeURIComponent(row.customerId)}">${row.customerId}</a>
    </th>
    <td data-label="Queue"><span class="badge badge-${row.queue}">${STATE_LABELS[row.queue]}</span></td>
    <td data-label="Pending">${row.pending}</td>
    <td data-label="Oldest pending">
      ${row.oldestPendingAt === null ? '—' : relativeTime(row.oldestPendingAt, now, 'ago', '')}
    </td>
    <td data-label="Last processed">${relativeTime(row.lastProcessedAt, now, 'ago', 'never')}</td>
    <td data-label="Attempts">${row.attempts}</td>
  </tr>`;
}
