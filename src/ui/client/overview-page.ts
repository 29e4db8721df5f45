import type { QueueState } from '../../../libs/domain/index.js';
import {
  instancesSection,
  OVERVIEW_PAGE_SIZE,
  overviewBody,
  STATE_ORDER,
  type OverviewCluster,
  type OverviewCounts,
  type OverviewRow,
  type OverviewSection,
} from '../views/overview.view.js';
import { storeAdminToken, storedAdminToken } from './admin-token.js';
import { callApi, errorMessage } from './api.js';
import { announce, byId, renderInto, startClock } from './dom.js';

/**
 * The operator overview's script: asks for the admin token once per tab, then polls every 5 s.
 * Each state's list is paged on its own (keyset: the `after` of every page shown so far is kept,
 * so Previous goes back exactly); the prefix and the order apply to all three.
 */

const POLL_MS = 5_000;

/** What the operator chose: the filters and, per state, the `after` of each page up to the shown one. */
interface View {
  prefix: string;
  order: 'id' | 'oldest';
  afters: Record<QueueState, (string | null)[]>;
  /** The `next` each state's shown page answered with. */
  next: Record<QueueState, string | null>;
}

const firstPages = (): View['afters'] => ({ stalled: [null], waiting: [null], empty: [null] });

const form = document.getElementById('sign-in') as HTMLFormElement | null;
if (form !== null) {
  start(form);
}

function start(form: HTMLFormElement): void {
  const result = byId('overview-result');
  const filters = byId<HTMLFormElement>('filters');
  const view: View = {
    prefix: '',
    order: 'id',
    afters: firstPages(),
    next: { stalled: null, waiting: null, empty: null },
  };
  let token: string | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const refresh = async (): Promise<void> => {
    clearTimeout(timer);
    if (token === null) {
      return;
    }
    const loaded = await load(token, view);
    if (typeof loaded === 'string') {
      announce(result, loaded, 'error');
      if (loaded.startsWith('401')) {
        storeAdminToken(null);
        form.hidden = false;
        filters.hidden = true;
        return;
      }
    } else {
      form.hidden = true;
      filters.hidden = false;
      announce(result, '', 'ok');
      renderInto(
        byId('overview'),
        overviewBody(
          loaded.counts,
          loaded.sections,
          Date.now(),
          document.documentElement.dataset.root ?? '/',
        ),
      );
      renderInto(byId('instances'), instancesSection(loaded.cluster, Date.now()));
    }
    timer = setTimeout(() => void refresh(), POLL_MS);
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    token = byId<HTMLInputElement>('admin-token').value.trim();
    storeAdminToken(token);
    void refresh();
  });
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    view.prefix = byId<HTMLInputElement>('prefix').value.trim();
    view.order = byId<HTMLSelectElement>('order').value === 'oldest' ? 'oldest' : 'id';
    view.afters = firstPages();
    void refresh();
  });
  byId('overview').addEventListener('click', (event) => {
    const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-page]');
    const state = button?.dataset.state as QueueState | undefined;
    if (button === null || button === undefined || state === undefined || !STATE_ORDER.includes(state)) {
      return;
    }
    const afters = view.afters[state];
    if (button.dataset.page === 'next' && view.next[state] !== null) {
      afters.push(view.next[state]);
    } else if (button.dataset.page === 'previous' && afters.length > 1) {
      afters.pop();
    }
    void refresh();
  });
  startClock();
  token = storedAdminToken();
  void refresh();
}

/** The counts and each state's shown page; an error message ("401: ...") when the API refuses. */
async function load(
  token: string,
  view: View,
): Promise<{ counts: OverviewCounts; sections: OverviewSection[]; cluster: OverviewCluster } | string> {
  const summary = await callApi('GET', 'v1/status/summary', token);
  if (!summary.ok) {
    return `${summary.status}: ${errorMessage(summary)}`;
  }
  const cluster = await callApi('GET', 'v1/cluster', token);
  if (!cluster.ok) {
    return `${cluster.status}: ${errorMessage(cluster)}`;
  }
  const sections: OverviewSection[] = [];
  for (const state of STATE_ORDER) {
    const afters = view.afters[state];
    const after = afters.at(-1) ?? null;
    const query = new URLSearchParams({ queue: state, limit: String(OVERVIEW_PAGE_SIZE) });
    // Empty customers have no pending message to order by: they are always listed by id.
    query.set('order', state === 'empty' ? 'id' : view.order);
    if (view.prefix !== '') {
      query.set('prefix', view.prefix);
    }
    if (after !== null) {
      query.set('after', after);
    }
    const page = await callApi('GET', `v1/status?${query.toString()}`, token);
    if (!page.ok) {
      return `${page.status}: ${errorMessage(page)}`;
    }
    const { customers, next } = page.body as { customers: OverviewRow[]; next: string | null };
    view.next[state] = next;
    sections.push({ state, rows: customers, page: afters.length - 1, hasNext: next !== null });
  }
  return { counts: summary.body as OverviewCounts, sections, cluster: cluster.body as OverviewCluster };
}
