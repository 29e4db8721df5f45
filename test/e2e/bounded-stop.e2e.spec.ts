import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { defaultDeliverySettings } from '../../libs/domain/index.js';
import { stopGraceMs } from '../../src/core/runtime-tuning.js';
import { startNatsServer, type NatsServerHandle } from '../support/nats-server.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { startService, type ServiceProcess } from '../support/service-process.js';
import { until } from '../support/until.js';

const HELD = 20_000;
const TIMEOUT_MS = 1_000;

describe('a graceful stop ends within its grace whatever NATS does', () => {
  let nats: NatsServerHandle;
  let db: TestDatabase;
  let receiver: Receiver;
  let service: ServiceProcess;
  let client: NatsConnection;

  beforeAll(async () => {
    [nats, db, receiver] = await Promise.all([startNatsServer(), createTestDatabase(), startReceiver()]);
    service = await startService({
      NATS_URL: nats.url,
      DATABASE_URL: db.url,
      HOOKPOST_TIMEOUT_SINGLE_MS: String(TIMEOUT_MS),
      HOOKPOST_TIMEOUT_BATCH_MS: String(TIMEOUT_MS),
    });
    client = await connect({ servers: nats.url });
  }, 60_000);

  afterAll(async () => {
    await nats?.kill(); // frozen: a client closing against it would wait for ever
    await client?.close().catch(() => undefined);
    await service?.stop();
    await receiver?.close();
    await db?.drop();
  });

  test('a stop with NATS and the database answering ends with code 0', async () => {
    const outcome = await service.terminate(30_000);
    expect(outcome).toMatchObject({ code: 0 });
    expect(service.logs()).toContain('hookpost stopped');
    expect(service.logs()).not.toContain('stop gave up');
    await service.restart();
  }, 60_000);

  test('SIGTERM with 20,000 held messages and an attempt in flight, then nats-server hangs: exit 1 within the grace, saying what it gave up', async () => {
    // Held: 200 customers without an endpoint.
    const js = jetstream(client);
    for (let start = 0; start < HELD; start += 1_000) {
      await Promise.all(
        Array.from({ length: 1_000 }, (_, i) =>
          js.publish(`${service.namespace}.queue.held-${(start + i) % 200}`, '{"event":"HELD","data":{}}'),
        ),
      );
    }
    // An attempt in flight when the stop begins: the stop waits for it, so NATS hangs mid-stop.
    receiver.respondWith(() => ({ hang: true }));
    const put = await service.api('PUT', '/v1/customers/slow/webhook', {
      url: `${receiver.url}/slow`,
      secret: 'whsec_bounded_stop_1234',
    });
    expect(put.status).toBe(200);
    await service.api('POST', '/v1/customers/slow/messages', { event: 'SLOW', data: {} });
    await receiver.waitForRequests(1);

    const stopped = service.terminate(60_000);
    await until(() => service.logs().includes('hookpost stopping'), 'the stop to begin', 5_000);
    nats.freeze();
    const outcome = await stopped;

    const graceMs = stopGraceMs({
      ...defaultDeliverySettings,
      timeoutSingleMs: TIMEOUT_MS,
      timeoutBatchMs: TIMEOUT_MS,
    });
    expect(outcome).not.toBe('hung');
    const { code, ms } = outcome as { code: number; ms: number };
    expect(code).toBe(1);
    expect(ms).toBeLessThan(graceMs + 3_000);
    const gaveUp = service
      .logs()
      .split('\n')
      .filter((line) => line.includes('stop gave up'));
    expect(gaveUp).toHaveLength(1);
    expect(JSON.parse(gaveUp[0]!)).toMatchObject({
      level: 50,
      graceMs,
      gaveUp: expect.any(String),
      msg: expect.stringMatching(new RegExp(`^stop gave up after ${graceMs} ms while `)),
    });
  }, 120_000);
});
