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

/** Rows per page of each state's list. */
export const OVERVIEW_PAGE_SIZE = 100;

/** The operator overview's shell: the admin token form and the filters; the script fills in the customers. */
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
      <form id="filters" class="panel filters" role="search" hidden>
        <div class="field">
          <label for="prefix">Customer id starts with</label>
          <input id="prefix" name="prefix" type="search" autocomplete="off" maxlength="64" />
        </div>
        <div class="field">
          <label for="order">Order</label>
          <select id="order" name="order">
            <option value="id">Customer id</option>
            <option value="oldest">Oldest pending message first</option>
          </select>
        </div>
        <button type="submit">Search</button>
      </form>
      <p id="overview-result" class="notice" role="status" aria-live="polite"></p>
      <div id="overview"></div>
      <div id="instances"></div>
    </main>`,
  });
}

/** One state's page of the overview: its rows, which page it is and whether another follows. */
export interface OverviewSection {
  readonly state: QueueState;
  readonly rows: readonly OverviewRow[];
  /** 0 for the first page. */
  readonly page: number;
  readonly hasNext: boolean;
}

/**
 * The counts per state, then one table per state (stalled, waiting, empty), each a page of its
 * customers with Previous and Next, each row linking to the customer's page.
 */
export function overviewBody(
  counts: OverviewCounts,
  sections: readonly OverviewSection[],
  now: number,
  root: string,
): SafeHtml {
  const ordered = STATE_ORDER.flatMap((state) => sections.filter((section) => section.state === state));
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
    ${ordered.map((section) => stateSection(section, now, root))}`;
}

function stateSection({ state, rows, page, hasNext }: OverviewSection, now: number, root: string): SafeHtml {
  const title = `customers-${state}`;
  return html`<section class="panel" aria-labelledby="${title}">
    <h2 id="${title}">${STATE_LABELS[state]} customers</h2>
    ${
      rows.length === 0
        ? html`<p class="empty-list">${page === 0 ? 'None.' : 'No more.'}</p>`
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
              ${rows.map((row) => customerRow(row, now, root))}
            </tbody>
          </table>`
    }
    ${
      page > 0 || hasNext
        ? html`<nav class="pager" aria-label="${STATE_LABELS[state]} pages">
            <button
              type="button"
              data-state="${state}"
              data-page="previous"
              ${page === 0 ? html`disabled` : null}
            >
              Previous
            </button>
            <span class="detail">Page ${page + 1}</span>
            <button type="button" data-state="${state}" data-page="next" ${hasNext ? null : html`disabled`}>
              Next
            </button>
          </nav>`
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

/** `GET /v1/cluster` as the overview reads it. */
export interface OverviewCluster {
  readonly partitions: number;
  readonly instances: ReadonlyArray<{
    readonly instanceId: string;
    readonly partitions: readonly number[];
    readonly renewedAt: string;
  }>;
  readonly relay: { readonly instanceId: string } | null;
}

/** The live instances (from the same view as GET /v1/cluster): partitions owned, last renewal, the feed's relay. */
export function instancesSection(cluster: OverviewCluster, now: number): SafeHtml {
  const relay = cluster.relay?.instanceId ?? null;
  return html`<section class="panel" aria-labelledby="instances-title">
    <h2 id="instances-title">Instances</h2>
    <p class="detail">
      ${cluster.partitions} partitions. The outbound event feed runs on ${relay ?? 'no instance right now'}.
    </p>
    ${
      cluster.instances.length === 0
        ? html`<p class="empty-list">None.</p>`
        : html`<table class="customers">
            <thead>
              <tr>
                <th scope="col">Instance</th>
                <th scope="col">Partitions</th>
                <th scope="col">Renewed</th>
                <th scope="col">Event feed</th>
              </tr>
            </thead>
            <tbody>
              ${cluster.instances.map(
                (instance) =>
                  html`<tr>
                    <th scope="row" data-label="Instance">${instance.instanceId}</th>
                    <td data-label="Partitions">${instance.partitions.length}</td>
                    <td data-label="Renewed">
                      ${relativeTime(Date.parse(instance.renewedAt), now, 'ago', 'never')}
                    </td>
                    <td data-label="Event feed">${instance.instanceId === relay ? 'Runs it' : '—'}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
  </section>`;
}
