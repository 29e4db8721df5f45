import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerHandle } from '../../test/support/nats-server.js';
import { until } from '../../test/support/until.js';
import type { DeliveryRequest, DeliveryResult } from '../delivery/index.js';
import { defaultDeliverySettings, type DeliverySettings } from '../domain/index.js';
import { configured } from '../domain/spec-support.js';
import type { EventStore } from '../event-store/index.js';
import { postgresBackend, type Backend } from '../event-store/store-spec-support.js';
import { JetStreamQueue } from '../queue/index.js';
import { ActorHost } from './actor-host.js';
import { ManualClock } from '../../test/support/manual-clock.js';

const SECOND = 1_000;
const settings: DeliverySettings = { ...defaultDeliverySettings, stallAlertMs: 60 * SECOND };
const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * A sender whose every call throws (a bug, or a dependency failing mid-step) until `healthy`: the
 * one part not real here, because making a real step throw on purpose is what is being tested.
 */
class BreakableSender {
  healthy = false;
  readonly delivered: number[] = [];
  send(request: DeliveryRequest): Promise<DeliveryResult> {
    if (!this.healthy) {
      return Promise.reject(new Error('sender exploded'));
    }
    this.delivered.push(...request.messages.map((message) => message.id));
    return Promise.resolve({ ok: true, statusCode: 200, error: null, durationMs: 1 });
  }
}

describe('a customer whose steps keep throwing', () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let backend: Backend;
  let store: EventStore;
  let queue: JetStreamQueue;
  let host: ActorHost;
  const clock = new ManualClock(Date.UTC(2026, 11, 1));
  const sender = new BreakableSender();
  let stepFailures = 0;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url, noAsyncTraces: true });
    backend = await postgresBackend();
    store = await backend.open();
    queue = await JetStreamQueue.open(nc, { namespace: 'stepfail' });
    const ctx = { settings, clock, queue, source: queue, store, sender, logger: quiet, windowSize: 100 };
    const observer = {
      attempted: () => undefined,
      appended: () => undefined,
      stepFailed: () => (stepFailures += 1),
    };
    host = new ActorHost(
      { ...ctx, observer },
      { idleAfterMs: 600 * SECOND, errorRetryMs: SECOND, activationConcurrency: 4, shutdownGraceMs: SECOND },
    );
  });

  afterAll(async () => {
    await host?.stop();
    await queue?.close();
    await store?.close();
    await backend?.dispose();
    await nc?.close();
    await server?.stop();
  });

  /** Moves the clock on a second at a time until `check` holds (each retry needs real I/O to run). */
  async function advanceUntil(check: () => Promise<boolean>, what: string): Promise<void> {
    await until(
      async () => {
        if (await check()) {
          return true;
        }
        clock.advance(SECOND);
        return false;
      },
      what,
      20_000,
      5,
    );
  }

  test('shows in status and a metric, raises the stall alert, and recovers once steps get through', async () => {
    const customerId = 'acme';
    await host.command(customerId, (actor) =>
      actor.record([configured({}, clock.now())], {
        secrets: { current: 'whsec_step_failure_test', previous: null },
      }),
    );
    const first = await queue.publish(customerId, { event: 'CHECK_COMPLETED', data: { n: 1 } });
    await host.start();

    // 1. The step throws: the status says so (and the queue is not "waiting"), the metric counts it.
    await until(
      async () => ((await host.status(customerId))?.stepFailure ?? null) !== null,
      'a step failure in status',
    );
    const failing = await host.status(customerId);
    expect(failing).toMatchObject({
      queue: 'stalled',
      pending: 1,
      stepFailure: { error: 'sender exploded' },
    });
    expect(stepFailures).toBeGreaterThanOrEqual(1);
    expect(host.failingCount).toBe(1);

    // 2. Failing for the stall threshold: QueueStalled is recorded, naming the head and the error.
    await advanceUntil(
      async () => ((await store.load(customerId))?.state.stallAlertSince ?? null) !== null,
      'QueueStalled after failing steps',
    );
    const stalled = await store.load(customerId);
    expect(stalled?.state.stallAlertSince).toBe(failing?.stepFailure?.since);
    const events = await store.readLog(0, 100);
    const alert = events.find((row) => row.type === 'QueueStalled');
    expect(JSON.parse(alert?.data ?? '{}')).toMatchObject({
      webhookId: first.webhookId,
      statusCode: null,
      error: 'step failing: sender exploded',
    });
    expect((await host.status(customerId))?.queue).toBe('stalled');

    // 3. Steps get through again: the message goes, QueueRecovered follows, the failure is gone.
    sender.healthy = true;
    await advanceUntil(
      async () => (await store.load(customerId))?.state.stallAlertSince === null,
      'QueueRecovered once steps succeed',
    );
    expect(sender.delivered).toEqual([first.webhookId]);
    expect(await host.status(customerId)).toMatchObject({ queue: 'empty', stepFailure: null });
    expect(host.failingCount).toBe(0);
    const types = (await store.readLog(0, 100)).map((row) => row.type);
    expect(types).toEqual(['WebhookConfigured', 'QueueStalled', 'DeliverySucceeded', 'QueueRecovered']);
  }, 60_000);

  test('an outcome whose append failed is appended by the next step, not sent again', async () => {
    const customerId = 'globex'; // the host runs since the test above
    sender.healthy = true;
    await host.command(customerId, (actor) =>
      actor.record([configured({}, clock.now())], {
        secrets: { current: 'whsec_step_failure_test', previous: null },
      }),
    );
    // The database refuses every new log row from here: a real PostgreSQL error on each append.
    await backend.query(
      `CREATE FUNCTION refuse_events() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refusing writes'; END $$ LANGUAGE plpgsql`,
    );
    await backend.query(
      'CREATE TRIGGER refuse BEFORE INSERT ON "events" FOR EACH ROW EXECUTE FUNCTION refuse_events()',
    );
    const { webhookId } = await queue.publish(customerId, { event: 'CHECK_COMPLETED', data: { n: 2 } });
    await until(() => sender.delivered.includes(webhookId), 'the request');
    // Three more failed steps (each one tries the append again) while the request stays sent once.
    const failuresAtSend = stepFailures;
    await advanceUntil(() => Promise.resolve(stepFailures >= failuresAtSend + 3), 'three failed retries');
    expect((await host.status(customerId))?.stepFailure?.error).toMatch(/refusing writes/);

    await backend.query('DROP TRIGGER refuse ON "events"');
    await advanceUntil(
      async () => (await store.load(customerId))?.state.cursor === webhookId,
      'the outcome appended',
    );
    expect(sender.delivered.filter((id) => id === webhookId)).toEqual([webhookId]);
    const types = (await store.readLog(0, 100))
      .filter((row) => row.customerId === customerId)
      .map((row) => row.type);
    expect(types).toEqual(['WebhookConfigured', 'DeliverySucceeded']);
  }, 60_000);
});
