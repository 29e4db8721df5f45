import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { deriveLinkSigningKey } from '../../src/config/secrets.js';
import { signLink } from '../../src/links/link-token.js';
import { startBrowser, type TestBrowser } from '../support/browser.js';
import { customerOf, startHarness, waitForStatus, type Harness } from './harness.js';

// HOOKPOST_SCREENSHOTS=1 rewrites the screenshots in docs/ui (tracked files: CI leaves them alone).
const SCREENSHOTS = process.env.HOOKPOST_SCREENSHOTS === '1';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1100, height: 720 };

describe('the webhook status page in a real browser', () => {
  let h: Harness;
  let chromium: TestBrowser;
  let browser: Browser;
  let page: Page;
  // The test knows the service's key, so it can sign a link that has already expired.
  const encryptionKey = randomBytes(32);
  const down = new Set<string>();

  const post = (path: string, body?: unknown) => h.service.api('POST', path, body);
  const link = async (customerId: string, body: object = {}) => {
    const reply = await post(`/v1/customers/${customerId}/status-links`, body);
    expect(reply.status).toBe(201);
    return reply.body as { url: string; token: string; actions: boolean; expiresAt: number };
  };
  const withToken = (token: string, method: string, path: string) =>
    fetch(`${h.service.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } }).then(
      (response) => response.status,
    );
  const text = (selector: string) => page.locator(selector).innerText();
  const screenshot = async (name: string) => {
    if (SCREENSHOTS) {
      await mkdir('docs/ui', { recursive: true });
      await page.screenshot({ path: `docs/ui/${name}.png`, fullPage: true });
    }
  };
  // The page as a phone shows it, made as tall as its content: a full-page shot of a scrolling
  // page would be laid out with the scrollbar's width and captured without it.
  const phoneScreenshot = async (name: string) => {
    await page.setViewportSize(PHONE);
    const height = Number(await page.evaluate('document.documentElement.scrollHeight'));
    await page.setViewportSize({ width: PHONE.width, height: Math.max(PHONE.height, height) });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBe(PHONE.width); // no sideways scrolling
    await screenshot(name);
    await page.setViewportSize(DESKTOP);
  };

  beforeAll(async () => {
    [h, chromium] = await Promise.all([
      startHarness({
        HOOKPOST_BACKOFF_BASE_MS: '600000',
        HOOKPOST_ENCRYPTION_KEY: encryptionKey.toString('hex'),
      }),
      startBrowser(),
    ]);
    browser = chromium.browser;
    h.receiver.respondWith((request) =>
      down.has(customerOf(request)) ? { status: 503, body: 'upstream unavailable' } : { status: 200 },
    );
    page = await browser.newPage({ viewport: DESKTOP });
  }, 60_000);
  afterAll(async () => {
    // Both, even if one fails: a service left running would keep Jest from exiting.
    await Promise.allSettled([chromium?.close(), h?.close()]);
  });

  test('a customer whose endpoint fails shows Stalled with its failures, and the page keeps itself current', async () => {
    await h.configure('acme');
    await post('/v1/customers/acme/messages', { event: 'CHECK_STARTED', data: { n: 0 } });
    await waitForStatus(h, 'acme', (s) => s.lastProcessedAt !== null);
    down.add('acme');
    const first = await post('/v1/customers/acme/messages', { event: 'CHECK_COMPLETED', data: { n: 1 } });
    await post('/v1/customers/acme/messages', { event: 'CHECK_COMPLETED', data: { n: 2 } });
    await waitForStatus(h, 'acme', (s) => s.queue === 'stalled' && s.pending === 2);

    const issued = await link('acme', { actions: true });
    expect(issued.url).toBe(`${h.service.url}/ui/customers/acme?token=${issued.token}`);
    const response = await page.goto(issued.url);
    expect(response?.status()).toBe(200);
    const headers = response?.headers() ?? {};
    expect(headers['content-security-policy']).toContain("frame-ancestors 'self'");
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['cache-control']).toBe('no-store');

    expect(await text('#queue')).toMatch(
      /Stalled\s+2 messages waiting behind a failed delivery; next attempt in 10 min/,
    );
    const rows = page.locator('#failures tbody tr');
    await expect(rows.count()).resolves.toBe(1);
    const row = await rows.first().innerText();
    for (const cell of [
      String(first.body.webhookId),
      'CHECK_COMPLETED',
      'HTTP 503: upstream unavailable',
      'ago',
      'in 10 min',
    ]) {
      expect(row).toContain(cell);
    }
    // Last processed ticks every second without a reload...
    const before = await text('#last-processed');
    expect(before).toMatch(/^\d+ s ago$/);
    await page.locator('#last-processed', { hasNotText: before }).waitFor({ timeout: 3_000 });
    // ...and a message published meanwhile shows up within a poll.
    await post('/v1/customers/acme/messages', { event: 'CHECK_COMPLETED', data: { n: 3 } });
    await page.locator('#queue', { hasText: '3 messages waiting' }).waitFor({ timeout: 5_000 });
    await screenshot('customer-stalled');
    await phoneScreenshot('customer-stalled-phone');
  });

  test('Refresh empties the recent failures and says so; the queue stays stalled', async () => {
    // By keyboard: a real button takes focus and Enter.
    await page.getByRole('button', { name: 'Refresh' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('#action-result', { hasText: 'Recent failures cleared.' }).waitFor();
    expect(await text('#failures')).toBe('No recent failures.');
    expect(await text('#queue')).toContain('Stalled');
    await screenshot('customer-refreshed');
  });

  test('Retry after the endpoint recovers turns the queue Empty', async () => {
    down.delete('acme');
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.locator('#action-result', { hasText: /Retr/ }).waitFor();
    await page.locator('#queue', { hasText: 'Empty' }).waitFor({ timeout: 10_000 });
    expect(await text('#queue-change')).toBe('The queue is now Empty.');
    expect(await text('#last-processed')).toMatch(/^\d+ s ago$/);
    await screenshot('customer-empty');
  });

  test('an expired, forged or foreign link is refused, by the page and by the API', async () => {
    await h.configure('globex');
    const globex = await link('globex');
    const expired = signLink(deriveLinkSigningKey(encryptionKey), {
      customerId: 'acme',
      actions: true,
      expiresAt: Math.floor(Date.now() / 1000) - 1,
    });
    const forged = `${globex.token.split('.')[0]}.${(await link('acme')).token.split('.')[1]}`;

    const foreign = await page.goto(`${h.service.url}/ui/customers/acme?token=${globex.token}`);
    expect(foreign?.status()).toBe(403);
    expect(await text('h1')).toBe('This link is for another page');
    expect(await page.content()).not.toContain('Recent failures');
    const stale = await page.goto(`${h.service.url}/ui/customers/acme?token=${expired}`);
    expect(stale?.status()).toBe(401);
    expect(await text('h1')).toBe('This link has expired');
    await screenshot('link-expired');
    expect((await page.goto(`${h.service.url}/ui/customers/acme?token=${forged}`))?.status()).toBe(401);

    // The API the page calls: a link opens its own customer's status only.
    expect(await withToken(globex.token, 'GET', '/v1/customers/globex/webhook/status')).toBe(200);
    expect(await withToken(globex.token, 'GET', '/v1/customers/acme/webhook/status')).toBe(403);
    expect(await withToken(globex.token, 'POST', '/v1/customers/globex/webhook/retry')).toBe(403); // read-only link
    expect(await withToken(globex.token, 'GET', '/v1/customers/globex/webhook')).toBe(403);
    expect(await withToken(globex.token, 'GET', '/v1/status')).toBe(403);
    expect(await withToken(globex.token, 'POST', '/v1/customers/globex/status-links')).toBe(403);
    expect(await withToken(expired, 'GET', '/v1/customers/acme/webhook/status')).toBe(401);
    expect(await withToken(forged, 'GET', '/v1/customers/globex/webhook/status')).toBe(401);
    // Express matches paths case-insensitively: the guard must still see an admin route.
    expect((await fetch(`${h.service.url}/V1/status`)).status).toBe(401);

    // A read-only link shows the page without Retry and Refresh.
    await page.goto(globex.url);
    await page.locator('#queue', { hasText: 'Empty' }).waitFor();
    expect(await page.getByRole('button').count()).toBe(0);
  });

  test('status-links: validated input, 404 for an unknown customer, admin token required', async () => {
    expect((await post('/v1/customers/nobody/status-links')).status).toBe(404);
    const short = await post('/v1/customers/acme/status-links', { ttlSeconds: 10 });
    expect(short.status).toBe(400);
    expect(short.body.error.code).toBe('VALIDATION_FAILED');
    const issued = await link('acme', { ttlSeconds: 120 });
    expect(issued.actions).toBe(false);
    expect(issued.expiresAt - Date.now()).toBeGreaterThan(110_000);
    expect(issued.expiresAt - Date.now()).toBeLessThanOrEqual(120_000);
    expect((await fetch(`${h.service.url}/v1/customers/acme/status-links`, { method: 'POST' })).status).toBe(
      401,
    );
  });

  test('the operator overview lists customers stalled first, with ages, and opens their pages', async () => {
    down.add('globex');
    await h.configure('globex');
    await post('/v1/customers/globex/messages', { event: 'CHECK_COMPLETED', data: {} });
    await waitForStatus(h, 'globex', (s) => s.queue === 'stalled');
    const rows = (await h.service.api('GET', '/v1/status?queue=stalled')).body.customers;
    expect(rows).toEqual([
      expect.objectContaining({ customerId: 'globex', oldestPendingAt: expect.any(Number) }),
    ]);

    await page.goto(`${h.service.url}/ui`);
    await page.getByLabel('Admin token').fill(h.service.adminToken);
    await page.getByRole('button', { name: 'Show customers' }).click();
    const first = page.locator('#overview tbody tr').first();
    await first.waitFor();
    expect(await first.innerText()).toMatch(/globex\s+Stalled\s+1\s+\d+ s ago/);
    expect(await page.locator('#overview tbody tr').nth(1).innerText()).toMatch(/acme\s+Empty\s+0/);
    expect(await page.locator('#overview .cards').innerText()).toMatch(
      /Stalled\s+1\s+Waiting\s+0\s+Empty\s+1/,
    );
    // The instances, from the same view as GET /v1/cluster: this one owns every partition and runs the feed.
    const cluster = (await h.service.api('GET', '/v1/cluster')).body as {
      instances: Array<{ instanceId: string; partitions: number[] }>;
      relay: { instanceId: string } | null;
    };
    expect(cluster.instances).toHaveLength(1);
    expect(cluster.relay?.instanceId).toBe(cluster.instances[0]!.instanceId);
    const instance = page.locator('#instances tbody tr');
    await instance.first().waitFor();
    expect(await instance.count()).toBe(1);
    expect(await instance.first().innerText()).toMatch(
      new RegExp(`^${cluster.instances[0]!.instanceId}\\s+128\\s+\\d+ s ago\\s+Runs it$`),
    );
    expect(await page.locator('#instances').innerText()).toContain(
      `The outbound event feed runs on ${cluster.instances[0]!.instanceId}.`,
    );
    await screenshot('overview');
    await phoneScreenshot('overview-phone');

    // The operator's page for a customer uses the admin token kept in the tab.
    await page.getByRole('link', { name: 'globex' }).click();
    await page.locator('#queue', { hasText: 'Stalled' }).waitFor();
    expect(await page.locator('#failures tbody tr').count()).toBe(1);
  });

  test('GET /v1/status finds a prefix and lists stalled customers oldest pending first, in keyset pages', async () => {
    for (const customerId of ['late-zeta', 'late-alpha']) {
      down.add(customerId);
      await h.configure(customerId);
    }
    // zeta's message is older than alpha's: oldest first puts zeta before alpha, by id it is after.
    await post('/v1/customers/late-zeta/messages', { event: 'CHECK_COMPLETED', data: {} });
    await waitForStatus(h, 'late-zeta', (s) => s.queue === 'stalled');
    await post('/v1/customers/late-alpha/messages', { event: 'CHECK_COMPLETED', data: {} });
    await waitForStatus(h, 'late-alpha', (s) => s.queue === 'stalled');
    const list = async (query: string) => (await h.service.api('GET', `/v1/status?${query}`)).body;

    expect((await list('prefix=late-&queue=stalled')).customers.map((c: any) => c.customerId)).toEqual([
      'late-alpha',
      'late-zeta',
    ]);
    const first = await list('prefix=late-&queue=stalled&order=oldest&limit=1');
    expect(first.customers.map((c: any) => c.customerId)).toEqual(['late-zeta']);
    expect(first.next).toBe(`${first.customers[0].oldestPendingAt}.late-zeta`);
    const second = await list(`prefix=late-&queue=stalled&order=oldest&limit=1&after=${first.next}`);
    expect(second.customers.map((c: any) => c.customerId)).toEqual(['late-alpha']);
    expect(second.customers[0].oldestPendingAt).toBeGreaterThan(first.customers[0].oldestPendingAt);

    // Over NATS the same query answers the same page.
    const reply = await h.client.request(
      `${h.service.namespace}.status.list`,
      JSON.stringify({ prefix: 'late-', queue: 'stalled', order: 'oldest', limit: 1 }),
    );
    expect(reply.json()).toEqual(first);

    for (const bad of [
      'order=sideways',
      'prefix=a%20b',
      'order=oldest&queue=empty',
      'order=oldest&after=acme',
      'after=5.acme',
    ]) {
      expect((await h.service.api('GET', `/v1/status?${bad}`)).status).toBe(400);
    }
  });

  test('the overview searches by id prefix and pages through a state', async () => {
    const ids = Array.from({ length: 101 }, (_, index) => `paged-${String(index).padStart(3, '0')}`);
    for (const customerId of ids) {
      await h.configure(customerId);
    }
    await page.goto(`${h.service.url}/ui`); // the admin token is still in the tab
    await page.getByLabel('Customer id starts with').fill('paged-');
    await page.getByRole('button', { name: 'Search' }).click();
    const emptyRows = page.locator('section[aria-labelledby="customers-empty"] tbody tr');
    // The search applied: no stalled customer starts with paged- (unfiltered, globex and late-* would show).
    await page.locator('section[aria-labelledby="customers-stalled"]', { hasText: 'None.' }).waitFor();
    expect(await emptyRows.count()).toBe(100);
    expect(await emptyRows.first().innerText()).toMatch(/^paged-000/);

    const pager = page.getByRole('navigation', { name: 'Empty pages' });
    await pager.getByRole('button', { name: 'Next' }).click();
    await page.locator('section[aria-labelledby="customers-empty"]', { hasText: 'Page 2' }).waitFor();
    expect(await emptyRows.allInnerTexts()).toEqual([expect.stringMatching(/^paged-100\s+Empty/)]);
    expect(await pager.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    await pager.getByRole('button', { name: 'Previous' }).click();
    await page.locator('section[aria-labelledby="customers-empty"]', { hasText: 'Page 1' }).waitFor();
    expect(await emptyRows.first().innerText()).toMatch(/^paged-000/);

    await page.getByLabel('Customer id starts with').fill('late-');
    await page.getByLabel('Order').selectOption('oldest');
    await page.getByRole('button', { name: 'Search' }).click();
    const stalled = page.locator('section[aria-labelledby="customers-stalled"] tbody tr');
    await page.locator('section[aria-labelledby="customers-stalled"]', { hasText: 'late-zeta' }).waitFor();
    expect((await stalled.allInnerTexts()).map((row) => row.split(/\s/)[0])).toEqual([
      'late-zeta',
      'late-alpha',
    ]);
  });
});
