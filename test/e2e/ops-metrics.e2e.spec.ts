import { readFileSync } from 'node:fs';
import { startHarness, type Harness } from './harness.js';
import { until } from '../support/until.js';

/** Every metric name a text mentions (PromQL expressions, or the whole rules file with its comments). */
function metricNamesIn(text: string): Set<string> {
  return new Set(text.match(/\bhookpost_[a-z0-9_]+\b/g) ?? []);
}

/** The names of the samples in a Prometheus text scrape (histogram series as _bucket, _sum, _count). */
function exportedNames(scrape: string): Set<string> {
  return new Set(
    scrape
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? ''),
  );
}

/** This instance's HOOKPOST_INSTANCE_ID: the `instance_id` label of every series it exports. */
const INSTANCE_ID = 'ops-1';

/** One unlabelled gauge's value, e.g. `gauge(scrape, 'hookpost_ready')` (its only label the instance's). */
function gauge(scrape: string, name: string): number {
  const prefix = `${name}{instance_id="${INSTANCE_ID}"} `;
  const line = scrape.split('\n').find((candidate) => candidate.startsWith(prefix));
  return line === undefined ? Number.NaN : Number(line.slice(prefix.length));
}

describe('the alerting rules and the dashboard against the real /metrics', () => {
  let h: Harness;
  const scrape = async () => (await fetch(`${h.service.url}/metrics`)).text();

  beforeAll(async () => {
    // Stall alerts after half a second, so one failing customer has an open QueueStalled at once.
    h = await startHarness({ HOOKPOST_STALL_ALERT_MS: '500', HOOKPOST_INSTANCE_ID: INSTANCE_ID });
    h.receiver.respondWith((req) =>
      req.path === '/down' ? { status: 503, body: 'down' } : { status: 200, body: '{}' },
    );
  });

  afterAll(() => h?.close());

  test('report the oldest pending message, the stalled customers, readiness and the deliverer', async () => {
    const before = Date.now();
    await h.publish('held', 'CHECK_COMPLETED', { n: 1 }); // no endpoint: held, the oldest pending message
    const after = Date.now();
    await h.configure('down');
    await h.configure('fine');
    await h.publish('down', 'CHECK_COMPLETED', { n: 2 });
    await h.publish('fine', 'CHECK_COMPLETED', { n: 3 });
    await until(
      async () => gauge(await scrape(), 'hookpost_customers_stall_alerted') === 1,
      'the failing customer to be stall-alerted',
      15_000,
      100,
    );
    const text = await scrape();
    const age = gauge(text, 'hookpost_oldest_pending_age_seconds');
    const now = Date.now();
    expect(age).toBeGreaterThanOrEqual((now - after) / 1000 - 1);
    expect(age).toBeLessThanOrEqual((now - before) / 1000 + 1);
    expect(gauge(text, 'hookpost_ready')).toBe(1);
    expect(gauge(text, 'hookpost_delivering')).toBe(1);
  }, 60_000);

  test('every metric the rules and the dashboard name is one the service exports', async () => {
    await until(
      async () => /hookpost_deliveries_total\{outcome="success"/.test(await scrape()),
      'a delivery',
    );
    const text = await scrape();
    const exported = exportedNames(text);
    // Every sample carries the instance's id, so instances sharing a namespace stay apart.
    const samples = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    expect(samples.filter((line) => !line.includes(`instance_id="${INSTANCE_ID}"`))).toEqual([]);
    const rules = readFileSync('docs/ops/alerts.yml', 'utf8');
    const dashboard = JSON.parse(readFileSync('docs/ops/grafana-dashboard.json', 'utf8')) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const queries = dashboard.panels.flatMap((panel) => panel.targets ?? []).map(({ expr }) => expr);
    expect(queries.length).toBeGreaterThan(10);
    const named = new Set([...metricNamesIn(rules), ...queries.flatMap((expr) => [...metricNamesIn(expr)])]);
    expect(named.size).toBeGreaterThan(10);
    expect([...named].filter((name) => !exported.has(name))).toEqual([]);
  }, 60_000);
});
