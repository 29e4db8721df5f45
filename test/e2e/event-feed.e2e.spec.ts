import { spawn } from 'node:child_process';
import type { OutboundEvent } from '../../libs/event-relay/index.js';
import {
  compareFeed,
  lastPublishedPosition,
  logEntries,
  readFeed,
  waitForFeed,
} from '../support/event-feed.js';
import { until } from '../support/until.js';
import { allDelivered, customerOf, startHarness, waitForStatus, type Harness } from './harness.js';

describe('the outbound event feed', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ HOOKPOST_STALL_ALERT_MS: '1000', HOOKPOST_BACKOFF_BASE_MS: '200' });
  });
  afterAll(() => h?.close());

  test('a stalled customer produces one QueueStalled and, after recovery, one QueueRecovered', async () => {
    const customerId = 'stalls';
    // The subscriber docs/events.md shows, run as a user would, on this customer's alerts.
    const ns = h.service.namespace;
    const subscriber = spawn(
      process.execPath,
      ['examples/events-subscriber.mjs', `${ns}.events.${customerId}.>`],
      {
        env: { ...process.env, NATS_URL: h.nats.url, HOOKPOST_NAMESPACE: ns, CONSUMER_NAME: 'alerts' },
      },
    );
    let printed = '';
    subscriber.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    h.receiver.respondWith((request) => ({ status: customerOf(request) === customerId ? 503 : 200 }));
    await h.configure(customerId);
    await h.publish(customerId, 'CHECK_COMPLETED', { n: 1 });
    await h.publish(customerId, 'CHECK_COMPLETED', { n: 2 });
    const types = async () =>
      (await readFeed(h.client, ns, `${ns}.events.${customerId}.>`)).map((e) => e.type);
    await until(async () => (await types()).includes('QueueStalled'), 'QueueStalled', 15_000);

    h.receiver.respondWith(() => ({ status: 200 }));
    await until(async () => (await types()).includes('QueueRecovered'), 'QueueRecovered', 15_000);
    await until(
      async () => (await types()).filter((t) => t === 'DeliverySucceeded').length === 2,
      'both delivered',
      30_000,
    );

    const events = await readFeed(h.client, ns, `${ns}.events.${customerId}.>`);
    expect(events.filter((e) => e.type === 'QueueStalled')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'QueueRecovered')).toHaveLength(1);
    const stalled = events.find((e) => e.type === 'QueueStalled')!;
    const firstFailure = events.find((e) => e.type === 'DeliveryFailed')!;
    expect(stalled.data).toMatchObject({ since: firstFailure.at, thresholdMs: 1000, statusCode: 503 });
    expect(stalled.at - firstFailure.at).toBeGreaterThanOrEqual(1000);
    const recovered = events.find((e) => e.type === 'QueueRecovered')!;
    const success = events.find((e) => e.type === 'DeliverySucceeded')!;
    // In the log's order: failures, the alert, the success that ended the stall, then the recovery.
    expect(recovered.version).toBe(success.version + 1);
    expect(recovered.data).toEqual({ since: firstFailure.at, stalledMs: recovered.at - firstFailure.at });
    expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));

    await until(
      () => printed.includes('QueueRecovered'),
      'the example subscriber to print the recovery',
      30_000,
    );
    subscriber.kill();
    const seen = printed
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as OutboundEvent);
    expect(seen.map((e) => `${e.version} ${e.type}`)).toEqual(events.map((e) => `${e.version} ${e.type}`));
  }, 60_000);

  test('a subscriber sees every event once and in order across a kill -9 between commit and publish', async () => {
    const customers = ['feed-a', 'feed-b'];
    h.receiver.respondWith(() => ({ status: 200, delayMs: 10 }));
    const accepted = new Map<string, number[]>(customers.map((c) => [c, []]));
    for (const customerId of customers) {
      await h.configure(customerId);
    }
    for (let i = 0; i < 150; i += 1) {
      for (const customerId of customers) {
        accepted.get(customerId)!.push((await h.publish(customerId, 'CHECK_COMPLETED', { i })).webhookId);
      }
    }
    await h.receiver.waitFor(
      (all) => all.filter((r) => customers.includes(customerOf(r))).length >= 20,
      20_000,
    );

    // NATS goes away: Hookpost keeps delivering what its windows hold and committing the outcomes,
    // which it cannot publish. Then it is killed with those events committed and unpublished.
    await h.nats.kill();
    const seenAtNatsKill = h.receiver.requests.length;
    await h.receiver.waitFor((all) => all.length >= seenAtNatsKill + 20, 20_000);
    await h.service.kill9();
    await h.nats.restart();
    const ns = h.service.namespace;
    const committed = (await logEntries(h.db.url)).at(-1)!.position;
    await until(async () => (await lastPublishedPosition(h.client, ns)) > 0, 'the stream to answer', 30_000);
    expect(await lastPublishedPosition(h.client, ns)).toBeLessThan(committed); // the case under test happened

    await h.service.restart();
    await h.receiver.waitFor((all) => allDelivered(all, accepted, () => true), 60_000);
    // The receiver has the last messages before their outcomes are committed: wait for those too,
    // so the log read below is the whole log.
    for (const customerId of customers) {
      await waitForStatus(h, customerId, (status) => status.pending === 0, 30_000);
    }
    await waitForFeed(h.client, ns, h.db.url);

    const log = await logEntries(h.db.url);
    const feed = await readFeed(h.client, ns);
    // Every event of the log exactly once, in the log's order; per customer versions 1, 2, 3 ...
    expect(compareFeed(log, feed)).toEqual({ events: log.length, missing: 0, duplicates: 0, outOfOrder: 0 });
    expect(feed.map((e) => e.position)).toEqual(log.map((e) => e.position));
    for (const customerId of customers) {
      const versions = feed.filter((e) => e.customerId === customerId).map((e) => e.version);
      expect(versions).toEqual(versions.map((_, i) => i + 1));
    }
    // What an operator watches: nothing left to publish, and this process published some.
    const metrics = await (await fetch(`${h.service.url}/metrics`)).text();
    expect(metrics).toMatch(/^hookpost_event_feed_lag\{instance_id="[^"]+"\} 0$/m);
    expect(metrics).toMatch(/^hookpost_events_relayed_total\{instance_id="[^"]+"\} [1-9]/m);
  }, 120_000);
});
