import type { QueueState } from '../../../libs/domain/index.js';
import { overviewBody, STATE_ORDER, type OverviewCounts, type OverviewRow } from '../views/overview.view.js';
import { storeAdminToken, storedAdminToken } from './admin-token.js';
import { callApi, errorMessage } from './api.js';
import { announce, byId, renderInto, startClock } from './dom.js';

/** The operator overview's script: asks for the admin token once per tab, then polls every 5 s. */

const POLL_MS = 5_000;
/** Rows fetched per state: all stalled and waiting customers up to this many, and the first empty ones. */
const PAGE_LIMIT = 1_000;
const EMPTY_SHOWN = 100;

const form = document.getElementById('sign-in') as HTMLFormElement | null;
if (form !== null) {
  start(form);
}

function start(form: HTMLFormElement): void {
  const result = byId('overview-result');
  let timer: ReturnType<typeof setTimeout> | undefined;

  const refresh = async (token: string): Promise<void> => {
    clearTimeout(timer);
    const loaded = await load(token);
    if (typeof loaded === 'string') {
      announce(result, loaded, 'error');
      if (loaded.startsWith('401')) {
        storeAdminToken(null);
        form.hidden = false;
        return;
      }
    } else {
      form.hidden = true;
      announce(result, '', 'ok');
      renderInto(
        byId('overview'),
        overviewBody(loaded.counts, loaded.rows, Date.now(), document.documentElement.dataset.root ?? '/'),
      );
    }
    timer = setTimeout(() => void refresh(token), POLL_MS);
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = byId<HTMLInputElement>('admin-token').value.trim();
    storeAdminToken(token);
    void refresh(token);
  });
  startClock();
  const token = storedAdminToken();
  if (token !== null) {
    void refresh(token);
  }
}

/** The counts and the rows, stalled first; an error message ("401: ...") when the API refuses. */
async function load(token: string): Promise<{ counts: OverviewCounts; rows: OverviewRow[] } | string> {
  const summary = await callApi('GET', 'v1/status/summary', token);
  if (!summary.ok) {
    return `${summary.status}: ${errorMessage(summary)}`;
  }
  const rows: OverviewRow[] = [];
  for (const state of STATE_ORDER) {
    const page = await callApi('GET', `v1/status?queue=${state}&limit=${limit(state)}`, token);
    if (!page.ok) {
      return `${page.status}: ${errorMessage(page)}`;
    }
    rows.push(...(page.body as { customers: OverviewRow[] }).customers);
  }
  return { counts: summary.body as OverviewCounts, rows };
}

function limit(state: QueueState): number {
  return state === 'empty' ? EMPTY_SHOWN : PAGE_LIMIT;
}
