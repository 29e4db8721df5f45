import type { CustomerStatus } from '../../../libs/domain/index.js';
import { failureList, lastProcessed, queueSummary } from '../views/customer-status.view.js';
import { storedAdminToken } from './admin-token.js';
import { callApi, errorMessage, type ApiReply } from './api.js';
import { announce, byId, renderInto, startClock } from './dom.js';

/** The customer page's script: polls the status every 2 s, keeps times current, runs Refresh and Retry. */

const POLL_MS = 2_000;
const QUEUE_NAMES = { empty: 'Empty', waiting: 'Waiting', stalled: 'Stalled' } as const;

const main = document.querySelector<HTMLElement>('main[data-customer]');
if (main !== null) {
  start(main);
}

function start(main: HTMLElement): void {
  const customerId = main.dataset.customer ?? '';
  // A status link's token, else the operator's admin token from the overview.
  const token = main.dataset.token || storedAdminToken();
  const connection = byId('connection');
  if (token === null) {
    announce(connection, 'Open this page from a status link, or sign in on the overview first.', 'error');
    return;
  }
  const base = `v1/customers/${encodeURIComponent(customerId)}/webhook`;
  let shownQueue: CustomerStatus['queue'] | null = null;

  const show = (status: CustomerStatus) => {
    const now = Date.now();
    renderInto(byId('queue'), queueSummary(status, now));
    renderInto(byId('last-processed'), lastProcessed(status, now));
    renderInto(byId('failures'), failureList(status, now));
    if (shownQueue !== null && shownQueue !== status.queue) {
      byId('queue-change').textContent = `The queue is now ${QUEUE_NAMES[status.queue]}.`;
    }
    shownQueue = status.queue;
  };

  const poll = async () => {
    // A tab nobody looks at asks nothing; it catches up within a poll of being shown again.
    if (!document.hidden) {
      const reply = await callApi('GET', `${base}/status`, token);
      if (reply.ok) {
        show(reply.body as CustomerStatus);
        announce(connection, 'Updates every 2 seconds while this page is open.', 'ok');
      } else {
        announce(connection, `Not updated: ${errorMessage(reply)}`, 'error');
      }
    }
    setTimeout(() => void poll(), POLL_MS);
  };

  const result = byId('action-result');
  const act = async (
    button: HTMLButtonElement,
    action: 'refresh' | 'retry',
    done: (reply: ApiReply) => string,
  ) => {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    const reply = await callApi('POST', `${base}/${action}`, token);
    if (reply.ok) {
      show(reply.body as CustomerStatus);
      announce(result, done(reply), 'ok');
    } else {
      announce(result, `${button.textContent ?? action} failed: ${errorMessage(reply)}`, 'error');
    }
    button.disabled = false;
    button.removeAttribute('aria-busy');
  };

  document.getElementById('refresh')?.addEventListener('click', (event) => {
    void act(event.currentTarget as HTMLButtonElement, 'refresh', () => 'Recent failures cleared.');
  });
  document.getElementById('retry')?.addEventListener('click', (event) => {
    void act(event.currentTarget as HTMLButtonElement, 'retry', (reply) =>
      (reply.body as CustomerStatus).queue === 'empty'
        ? 'Retried: the queue is empty.'
        : 'Retry requested: the oldest waiting message is being sent now.',
    );
  });
  startClock();
  void poll();
}
