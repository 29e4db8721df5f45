import { statusOf } from '../../../libs/domain/spec-support.js';
import { failureList, lastProcessed, queueSummary } from './customer-status.view.js';
import { customerPage } from './customer-page.view.js';
import { formatDuration, relativeText } from './format.js';
import { html } from './html.js';
import { instancesSection, overviewBody, type OverviewRow } from './overview.view.js';

const NOW = 1_764_000_000_000;
const text = (markup: { value: string }) =>
  markup.value
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
const status = statusOf;
const failure = {
  webhookId: 7,
  lastWebhookId: 7,
  event: 'CHECK_COMPLETED',
  attempts: 2,
  statusCode: 503,
  error: 'HTTP 503: <img src=x onerror=alert(1)>',
  failedAt: NOW - 5_000,
};

describe('status page views', () => {
  test('html escapes every interpolated value and keeps nested html as it is', () => {
    const name = `"><script>alert('x')</script>&`;
    expect(html`<p title="${name}">${name}${html`<b>ok</b>`}${[1, null, false, 'a']}</p>`.value).toBe(
      '<p title="&#34;&#62;&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;&#38;">' +
        '&#34;&#62;&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;&#38;<b>ok</b>1a</p>',
    );
  });

  test('durations read coarse, relative times in both directions', () => {
    expect([0, 45_000, 89_000, 90_000, 3_600_000, 7_200_000, 3 * 86_400_000].map(formatDuration)).toEqual([
      '0 s',
      '45 s',
      '89 s',
      '2 min',
      '60 min',
      '2 h',
      '3 days',
    ]);
    expect(relativeText(NOW - 12_000, NOW, 'ago')).toBe('12 s ago');
    expect(relativeText(NOW + 600_000, NOW, 'until')).toBe('in 10 min');
    expect(relativeText(NOW - 1, NOW, 'until')).toBe('due now');
  });

  test('the queue reads Empty, Waiting to send N, or Stalled with why and when it is tried next', () => {
    expect(text(queueSummary(status(), NOW))).toBe('Empty Every message has been delivered.');
    expect(text(queueSummary(status({ queue: 'waiting', pending: 4 }), NOW))).toBe(
      'Waiting to send 4 Being delivered in order.',
    );
    const stalled = status({ queue: 'stalled', pending: 1, attempts: 2, nextAttemptAt: NOW + 60_000 });
    expect(text(queueSummary(stalled, NOW))).toBe(
      'Stalled 1 message waiting behind a failed delivery; next attempt in 60 s .',
    );
    expect(text(queueSummary({ ...stalled, enabled: false }, NOW))).toContain('webhooks are disabled');
    const stepFailure = { since: NOW - 90_000, count: 12, error: 'Connection terminated <unexpectedly>' };
    const stepping = text(queueSummary({ ...stalled, stepFailure }, NOW));
    expect(stepping).toBe(
      'Stalled 1 message waiting; Hookpost cannot take the next step (12 failed tries, the first 2 min ago : Connection terminated &#60;unexpectedly&#62;) and keeps trying.',
    );
    expect(text(lastProcessed(status(), NOW))).toBe('Never');
    expect(lastProcessed(status({ lastProcessedAt: NOW - 3_000 }), NOW).value).toMatch(
      new RegExp(`data-at="${NOW - 3_000}"\\s+data-relative="ago"\\s*>3 s ago</time`),
    );
  });

  test('failures: escaped, the head carries the next attempt, the others wait behind it', () => {
    const older = {
      ...failure,
      webhookId: 5,
      lastWebhookId: 6,
      error: 'connection refused',
      statusCode: null,
    };
    const markup = failureList(
      status({ queue: 'stalled', pending: 3, nextAttemptAt: NOW + 30_000, recentFailures: [failure, older] }),
      NOW,
    ).value;
    expect(markup).not.toContain('<img');
    expect(markup).toContain('&#60;img src=x onerror=alert(1)&#62;');
    const rows = markup
      .split('<tr>')
      .slice(2)
      .map((row) => text({ value: row }));
    expect(rows).toEqual([
      '7 CHECK_COMPLETED 2 HTTP 503: &#60;img src=x onerror=alert(1)&#62; 5 s ago after #5',
      '5–6 CHECK_COMPLETED 2 connection refused 5 s ago in 30 s',
    ]);
    expect(text(failureList(status(), NOW))).toBe('No recent failures.');
  });

  test('the customer page carries its link and shows the buttons only when it may act', () => {
    const page = (actions: boolean) =>
      customerPage({
        customerId: 'acme',
        root: '../../',
        link: { token: 'tok.en', expiresAt: NOW + 3_600_000 },
        actions,
        status: status(),
        now: NOW,
      });
    expect(page(false)).not.toContain('<button');
    expect(page(true)).toContain('<button type="button" id="retry"');
    expect(page(true)).toContain('data-token="tok.en"');
    expect(page(true)).toContain('<script type="module" src="../../ui/assets/client/customer-page.js">');
    expect(page(true)).not.toMatch(/<script>|style="/);
  });

  test('the overview puts stalled customers first, then waiting, then empty', () => {
    const row = (customerId: string, queue: OverviewRow['queue']): OverviewRow => ({
      ...status({ customerId, queue, pending: queue === 'empty' ? 0 : 1 }),
      oldestPendingAt: queue === 'empty' ? null : NOW - 120_000,
    });
    const section = (state: OverviewRow['queue'], ...ids: string[]) => ({
      state,
      rows: ids.map((id) => row(id, state)),
      page: 0,
      hasNext: false,
    });
    const markup = overviewBody(
      { customers: { stalled: 1, waiting: 1, empty: 1 }, pending: 2 },
      [section('empty', 'a-empty'), section('waiting', 'b-waiting'), section('stalled', 'c-stalled')],
      NOW,
      './',
    ).value;
    const order = [...markup.matchAll(/href="\.\/ui\/customers\/([^"]+)"/g)].map((match) => match[1]);
    expect(order).toEqual(['c-stalled', 'b-waiting', 'a-empty']);
    expect(text({ value: markup })).toContain('c-stalled Stalled 1 2 min ago never 0');
    expect(markup).not.toContain('data-page'); // one page each: no pager
  });

  test('a state with more pages gets Previous and Next, disabled where there is nothing', () => {
    const rows = [{ ...status({ customerId: 'w1', queue: 'waiting', pending: 1 }), oldestPendingAt: NOW }];
    const first = overviewBody(
      { customers: { stalled: 0, waiting: 250, empty: 0 }, pending: 250 },
      [{ state: 'waiting', rows, page: 0, hasNext: true }],
      NOW,
      './',
    ).value;
    expect(first).toMatch(/data-page="previous"\s+disabled/);
    expect(first).not.toMatch(/data-page="next"\s+disabled/);
    expect(text({ value: first })).toContain('Page 1');
    const last = overviewBody(
      { customers: { stalled: 0, waiting: 250, empty: 0 }, pending: 250 },
      [{ state: 'waiting', rows, page: 2, hasNext: false }],
      NOW,
      './',
    ).value;
    expect(last).toMatch(/data-page="next"\s+disabled/);
    expect(text({ value: last })).toContain('Page 3');
  });

  test('the instances: partitions owned, last renewal, and which one runs the event feed', () => {
    const renewedAt = new Date(NOW - 3_000).toISOString();
    const cluster = {
      partitions: 128,
      instances: [
        { instanceId: 'one', partitions: [0, 1, 2], renewedAt },
        { instanceId: '<two>', partitions: [], renewedAt },
      ],
      relay: { instanceId: 'one' },
    };
    const markup = instancesSection(cluster, NOW);
    expect(text(markup)).toContain('128 partitions. The outbound event feed runs on one.');
    expect(text(markup)).toContain('one 3 3 s ago Runs it');
    expect(text(markup)).toContain('&#60;two&#62; 0 3 s ago —');
    expect(text(instancesSection({ ...cluster, instances: [], relay: null }, NOW))).toContain(
      'runs on no instance right now. None.',
    );
  });
});
