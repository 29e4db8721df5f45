/**
 * H1 and H2: a backlog drain. Customers are configured, Hookpost is stopped, the backlog is
 * published into the stream, and Hookpost is started: the figure is messages / (last delivery -
 * first delivery) as the receiver saw them. Start-up (Node, Nest) is not counted; discovery and
 * the customers' first reads from the stream are.
 */
import { medianCpu, perThousand, worldCpuMeter } from '../support/cpu.js';
import { figure, type BenchContext, type Figure } from '../support/figures.js';
import { median, round, until } from '../support/stats.js';
import { publishBacklog, seedCustomers, startWorld, type World } from '../support/world.js';

/** One drain; resolves with msg/s between the first and the last delivery, and from spawn. */
export async function drainBacklog(
  world: World,
  ctx: BenchContext,
  tag: string,
  customers: number,
  perCustomer: number,
  batching: boolean,
): Promise<{ rate: number; fromSpawn: number; cpu: Record<string, number> }> {
  const ids = Array.from({ length: customers }, (_, i) => `${tag}c${i}`);
  await world.hookpost.stop();
  await seedCustomers(
    world.db.url,
    world.hookpost.encryptionKey,
    ids.map((id) => ({ id, url: `${ctx.receiver.url}/${id}`, batching })),
  );
  await publishBacklog(world.js, world.hookpost.namespace, ids, perCustomer);
  await ctx.receiver.reset();
  const spawnedAt = await world.hookpost.start();
  const meter = worldCpuMeter(world, ctx.receiver.pid);
  const total = customers * perCustomer;
  await until(async () => (await ctx.receiver.stats()).messages >= total, 300_000, `${total} deliveries`);
  const stats = await ctx.receiver.stats();
  return {
    rate: (total / (stats.lastAt - stats.firstAt)) * 1000,
    fromSpawn: (total / (stats.lastAt - spawnedAt)) * 1000,
    cpu: perThousand(meter.stop(), total),
  };
}

async function measureDrain(
  ctx: BenchContext,
  name: 'H1' | 'H2',
  customers: number,
  perCustomer: number,
  batching: boolean,
): Promise<{ samples: number[]; fromSpawn: number[]; cpuMsPer1000: Record<string, number> }> {
  const world = await startWorld({ HOOKPOST_BATCH_INTERVAL_MS: '0' }, ctx);
  const samples: number[] = [];
  const fromSpawn: number[] = [];
  const cpus: Record<string, number>[] = [];
  try {
    await world.hookpost.start(); // creates the stream and the schema
    for (let run = 0; run < ctx.runs; run++) {
      const result = await drainBacklog(
        world,
        ctx,
        `${name.toLowerCase()}r${run}`,
        customers,
        perCustomer,
        batching,
      );
      samples.push(result.rate);
      fromSpawn.push(result.fromSpawn);
      cpus.push(result.cpu);
      ctx.log(
        `${name} run ${run + 1}: ${customers} x ${perCustomer}: ${result.rate.toFixed(0)} msg/s (${result.fromSpawn.toFixed(0)} msg/s counting from spawn); CPU ms per 1,000 messages: ${JSON.stringify(result.cpu)}`,
      );
    }
  } finally {
    await world.close();
  }
  return { samples, fromSpawn, cpuMsPer1000: medianCpu(cpus) };
}

/** H1: 100 customers x 2,000 queued messages, batching on, no batch wait. */
export async function measureH1(ctx: BenchContext): Promise<Figure[]> {
  const perCustomer = ctx.quick ? 300 : 2_000;
  const { samples, fromSpawn, cpuMsPer1000 } = await measureDrain(ctx, 'H1', 100, perCustomer, true);
  return [
    figure({
      name: 'H1',
      label: `100 customers x ${perCustomer} queued, batching on, no batch wait: delivery rate`,
      unit: 'msg/s',
      samples,
      cpuMsPer1000,
      goal: { op: '>=', value: 20_000 },
      ratioTo: { figure: ctx.figures.get('L2 fetch'), goal: { op: '>=', value: 0.5 } },
      note: `counting from the process spawn: ${round(median(fromSpawn))} msg/s`,
    }),
  ];
}

/** H2: 1,000 customers x 20 queued messages, batching off. */
export async function measureH2(ctx: BenchContext): Promise<Figure[]> {
  const customers = ctx.quick ? 500 : 1_000;
  const { samples, fromSpawn, cpuMsPer1000 } = await measureDrain(ctx, 'H2', customers, 20, false);
  return [
    figure({
      name: 'H2',
      label: `${customers} customers x 20 queued, batching off: delivery rate`,
      unit: 'msg/s',
      samples,
      cpuMsPer1000,
      goal: { op: '>=', value: 5_000 },
      ratioTo: { figure: ctx.figures.get('L1 64 in flight'), goal: { op: '>=', value: 0.33 } },
      note: `counting from the process spawn: ${round(median(fromSpawn))} msg/s`,
    }),
  ];
}
