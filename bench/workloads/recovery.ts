/**
 * H6: crash recovery. 10,000 customers get 5 messages each; right after the last publish, while
 * deliveries are under way, Hookpost is killed with SIGKILL and started again. Figures: seconds
 * from the new process's spawn to its first delivery, and until every customer that still had
 * undelivered messages at the kill has received a request again.
 */
import { figure, type BenchContext, type Figure } from '../support/figures.js';
import { until } from '../support/stats.js';
import { publishBacklog, seedCustomers, startWorld } from '../support/world.js';

const PER_CUSTOMER = 5;

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
      const complete = new Set(await ctx.receiver.completePaths(PER_CUSTOMER));
      const pending = ids.map((id) => `/${id}`).filter((path) => !complete.has(path));
      pendingAtKill.push(pending.length);
      // 2. Restart; count from the spawn.
      await ctx.receiver.mark(pending);
      const spawnedAt = await world.hookpost.start();
      await until(
        async () => (await ctx.receiver.stats()).resumed >= pending.length,
        120_000,
        `${pending.length} customers resumed`,
        50,
      );
      const stats = await ctx.receiver.stats();
      first.push((stats.firstAfterMark - spawnedAt) / 1000);
      resumed.push((stats.lastResumedAt - spawnedAt) / 1000);
      await until(
        async () => (await ctx.receiver.completePaths(PER_CUSTOMER)).length >= customers,
        120_000,
        'every message delivered',
        250,
      );
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
