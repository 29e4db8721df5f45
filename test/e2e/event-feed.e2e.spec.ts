import { spawn } from 'node:child_process';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { eventsStreamName, POSITION_HEADER, type OutboundEvent } from '../../libs/event-relay/index.js';
import { allDelivered, customerOf, startHarness, type Harness } from './harness.js';

/** A subscriber of the outbound feed: every event the stream holds (optionally one customer's), in order. */
async function readFeed(h: Harness, filter = `${h.service.namespace}.events.>`): Promise<OutboundEvent[]> {
  const stream = eventsStreamName(h.service.namespace);
  const jsm = await jetstreamManager(h.client);
  const { state } = await jsm.streams.info(stream, { subjects_filter: filter });
  const count = Object.values(state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
  const consumer = await jetstream(h.client).consumers.get(stream, { filter_subjects: filter });
  const events: OutboundEvent[] = [];
  while (events.length < count) {
    const batch = await consumer.fetch({ max_messages: count - events.length, expires: 5_000 });
    for await (const message of batch) {
      events.push(message.json<OutboundEvent>());
    }
  }
  return events;
}

/** The position of the last event in the outbound stream (what has been published). */
async function lastPublished(h: Harness): Promise<number> {
  const jsm = await jetstreamManager(h.client);
  const stream = eventsStreamName(h.service.namespace);
  const { state } = await jsm.streams.info(stream);
  if (state.messages === 0) {
    return 0;
  }
  const last = await jsm.streams.getMessage(stream, { seq: state.last_seq });
  return Number(last?.header.get(POSITION_HEADER) ?? 0);
}

async function logPositions(
  h: Harness,
): Promise<Array<{ position: number; customerId: string; version: number }>> {
  const client = new pg.Client({ connectionString: h.db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ position: string; customer_id: string; version: number }>(
      'SELECT "position", "customer_id", "version" FROM "events" ORDER BY "position"',
    );
    return rows.map((row) => ({
      position: Number(row.position),
      customerId: row.customer_id,
      version: row.version,
    }));
  } finally {
    await client.end();
  }
}

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  // A check that throws (NATS still reconnecting) counts as not yet.
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

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
      (await readFeed(h, `${h.service.namespace}.events.${customerId}.>`)).map((e) => e.type);
    await until(async () => (await types()).includes('QueueStalled'), 'QueueStalled', 15_000);

    h.receiver.respondWith(() => ({ status: 200 }));
    await until(async () => (await types()).includes('QueueRecovered'), 'QueueRecovered', 15_000);
    await until(
      async () => (await types()).filter((t) => t === 'DeliverySucceeded').length === 2,
      'both delivered',
    );

    const events = await readFeed(h, `${h.service.namespace}.events.${customerId}.>`);
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

    await until(() => printed.includes('QueueRecovered'), 'the example subscriber to print the recovery');
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
    const committed = (await logPositions(h)).at(-1)!.position;
    await until(async () => (await lastPublished(h)) > 0, 'the stream to answer');
    expect(await lastPublished(h)).toBeLessThan(committed); // the case under test happened

    await h.service.restart();
    await h.receiver.waitFor((all) => allDelivered(all, accepted, () => true), 60_000);
    await until(
      async () => (await lastPublished(h)) === (await logPositions(h)).at(-1)!.position,
      'the feed to catch up',
    );

    const log = await logPositions(h);
    const feed = await readFeed(h);
    // Every event of the log exactly once, in the log's order; per customer versions 1, 2, 3 ...
    expect(feed.map((e) => e.position)).toEqual(log.map((e) => e.position));
    for (const customerId of customers) {
      const versions = feed.filter((e) => e.customerId === customerId).map((e) => e.version);
      expect(versions).toEqual(versions.map((_, i) => i + 1));
    }
  }, 120_000);
});
