import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareFeed, logEntries, readFeed, waitForFeed } from '../support/event-feed.js';
import type { RecordedRequest } from '../support/receiver.js';
import { runCli } from '../support/run-cli.js';
import { startService, type ServiceProcess } from '../support/service-process.js';
import { customerOf, idsOf, SECRET, startHarness, type Harness } from './harness.js';

const LEASE_MS = 2_000;
const PARTITIONS = 64;
/** The receiver holds every answer this long, so two requests of one customer in flight at once show as overlap. */
const ANSWER_DELAY_MS = 40;

interface ClusterReply {
  partitions: number;
  leaseMs: number;
  instances: Array<{ instanceId: string; partitions: number[]; renewedAt: string }>;
  relay: { instanceId: string; renewedAt: string } | null;
}

/** Polls until `check` holds. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) {
      throw new Error(`waited ${ms} ms for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Requests of one customer that started before the previous one was answered (by the receiver's delay). */
function overlaps(requests: readonly RecordedRequest[]): string[] {
  const found: string[] = [];
  const last = new Map<string, RecordedRequest>();
  for (const request of [...requests].sort((a, b) => a.receivedAt - b.receivedAt)) {
    const previous = last.get(customerOf(request));
    if (previous !== undefined && request.receivedAt < previous.receivedAt + ANSWER_DELAY_MS) {
      found.push(`${customerOf(request)}: #${previous.seq} and #${request.seq}`);
    }
    last.set(customerOf(request), request);
  }
  return found;
}

describe('several Hookpost processes share the customers (active-active, PostgreSQL)', () => {
  let h: Harness;
  let others: ServiceProcess[];
  const shared = {
    HOOKPOST_NAMESPACE: `aa${randomBytes(3).toString('hex')}`,
    HOOKPOST_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    HOOKPOST_BATCH_INTERVAL_MS: '0',
    HOOKPOST_LEASE_MS: String(LEASE_MS),
    HOOKPOST_PARTITIONS: String(PARTITIONS),
    LOG_LEVEL: 'info',
  };

  beforeAll(async () => {
    h = await startHarness({ ...shared, HOOKPOST_INSTANCE_ID: 'one' });
    const env = { ...shared, NATS_URL: h.nats.url, DATABASE_URL: h.db.url };
    others = [
      await startService({ ...env, HOOKPOST_INSTANCE_ID: 'two' }),
      await startService({ ...env, HOOKPOST_INSTANCE_ID: 'three' }),
    ];
    h.receiver.respondWith(() => ({ status: 200, body: '{}', delayMs: ANSWER_DELAY_MS }));
  });
  afterAll(async () => {
    await Promise.all(others.map((other) => other.stop()));
    await h?.close();
  });

  const cluster = async (service: ServiceProcess) =>
    (await service.api('GET', '/v1/cluster')).body as ClusterReply;
  const shares = async (service: ServiceProcess) =>
    (await cluster(service)).instances.map((i) => [i.instanceId, i.partitions.length] as const);
  /** As `service` sees it: `instances` live instances, each owning ⌊P/N⌋ or ⌈P/N⌉ partitions. */
  const sharedEvenly = async (service: ServiceProcess, instances: number) => {
    const [low, high] = [Math.floor(PARTITIONS / instances), Math.ceil(PARTITIONS / instances)];
    const view = await shares(service);
    return view.length === instances && view.every(([, count]) => count === low || count === high);
  };

  test('each live instance owns ⌊P/N⌋ or ⌈P/N⌉ partitions, and every instance shows the same cluster view', async () => {
    await until('three instances sharing the partitions', () => sharedEvenly(others[0]!, 3));
    const view = await cluster(h.service);
    expect(view).toMatchObject({ partitions: PARTITIONS, leaseMs: LEASE_MS });
    expect(view.instances.map((i) => i.instanceId)).toEqual(['one', 'three', 'two']);
    expect(view.instances.flatMap((i) => i.partitions).sort((a, b) => a - b)).toEqual(
      Array.from({ length: PARTITIONS }, (_, i) => i),
    );
    // The first instance took the relay lease; the others stand by for it.
    expect(view.relay).toEqual({ instanceId: 'one', renewedAt: expect.any(String) });
    expect(Date.now() - Date.parse(view.relay!.renewedAt)).toBeLessThan(2 * LEASE_MS);
    const overNats = await h.client.request(`${shared.HOOKPOST_NAMESPACE}.cluster`, '{}', { timeout: 5_000 });
    expect(overNats.json<ClusterReply>().instances).toHaveLength(3);
    expect(overNats.json<ClusterReply>().relay).toMatchObject({ instanceId: 'one' });
  });

  test('commands taken by any instance act at the owner; every message goes once, in order, one request at a time per customer, across a SIGTERM', async () => {
    const services = [h.service, ...others];
    const customers = Array.from({ length: 12 }, (_, i) => `aa-${i}`);
    // Configured disabled through one instance, enabled through another: the owner must see both.
    for (const [index, customerId] of customers.entries()) {
      const put = (service: ServiceProcess, enabled: boolean) =>
        service.api('PUT', `/v1/customers/${customerId}/webhook`, {
          url: `${h.receiver.url}/${customerId}`,
          secret: SECRET,
          enabled,
        });
      expect((await put(services[index % 3]!, false)).status).toBe(200);
      expect((await put(services[(index + 1) % 3]!, true)).status).toBe(200);
    }
    const accepted = new Map<string, number[]>(customers.map((c) => [c, []]));
    const publishRound = async (round: number) => {
      for (const customerId of customers) {
        accepted.get(customerId)!.push(await h.publishFast(customerId, 'CHECK_COMPLETED', { round }));
      }
    };
    for (let round = 0; round < 5; round += 1) {
      await publishRound(round);
    }
    const leaving = others[1]!;
    const stopping = leaving.stop(); // SIGTERM under load: graceful handover
    for (let round = 5; round < 10; round += 1) {
      await publishRound(round);
    }
    await stopping;
    const total = customers.length * 10;
    await h.receiver.waitFor(
      (all) => all.filter((r) => customers.includes(customerOf(r))).length >= total,
      30_000,
    );
    // A sentinel after everything: once it arrives, nothing else for these customers is on its way.
    const sentinel = await h.publishFast(customers[0]!, 'SENTINEL', {});
    await h.receiver.waitFor((all) => all.some((r) => idsOf(r).includes(sentinel)), 10_000);

    const requests = h.receiver.requests.filter((r) => customers.includes(customerOf(r)));
    for (const customerId of customers) {
      const ids = requests.filter((r) => customerOf(r) === customerId).flatMap(idsOf);
      const expected = [...accepted.get(customerId)!, ...(customerId === customers[0] ? [sentinel] : [])];
      expect({ customerId, ids }).toEqual({ customerId, ids: expected }); // once each, in order
    }
    expect(overlaps(requests)).toEqual([]);

    // Status is right on every live instance.
    for (const service of [h.service, others[0]!]) {
      const status = await service.api('GET', `/v1/customers/${customers[1]}/webhook/status`);
      expect(status.body).toMatchObject({ queue: 'empty', pending: 0, enabled: true });
    }
    await until('the two left to share the partitions', () => sharedEvenly(h.service, 2));
  });

  test('the relay holder hangs (SIGSTOP): another instance runs the feed within 2 × lease, and the feed has every event in order', async () => {
    const [other] = others;
    expect((await cluster(other!)).relay?.instanceId).toBe('one');
    h.service.freeze(true);
    const frozenAt = Date.now();
    try {
      await until('the other instance to take the relay lease', async () => {
        return (await cluster(other!)).relay?.instanceId === 'two';
      });
      expect(Date.now() - frozenAt).toBeLessThan(2 * LEASE_MS + 1_000);
    } finally {
      h.service.freeze(false);
    }
    // Events committed after the takeover go out through the new holder.
    for (const customerId of ['aa-frozen-1', 'aa-frozen-2']) {
      // Right after the woken one resumes, its partitions may be mid-handover: the contract's answer
      // is 503 OWNER_UNAVAILABLE with nothing changed, and a client tries again.
      const configure = () =>
        other!.api('PUT', `/v1/customers/${customerId}/webhook`, {
          url: `${h.receiver.url}/${customerId}`,
          secret: SECRET,
        });
      let put = await configure();
      const retryUntil = Date.now() + 15_000;
      while (put.status === 503 && put.body?.error?.code === 'OWNER_UNAVAILABLE' && Date.now() < retryUntil) {
        put = await configure();
      }
      expect(put.status).toBe(200);
    }
    // The woken holder finds its lease taken and stops its relay; the feed is complete and in order.
    await until('the woken instance to give the relay up', () =>
      h.service.logs().includes('relay lease lost'),
    );
    await waitForFeed(h.client, shared.HOOKPOST_NAMESPACE, h.db.url);
    const log = await logEntries(h.db.url);
    const feed = await readFeed(h.client, shared.HOOKPOST_NAMESPACE);
    expect(compareFeed(log, feed)).toMatchObject({ events: log.length, missing: 0, outOfOrder: 0 });
    expect((await cluster(h.service)).relay?.instanceId).toBe('two');
  });

  test('when an instance is killed, the other takes its customers over within 2 × lease', async () => {
    const customerId = 'aa-takeover';
    // The test before leaves the woken instance taking its share back: configure once balanced, as
    // an owner may answer 503 OWNER_UNAVAILABLE mid-handover.
    await until('the two instances to share the partitions again', () => sharedEvenly(h.service, 2));
    await h.configure(customerId);
    const killed = others[0]!;
    await killed.kill9();
    const killedAt = Date.now();
    await until('the survivor to own every partition', async () =>
      (await shares(h.service)).every(([id, count]) => id === 'one' && count === PARTITIONS),
    );
    expect(Date.now() - killedAt).toBeLessThan(2 * LEASE_MS + 1_000);
    const webhookId = await h.publishFast(customerId, 'CHECK_COMPLETED', {});
    await h.receiver.waitFor((all) => all.some((r) => idsOf(r).includes(webhookId)), 10_000);
    expect(h.receiver.requests.filter((r) => customerOf(r) === customerId).flatMap(idsOf)).toEqual([
      webhookId,
    ]);
  });

  test('an instance started with another HOOKPOST_PARTITIONS, or another HOOKPOST_ENCRYPTION_KEY, exits 1 naming it', async () => {
    const base = {
      ...shared,
      NATS_URL: h.nats.url,
      DATABASE_URL: h.db.url,
      HOOKPOST_ADMIN_TOKEN: 'x'.repeat(32),
      PORT: '0',
    };
    const partitions = await runCli(['serve'], {
      ...base,
      HOOKPOST_PARTITIONS: '128',
      HOOKPOST_DATA_DIR: await mkdtemp(join(tmpdir(), 'hookpost-aa-')),
    });
    expect(partitions.code).toBe(1);
    expect(partitions.stderr).toMatch(
      /^hookpost: HOOKPOST_PARTITIONS is 128, but namespace \S+ was started with 64[^\n]*\n$/,
    );
    const key = await runCli(['serve'], {
      ...base,
      HOOKPOST_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      HOOKPOST_DATA_DIR: await mkdtemp(join(tmpdir(), 'hookpost-aa-')),
    });
    expect(key.code).toBe(1);
    expect(key.stderr).toMatch(/^hookpost: HOOKPOST_ENCRYPTION_KEY is not the key[^\n]*\n$/);
  });
});
