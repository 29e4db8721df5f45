import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { streamName } from '../../libs/queue/index.js';
import { between } from './random.js';
import type { InjectContext, Scale, Scenario } from './run-scenario.js';
import type { World } from './world.js';
import type { ServiceProcess } from '../support/service-process.js';

/** Sleeps until `at` (ms since the epoch), or not at all if it has passed. */
export const sleepUntil = (at: number) => sleep(Math.max(0, at - Date.now()));

/** Times at these fractions of the load phase. */
export function pointsIn(ctx: InjectContext, fractions: readonly number[]): number[] {
  const start = ctx.until - ctx.scale.loadMs;
  return fractions.map((fraction) => start + Math.round(ctx.scale.loadMs * fraction));
}

/** kill -9 of the Hookpost process every few seconds, restarted each time. */
export const hookpostKill: Scenario = {
  name: 'hookpost-kill',
  title: 'kill -9 of the Hookpost process every few seconds',
  injection:
    'SIGKILL to the service process after 2-5 s of running (random, seeded), restarted at once with the same settings; repeated until the load phase ends. Publishers fall back to the JetStream fast path while it is down.',
  async inject(world: World, ctx: InjectContext) {
    const service = world.services[0]!;
    const [minUp, maxUp] = ctx.scale.variant === 'full' ? [2_000, 5_000] : [1_500, 3_000];
    for (;;) {
      const killAt = Date.now() + between(ctx.random, minUp, maxUp);
      if (killAt > ctx.until - 1_000) {
        return;
      }
      await sleepUntil(killAt);
      const start = Date.now();
      await service.kill9();
      await service.restart();
      ctx.fault('hookpost kill -9', start, Date.now());
    }
  },
};

/** kill -9 of nats-server mid-load, restarted on the same store and port. */
export const natsKill: Scenario = {
  name: 'nats-kill',
  title: 'kill -9 of nats-server, restarted on the same store',
  injection:
    'SIGKILL to nats-server, 2 s down, then started again on the same port and store directory (twice in the full run, once in the short one). Hookpost and the publishers reconnect by themselves.',
  async inject(world: World, ctx: InjectContext) {
    const fractions = ctx.scale.variant === 'full' ? [0.3, 0.65] : [0.4];
    for (const at of pointsIn(ctx, fractions)) {
      await sleepUntil(at);
      const start = Date.now();
      await world.nats!.kill();
      await sleep(2_000);
      await world.nats!.restart();
      ctx.fault('nats-server kill -9', start, Date.now());
    }
  },
};

/** kill -9 of one node of a 3-node JetStream cluster (R3 streams) mid-load, restarted on its store. */
export const natsNodeKill: Scenario = {
  name: 'nats-node-kill',
  title: 'kill -9 of one node of a 3-node NATS cluster, restarted on its store',
  injection:
    'A 3-node JetStream cluster on loopback (`sync_interval: always`), the queue and events streams with 3 replicas (`HOOKPOST_STREAM_REPLICAS=3`), Hookpost and the publishers given every node in NATS_URL. SIGKILL to the node leading the queue stream, 3 s down, then started again on its ports and store (twice in the full run, once in the short one); the healed time is when the node answers again.',
  world: { natsCluster: true },
  async inject(world: World, ctx: InjectContext) {
    const cluster = world.cluster!;
    const fractions = ctx.scale.variant === 'full' ? [0.3, 0.65] : [0.4];
    for (const at of pointsIn(ctx, fractions)) {
      await sleepUntil(at);
      const node = await queueLeader(world);
      const start = Date.now();
      await cluster.kill(node);
      await sleep(3_000);
      await cluster.restart(node);
      ctx.fault(`nats node ${node} kill -9`, start, Date.now());
    }
  },
};

/** The index of the cluster node leading the queue stream (the test cluster names nodes `<name>-n<i>`). */
async function queueLeader(world: World): Promise<number> {
  const jsm = await jetstreamManager(world.client);
  const { cluster } = await jsm.streams.info(streamName(world.namespace));
  const index = Number(/-n(\d+)$/.exec(cluster?.leader ?? '')?.[1] ?? 0);
  return Number.isInteger(index) ? index : 0;
}

/** PostgreSQL stopped and started mid-load (a private cluster: the shared one is never touched). */
export const postgresStop: Scenario = {
  name: 'postgres-stop',
  title: 'PostgreSQL stopped and started',
  injection:
    "`pg_ctl stop` of a private cluster (`-m fast`, and in the full run a second time `-m immediate`, i.e. a crash), 3 s down, then `pg_ctl start`. The machine's shared PostgreSQL is never stopped.",
  world: { privatePostgres: true },
  async inject(world: World, ctx: InjectContext) {
    const modes = ctx.scale.variant === 'full' ? (['fast', 'immediate'] as const) : (['fast'] as const);
    const points = pointsIn(ctx, ctx.scale.variant === 'full' ? [0.3, 0.65] : [0.4]);
    for (const [index, mode] of modes.entries()) {
      await sleepUntil(points[index]!);
      const start = Date.now();
      await world.postgres!.stop(mode);
      await sleep(3_000);
      await world.postgres!.start();
      ctx.fault(`postgres stop -m ${mode}`, start, Date.now());
    }
  },
};

/** A receiver that flaps: 500s, connection resets, answers past the deadline, redirects. */
export const receiverFlap: Scenario = {
  name: 'receiver-flap',
  title: 'a flapping receiver: 500s, resets, slow answers, redirects',
  injection:
    'For the whole load phase 30% of requests fail: 10% HTTP 500, 8% TCP reset after the body is read, 5% a 200 sent 1.5 s late (the deadline is 1 s), 7% a 302 to another path (never followed). Then it answers 200 again.',
  async inject(world: World, ctx: InjectContext) {
    world.receiver.flap({ error500: 0.1, reset: 0.08, slow: 0.05, redirect: 0.07 }, 1_500);
    await sleepUntil(ctx.until);
    world.receiver.steady();
  },
};

/** True once `service`'s cluster view shows it alone, owning every partition (active-active). */
async function ownsEverything(service: ServiceProcess): Promise<boolean> {
  const reply = await service.api('GET', '/v1/cluster').catch(() => null);
  const view = reply?.body as { partitions: number; instances: Array<{ partitions: number[] }> } | undefined;
  return view?.instances.length === 1 && view.instances[0]?.partitions.length === view.partitions;
}

/** Two Hookpost processes against the same NATS, database and namespace, both delivering. */
export const twoInstances: Scenario = {
  name: 'two-instances',
  title: 'two Hookpost processes on the same NATS and database (active-active)',
  injection:
    'A second service process with the same NATS_URL, DATABASE_URL, HOOKPOST_NAMESPACE and key, started before the load: the two share the partitions. Half-way through, one is killed with -9; the other must take all its partitions over (after the lease), then the killed one is started again and takes its share back by graceful handover.',
  world: { instances: 2 },
  async inject(world: World, ctx: InjectContext) {
    await sleepUntil(pointsIn(ctx, [0.5])[0]!);
    const [victim, survivor] = world.services as [ServiceProcess, ServiceProcess];
    const start = Date.now();
    await victim.kill9();
    // Healed when the survivor owns every partition: the outage of the victim's customers.
    while (!(await ownsEverything(survivor)) && Date.now() - start < 30_000) {
      await sleep(50);
    }
    ctx.fault('kill -9 of one of two delivering processes', start, Date.now());
    await victim.restart(); // rejoins: half the partitions come back to it by graceful handover
  },
};

/** Every scenario, in the order the report lists them. */
export const SCENARIOS: readonly Scenario[] = [
  hookpostKill,
  natsKill,
  natsNodeKill,
  postgresStop,
  receiverFlap,
  twoInstances,
];

/** The full chaos suite: the kill scenario runs at least 60 s of kills. */
export const FULL: Record<string, Scale> = {
  default: { variant: 'full', customers: 40, rate: 150, loadMs: 30_000 },
  'hookpost-kill': { variant: 'full', customers: 40, rate: 150, loadMs: 65_000 },
};

/** The short variant inside `npm test`: a few kills, one of each other fault. */
export const SHORT: Record<string, Scale> = {
  default: { variant: 'short', customers: 12, rate: 60, loadMs: 7_000 },
  'hookpost-kill': { variant: 'short', customers: 12, rate: 60, loadMs: 11_000 },
};

/** The scale of a scenario in the short variant. */
export const shortScale = (scenario: Scenario): Scale => SHORT[scenario.name] ?? SHORT.default!;

/** The scale of a scenario in the full suite. */
export const fullScale = (scenario: Scenario): Scale => FULL[scenario.name] ?? FULL.default!;
