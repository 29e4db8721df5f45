import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { evolve, initialState, queueState, type CustomerQueueEvent } from '../../libs/domain/index.js';
import { EventStore } from '../../libs/event-store/index.js';
import { startNatsCluster } from '../../test/support/nats-cluster.js';
import { startNatsServer } from '../../test/support/nats-server.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { hookpostProcess, type HookpostProcess } from './hookpost.js';

/** One workload's private world: its own nats-server, a fresh PostgreSQL database and a Hookpost (not started). */
export interface World {
  /** The nats-server (or the cluster's nodes): NATS_URL, the folder its processes are recognised by. */
  readonly nats: { readonly url: string; readonly storeDir: string; stop(): Promise<void> };
  /** Replicas of the streams (3 on the cluster). */
  readonly replicas: number;
  readonly db: TestDatabase;
  readonly hookpost: HookpostProcess;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  close(): Promise<void>;
}

/** The secret every benchmark customer gets. */
export const BENCH_SECRET = 'whsec_bench_secret_0001';

/**
 * Which NATS a workload runs on (`--nats`): one server with the default fsync (`single`), one with
 * `sync_interval: always` (`always`), or a 3-node cluster with `always` and 3 stream replicas (`r3`).
 */
export const NATS_SETUPS = ['single', 'always', 'r3'] as const;
export type NatsSetup = (typeof NATS_SETUPS)[number];

/** How the harness runs Hookpost: Node flags and settings given on the command line. */
export interface HookpostRunOptions {
  readonly nodeArgs: string[];
  /** From `--env KEY=VALUE,...`; the workload's own settings win. */
  readonly env: Readonly<Record<string, string>>;
  /** From `--nats` (default `single`). */
  readonly nats?: NatsSetup;
}

/** Starts nats-server and creates the database; Hookpost is prepared with `env` but not started. */
export async function startWorld(
  env: Record<string, string>,
  run: HookpostRunOptions = { nodeArgs: [], env: {} },
): Promise<World> {
  const setup = run.nats ?? 'single';
  const nats =
    setup === 'r3' ? await startNatsCluster(3) : await startNatsServer({ syncAlways: setup === 'always' });
  const replicas = setup === 'r3' ? 3 : 1;
  const db = await createTestDatabase();
  const hookpost = await hookpostProcess({
    natsUrl: nats.url,
    databaseUrl: db.url,
    env: { ...run.env, HOOKPOST_STREAM_REPLICAS: String(replicas), ...env },
    nodeArgs: run.nodeArgs,
  });
  const nc = await connect({ servers: nats.url.split(','), noAsyncTraces: true });
  return {
    nats,
    replicas,
    db,
    hookpost,
    nc,
    js: jetstream(nc),
    async close() {
      await hookpost.close();
      await nc.close();
      await db.drop().catch(() => undefined);
      await nats.stop();
    },
  };
}

/** A ~1 KiB message body (the size the first raw figures were measured with), as stored bytes. */
export function messageBytes(n: number): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({ event: 'CHECK_COMPLETED', data: { checkId: `chk_${n}`, pad: 'x'.repeat(960) } }),
  );
}

/**
 * Publishes `count` messages round-robin over `customers` straight into the queue stream (the
 * JetStream fast path of docs/contract.md), 1,000 acks in flight. Returns the webhookIds in order.
 */
export async function publishBacklog(
  js: JetStreamClient,
  namespace: string,
  customers: readonly string[],
  perCustomer: number,
): Promise<number[]> {
  const total = customers.length * perCustomer;
  const ids = new Array<number>(total);
  const body = messageBytes(0);
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const customer = customers[index % customers.length]!;
      ids[index] = (await js.publish(`${namespace}.queue.${customer}`, body)).seq;
    }
  };
  await Promise.all(Array.from({ length: Math.min(1_000, total) }, worker));
  return ids;
}

/** A customer to configure directly in the event log. */
export interface SeedCustomer {
  id: string;
  url: string;
  batching: boolean;
}

/**
 * Configures customers straight in the event log through EventStore.append (one WebhookConfigured
 * event, its projection and the sealed secret each, group-committed): what `PUT …/webhook` records,
 * without paying an HTTP request per customer. Run it while Hookpost has no actor for them.
 */
export async function seedCustomers(
  databaseUrl: string,
  encryptionKeyHex: string,
  customers: readonly SeedCustomer[],
  at = Date.now(),
): Promise<void> {
  const store = await EventStore.open({ databaseUrl, encryptionKey: Buffer.from(encryptionKeyHex, 'hex') });
  try {
    for (let start = 0; start < customers.length; start += 2_000) {
      await Promise.all(
        customers.slice(start, start + 2_000).map((customer) => {
          const event: CustomerQueueEvent = {
            type: 'WebhookConfigured',
            at,
            data: {
              settings: {
                url: customer.url,
                enabled: true,
                batching: customer.batching,
                events: null,
                authorizationHeader: true,
                acceptAny2xx: false,
                region: null,
                secretLast4: BENCH_SECRET.slice(-4),
              },
            },
          };
          const state = evolve(initialState(), event);
          return store.append(
            customer.id,
            0,
            [event],
            { state, pending: 0, queue: queueState(state, 0), nextAttemptAt: null },
            { secrets: { current: BENCH_SECRET, previous: null } },
          );
        }),
      );
    }
  } finally {
    await store.close();
  }
}
