/**
 * A real world for the runtime's integration tests: a private nats-server, a fresh PostgreSQL
 * database, the real queue, event store and HTTP sender, and a receiver; time from a ManualClock.
 */
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { HttpSender } from '../../libs/delivery/index.js';
import {
  defaultDeliverySettings,
  type DeliverySettings,
  type WebhookConfigured,
  type WebhookSettings,
} from '../../libs/domain/index.js';
import { configured } from '../../libs/domain/spec-support.js';
import { EventStore } from '../../libs/event-store/index.js';
import { JetStreamQueue } from '../../libs/queue/index.js';
import { ManualClock } from './manual-clock.js';
import { startNatsServer, type NatsServerHandle } from './nats-server.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { startReceiver, type Receiver } from './receiver.js';
import type { ActorContext } from '../../libs/runtime/customer-actor.js';
import type { RuntimeLogger } from '../../libs/runtime/ports.js';

export const SECRET = 'whsec_runtimeSpecSecret0123456789';

/** Everything a runtime test drives; close() ends it all. */
export interface RuntimeWorld {
  nats: NatsServerHandle;
  nc: NatsConnection;
  db: TestDatabase;
  queue: JetStreamQueue;
  store: EventStore;
  sender: HttpSender;
  receiver: Receiver;
  clock: ManualClock;
  /** What the runtime logged at warn or error (message and fields). */
  warnings: Array<{ msg: string | undefined; obj: object }>;
  ctx: ActorContext;
  close(): Promise<void>;
}

const quiet = (): void => undefined;

/** Starts the world; `settings` override the delivery rules (e.g. a short backoff). */
export async function startRuntimeWorld(
  options: { settings?: Partial<DeliverySettings>; windowSize?: number } = {},
): Promise<RuntimeWorld> {
  const nats = await startNatsServer();
  const nc = await connect({ servers: nats.url, noAsyncTraces: true });
  const db = await createTestDatabase();
  const queue = await JetStreamQueue.open(nc, { namespace: `rt${randomBytes(3).toString('hex')}` });
  const store = await EventStore.open({ databaseUrl: db.url, encryptionKey: randomBytes(32) });
  const sender = new HttpSender({ allowPrivateTargets: true, regions: new Map(), userAgent: 'runtime-spec' });
  const receiver = await startReceiver();
  const clock = new ManualClock(Date.now());
  const warnings: RuntimeWorld['warnings'] = [];
  const record = (obj: object, msg?: string): void => void warnings.push({ msg, obj });
  const logger: RuntimeLogger = { debug: quiet, info: quiet, warn: record, error: record };
  const ctx: ActorContext = {
    settings: { ...defaultDeliverySettings, ...options.settings },
    clock,
    queue,
    store,
    sender,
    logger,
    windowSize: options.windowSize ?? 100,
  };
  return {
    nats,
    nc,
    db,
    queue,
    store,
    sender,
    receiver,
    clock,
    warnings,
    ctx,
    async close() {
      await queue.close();
      await store.close();
      await sender.close();
      await receiver.close();
      await nc.close();
      await nats.stop();
      await db.drop();
    },
  };
}

/** The endpoint settings a test customer gets: the receiver at /<customerId>. */
export function endpointFor(
  world: RuntimeWorld,
  customerId: string,
  overrides: Partial<WebhookSettings> = {},
): WebhookSettings {
  const url = `${world.receiver.url}/${customerId}`;
  const event = configured({ url, secretLast4: SECRET.slice(-4), ...overrides }) as WebhookConfigured;
  return event.data.settings;
}

/** Publishes `count` messages for a customer; resolves with their ids. */
export async function publish(world: RuntimeWorld, customerId: string, count: number): Promise<number[]> {
  const results = await world.queue.publishMany(
    Array.from({ length: count }, (_, n) => ({
      customerId,
      body: { event: 'CHECK_COMPLETED', data: { n } },
    })),
  );
  return results.map((result) => result.webhookId);
}

/** The ids the receiver got for a customer, in arrival order. */
export function idsReceived(world: RuntimeWorld, customerId: string): number[] {
  return world.receiver.requests
    .filter((request) => request.path === `/${customerId}`)
    .flatMap((request) => {
      const body = JSON.parse(request.body) as { id: number } | Array<{ id: number }>;
      return Array.isArray(body) ? body.map((message) => message.id) : [body.id];
    });
}
