import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsCluster, type NatsClusterHandle } from '../support/nats-cluster.js';
import { startNatsServer, type NatsServerHandle } from '../support/nats-server.js';
import { createTestDatabase } from '../support/postgres.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import type { RecordedRequest } from '../support/receiver.js';
import { startService, type ServiceProcess } from '../support/service-process.js';
import { startChaosReceiver, type ChaosReceiver } from './chaos-receiver.js';
import { traceEventWriters } from './event-writers.js';
import { customerOf, idsOf } from './invariants.js';
import { trackSenders, type SenderTracker } from './senders.js';

/** Hookpost settings for chaos runs: short retries and deadlines so a run drains in seconds. */
export const CHAOS_ENV: Readonly<Record<string, string>> = {
  LOG_LEVEL: 'info',
  HOOKPOST_BACKOFF_BASE_MS: '50',
  HOOKPOST_BACKOFF_ATTEMPTS: '4',
  HOOKPOST_BACKOFF_DAILY_MS: '1000',
  HOOKPOST_BATCH_SIZE: '20',
  HOOKPOST_BATCH_INTERVAL_MS: '200',
  HOOKPOST_TIMEOUT_SINGLE_MS: '1000',
  HOOKPOST_TIMEOUT_BATCH_MS: '1000',
};

/** What a scenario runs against. */
export interface WorldOptions {
  customers: number;
  /** A PostgreSQL cluster of its own, which the scenario may stop (else a fresh database on the shared one). */
  privatePostgres?: boolean;
  /** Hookpost processes on the same NATS, database and namespace (active-active from 2). */
  instances?: number;
  /**
   * A cluster under watch: instances named `i1`, `i2`, ... (HOOKPOST_INSTANCE_ID, and PGAPPNAME so
   * the database can tell their writes apart), leases of `leaseMs`, each request's sending instance
   * looked up, each answer held up to `holdMs` (overlap shows) and every log row's writer noted.
   */
  watch?: { leaseMs: number; holdMs: number };
  /** A 3-node JetStream cluster instead of one nats-server; the streams then have 3 replicas. */
  natsCluster?: boolean;
  env?: Record<string, string>;
}

/** A private nats-server, a database, a receiver, Hookpost process(es) and a NATS client. */
export interface World {
  /** The one nats-server, or null when the world runs on a cluster. */
  readonly nats: NatsServerHandle | null;
  readonly cluster: NatsClusterHandle | null;
  readonly postgres: PrivatePostgres | null;
  readonly databaseUrl: string;
  readonly receiver: ChaosReceiver;
  readonly services: ServiceProcess[];
  readonly client: NatsConnection;
  readonly namespace: string;
  readonly customers: string[];
  /** The settings every instance shares (the CLI runs with them too). */
  readonly env: Readonly<Record<string, string>>;
  /** Customers whose endpoint batches (every other one). */
  readonly batching: ReadonlySet<string>;
  /** Which instance sent each request (watched worlds only). */
  readonly senders: SenderTracker | null;
  /** The instance id of each service, by index (watched worlds; else null each). */
  readonly instanceIds: Array<string | null>;
  /** Starts one more instance with the shared settings (the next id in a watched world). */
  addInstance(): Promise<ServiceProcess>;
  close(): Promise<void>;
}

/** Starts a world and configures every customer's endpoint (half of them batching). */
export async function startWorld(options: WorldOptions): Promise<World> {
  const cluster = options.natsCluster === true ? await startNatsCluster(3) : null;
  const nats = cluster === null ? await startNatsServer() : null;
  const natsUrl = cluster?.url ?? nats!.url;
  const postgres = options.privatePostgres === true ? await startPrivatePostgres() : null;
  const shared = postgres === null ? await createTestDatabase() : null;
  const databaseUrl = postgres?.url ?? shared!.url;
  const services: ServiceProcess[] = [];
  const instanceIds: Array<string | null> = [];
  const watch = options.watch;
  let senders: SenderTracker | null = null;
  const receiver = await startChaosReceiver(
    watch === undefined ? {} : { holdMs: watch.holdMs, onRequest: (request) => senders?.note(request) },
  );
  if (watch !== undefined) {
    senders = trackSenders(receiver.receiver.port, () =>
      services.map((service, index) => ({ label: instanceIds[index] ?? '?', pid: service.pid })),
    );
  }
  const namespace = `chaos${randomBytes(3).toString('hex')}`;
  const env = {
    ...CHAOS_ENV,
    NATS_URL: natsUrl,
    ...(cluster === null ? {} : { HOOKPOST_STREAM_REPLICAS: String(cluster.size) }),
    DATABASE_URL: databaseUrl,
    HOOKPOST_NAMESPACE: namespace,
    HOOKPOST_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    ...(watch === undefined ? {} : { HOOKPOST_LEASE_MS: String(watch.leaseMs) }),
    ...options.env,
  };
  const addInstance = async (): Promise<ServiceProcess> => {
    const id = watch === undefined ? null : `i${services.length + 1}`;
    const service = await startService(
      id === null ? env : { ...env, HOOKPOST_INSTANCE_ID: id, PGAPPNAME: id },
    );
    services.push(service);
    instanceIds.push(id);
    return service;
  };
  for (let i = 0; i < (options.instances ?? 1); i += 1) {
    await addInstance();
  }
  if (watch !== undefined) {
    await traceEventWriters(databaseUrl); // the first instance has made the tables
  }
  const client = await connect({
    servers: natsUrl.split(','),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 200,
    noAsyncTraces: true,
  });
  const customers = Array.from({ length: options.customers }, (_, i) => `cust-${String(i).padStart(3, '0')}`);
  const batching = new Set(customers.filter((_, i) => i % 2 === 1));
  for (const customerId of customers) {
    const response = await services[0]!.api('PUT', `/v1/customers/${customerId}/webhook`, {
      url: `${receiver.receiver.url}/${customerId}`,
      secret: `whsec_chaos_${customerId}`,
      batching: batching.has(customerId),
    });
    if (response.status !== 200) {
      throw new Error(`configure ${customerId}: ${response.status} ${JSON.stringify(response.body)}`);
    }
  }
  return {
    nats,
    cluster,
    postgres,
    databaseUrl,
    receiver,
    services,
    client,
    namespace,
    customers,
    env,
    batching,
    senders,
    instanceIds,
    addInstance,
    async close() {
      await client.close().catch(() => undefined);
      await Promise.all(services.map((service) => service.stop().catch(() => undefined)));
      await keepLogs(namespace, services);
      await receiver.close();
      await shared?.drop().catch(() => undefined);
      await postgres?.destroy();
      await nats?.stop();
      await cluster?.stop();
    },
  };
}

/** With CHAOS_LOG_DIR set, writes each service's output there (`<namespace>-<n>.log`) for a post-mortem. */
async function keepLogs(namespace: string, services: readonly ServiceProcess[]): Promise<void> {
  const dir = process.env.CHAOS_LOG_DIR;
  if (dir === undefined || dir === '') {
    return;
  }
  await mkdir(dir, { recursive: true });
  await Promise.all(
    services.map((service, index) => writeFile(join(dir, `${namespace}-${index}.log`), service.logs())),
  );
}

/**
 * Waits until every accepted id has been carried by a successful request; resolves with how long
 * that took, or rejects after `timeoutMs` naming what is missing. Incremental: cheap to poll.
 */
export async function waitUntilDelivered(
  world: World,
  accepted: ReadonlyMap<string, readonly number[]>,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  const delivered = new Map<string, Set<number>>([...accepted.keys()].map((c) => [c, new Set()]));
  const requests: RecordedRequest[] = world.receiver.receiver.requests;
  let next = 0;
  const missing = (): Array<[string, number]> =>
    [...accepted].flatMap(([customerId, ids]) =>
      ids.filter((id) => !delivered.get(customerId)!.has(id)).map((id): [string, number] => [customerId, id]),
    );
  for (;;) {
    for (; next < requests.length; next += 1) {
      const request = requests[next]!;
      const ids = delivered.get(customerOf(request));
      if (ids !== undefined && world.receiver.succeeded(request)) {
        idsOf(request).forEach((id) => ids.add(id));
      }
    }
    const left = missing();
    if (left.length === 0) {
      return Date.now() - started;
    }
    if (Date.now() - started > timeoutMs) {
      const sample = left.slice(0, 10).map(([c, id]) => `${c}:${id}`);
      throw new Error(
        `${left.length} accepted message(s) not delivered after ${timeoutMs} ms: ${sample.join(' ')}`,
      );
    }
    await sleep(250);
  }
}

/** Customers whose status is not `empty` with nothing pending (polls until all are, or the time is up). */
export async function customersNotEmpty(service: ServiceProcess, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await service.api('GET', '/v1/status?limit=1000');
    const notEmpty =
      status === 200
        ? (body.customers as Array<{ customerId: string; queue: string; pending: number }>)
            .filter((row) => row.queue !== 'empty' || row.pending !== 0)
            .map((row) => `${row.customerId} (${row.queue}, ${row.pending} pending)`)
        : [`status list answered ${status}`];
    if (notEmpty.length === 0 || Date.now() > deadline) {
      return notEmpty;
    }
    await sleep(250);
  }
}

/** The outcome of `hookpost replay --verify` against the world's database. */
export interface ReplayVerify {
  outcome: 'passed' | 'failed';
  output: string;
}

/** Runs `node dist/src/main.js replay --verify` with the service's settings (stop the service first). */
export async function replayVerify(world: World): Promise<ReplayVerify> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hookpost-replay-'));
  try {
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        process.execPath,
        ['dist/src/main.js', 'replay', '--verify'],
        { env: { PATH: process.env.PATH ?? '', ...world.env, HOOKPOST_DATA_DIR: dataDir }, timeout: 120_000 },
        (error, stdout, stderr) => {
          const exit = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
          resolve({ code: exit, output: `${stdout}${stderr}` });
        },
      );
    });
    return { outcome: code === 0 ? 'passed' : 'failed', output };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
