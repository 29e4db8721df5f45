/**
 * H6: crash recovery. 10,000 customers get 5 messages each; right after the last publish, while
 * deliveries are under way, Hookpost is killed with SIGKILL and started again. Figures: seconds
 * from the new process's spawn to its first delivery, and until every customer that still had
 * undelivered messages at the kill has received a request again.
 */
import { figure, type BenchContext, type Figure } from '../support/figures.js';
import { hookpostProcess } from '../support/hookpost.js';
import { until } from '../support/stats.js';
import { publishBacklog, seedCustomers, startWorld } from '../support/world.js';
import { balanced } from './instances.js';

const PER_CUSTOMER = 5;
/** The service's HOOKPOST_LEASE_MS default (docs/configuration.md). */
const DEFAULT_LEASE_MS = 10_000;

/** The customers (receiver paths) that have not had all their messages yet. */
async function pendingOf(ctx: BenchContext, ids: readonly string[]): Promise<string[]> {
  const complete = new Set(await ctx.receiver.completePaths(PER_CUSTOMER));
  return ids.map((id) => `/${id}`).filter((path) => !complete.has(path));
}

/** Waits until each of `pending` has had a request since the mark, then for every message; returns the stats at the first. */
async function resumeAndDrain(ctx: BenchContext, pending: readonly string[], customers: number) {
  await until(
    async () => (await ctx.receiver.stats()).resumed >= pending.length,
    120_000,
    `${pending.length} customers resumed`,
    50,
  );
  const stats = await ctx.receiver.stats();
  await until(
    async () => (await ctx.receiver.completePaths(PER_CUSTOMER)).length >= customers,
    120_000,
    'every message delivered',
    250,
  );
  return stats;
}

export async function measureH6(ctx: BenchContext): Promise<Figure[]> {
  const customers = ctx.quick ? 1_000 : 10_000;
  const world = await startWorld({}, ctx);
  const first: number[] = [];
  const resumed: number[] = [];
  const pendingAtKill: number[] = [];
  try {
    await world.hookpost.start();
    for (let run = 0; run < Math.min(ctx.runs, 3); run++) {
      const ids = Array.from({ length: customers }, (_, i) => `h6r${run}c${i}`);
      await world.hookpost.stop();
      await seedCustomers(
        world.db.url,
        world.hookpost.encryptionKey,
        ids.map((id) => ({ id, url: `${ctx.receiver.url}/${id}`, batching: false })),
      );
      await world.hookpost.start();
      await ctx.receiver.reset({ trackPaths: true });
      // 1. The backlog arrives while Hookpost delivers; kill -9 as soon as it is all published.
      await publishBacklog(world.js, world.hookpost.namespace, ids, PER_CUSTOMER);
      await world.hookpost.kill9();
      const pending = await pendingOf(ctx, ids);
      pendingAtKill.push(pending.length);
      // 2. Restart; count from the spawn.
      await ctx.receiver.mark(pending);
      const spawnedAt = await world.hookpost.start();
      const stats = await resumeAndDrain(ctx, pending, customers);
      first.push((stats.firstAfterMark - spawnedAt) / 1000);
      resumed.push((stats.lastResumedAt - spawnedAt) / 1000);
      ctx.log(
        `H6 run ${run + 1}: ${pending.length} customers pending at the kill; first delivery after ${first.at(-1)?.toFixed(2)} s, all resumed after ${resumed.at(-1)?.toFixed(2)} s`,
      );
    }
  } finally {
    await world.close();
  }
  const label = `kill -9 with ${customers.toLocaleString('en')} customers pending (${PER_CUSTOMER} messages each), restart`;
  const note = `customers pending at the kill: ${pendingAtKill.join(', ')}`;
  return [
    figure({
      name: 'H6 first',
      label: `${label}: spawn to first delivery`,
      unit: 's',
      samples: first,
      goal: { op: '<=', value: 5 },
      note,
    }),
    figure({
      name: 'H6 resumed',
      label: `${label}: spawn to every pending customer resumed`,
      unit: 's',
      samples: resumed,
      goal: { op: '<=', value: 30 },
      note,
    }),
  ];
}

/**
 * H6 with two instances (issue 15): both deliver a balanced share of the same backlog; right after
 * the last publish one is killed with SIGKILL and not restarted. Figure: seconds from the kill
 * until every customer that still had undelivered messages has received a request again, which
 * for the killed one's customers means the survivor took their partitions over when the leases ran
 * out (goal 2 × HOOKPOST_LEASE_MS + 5 s).
 */
export async function measureH6Pair(ctx: BenchContext): Promise<Figure[]> {
  const customers = ctx.quick ? 1_000 : 10_000;
  const leaseMs = Number(ctx.env.HOOKPOST_LEASE_MS ?? DEFAULT_LEASE_MS);
  const world = await startWorld({}, ctx);
  const env = { ...ctx.env, HOOKPOST_STREAM_REPLICAS: String(world.replicas) };
  const victim = await hookpostProcess({
    natsUrl: world.nats.url,
    databaseUrl: world.db.url,
    env,
    nodeArgs: ctx.nodeArgs,
  });
  const resumed: number[] = [];
  const pendingAtKill: number[] = [];
  const takeovers: number[] = [];
  try {
    await world.hookpost.start();
    for (let run = 0; run < Math.min(ctx.runs, 3); run++) {
      const ids = Array.from({ length: customers }, (_, i) => `h6p${run}c${i}`);
      await Promise.all([world.hookpost.stop(), victim.stop()]);
      await seedCustomers(
        world.db.url,
        world.hookpost.encryptionKey,
        ids.map((id) => ({ id, url: `${ctx.receiver.url}/${id}`, batching: false })),
      );
      await world.hookpost.start();
      await victim.start();
      await balanced(world.hookpost, 2);
      await ctx.receiver.reset({ trackPaths: true });
      await publishBacklog(world.js, world.hookpost.namespace, ids, PER_CUSTOMER);
      const killedAt = Date.now();
      await victim.kill9();
      const takenOver = balanced(world.hookpost, 1).then(() => Date.now());
      const pending = await pendingOf(ctx, ids);
      pendingAtKill.push(pending.length);
      await ctx.receiver.mark(pending);
      const stats = await resumeAndDrain(ctx, pending, customers);
      resumed.push((stats.lastResumedAt - killedAt) / 1000);
      takeovers.push((await takenOver) - killedAt);
      ctx.log(
        `H6 2 instances run ${run + 1}: ${pending.length} customers pending at the kill; the survivor owned every partition ${takeovers.at(-1)} ms after it, all resumed ${resumed.at(-1)?.toFixed(2)} s after it`,
      );
    }
  } finally {
    await victim.close();
    await world.close();
  }
  return [
    figure({
      name: 'H6 2 instances resumed',
      label: `two instances, one killed (-9) with ${customers.toLocaleString('en')} customers pending (${PER_CUSTOMER} messages each): kill to every pending customer resumed by the survivor`,
      unit: 's',
      samples: resumed,
      goal: { op: '<=', value: (2 * leaseMs) / 1000 + 5 },
      note: `customers pending at the kill: ${pendingAtKill.join(', ')}; the survivor owned every partition after ${takeovers.join(', ')} ms; HOOKPOST_LEASE_MS ${leaseMs}`,
    }),
  ];
}
