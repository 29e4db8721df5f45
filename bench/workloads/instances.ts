/**
 * H8: H2's workload (single mode, 20 messages per customer) delivered by 1, 2 and 3 Hookpost
 * instances sharing one PostgreSQL log and one NATS. The instances are started and left to balance
 * their partitions (each owns ⌊P/N⌋ or ⌈P/N⌉, as GET /v1/cluster shows) before the messages are
 * published, so the figure is delivery by a settled cluster: messages / (last delivery - first).
 */
import { cpuMeter, medianCpu, perThousand, pidsMatching } from '../support/cpu.js';
import { figure, type BenchContext, type Figure } from '../support/figures.js';
import { hookpostProcess, type HookpostProcess } from '../support/hookpost.js';
import { until } from '../support/stats.js';
import { publishBacklog, seedCustomers, startWorld, type World } from '../support/world.js';

const SETTINGS = { HOOKPOST_BATCH_INTERVAL_MS: '0' };
const PER_CUSTOMER = 20;

interface ClusterReply {
  partitions: number;
  instances: Array<{ instanceId: string; partitions: number[] }>;
}

/** Until the cluster view lists `count` instances that own every partition, evenly. */
export async function balanced(instance: HookpostProcess, count: number): Promise<void> {
  await until(
    async () => {
      const reply = await instance.api('GET', '/v1/cluster');
      const view = reply.body as ClusterReply;
      const owned = view.instances.map((member) => member.partitions.length);
      const floor = Math.floor(view.partitions / count);
      return (
        reply.status === 200 &&
        view.instances.length === count &&
        owned.reduce((sum, n) => sum + n, 0) === view.partitions &&
        owned.every((n) => n === floor || n === floor + 1)
      );
    },
    120_000,
    `${count} instances balanced`,
  );
}

/** One drain by `instances` settled instances; resolves with msg/s and CPU per 1,000 messages. */
async function drainShared(
  world: World,
  instances: readonly HookpostProcess[],
  ctx: BenchContext,
  tag: string,
  customers: number,
): Promise<{ rate: number; cpu: Record<string, number> }> {
  await Promise.all(instances.map((instance) => instance.stop()));
  const ids = Array.from({ length: customers }, (_, i) => `${tag}c${i}`);
  await seedCustomers(
    world.db.url,
    world.hookpost.encryptionKey,
    ids.map((id) => ({ id, url: `${ctx.receiver.url}/${id}`, batching: false })),
  );
  // One after the other, so the cluster view's order is the start order (nothing depends on it).
  for (const instance of instances) {
    await instance.start();
  }
  const startedAt = Date.now();
  await balanced(instances[0]!, instances.length);
  ctx.log(
    `H8 ${instances.length}: balanced ${((Date.now() - startedAt) / 1000).toFixed(1)} s after the last start`,
  );
  await ctx.receiver.reset();
  const meter = cpuMeter({
    hookpost: () => instances.map((instance) => instance.pid()),
    receiver: () => [ctx.receiver.pid],
    'nats-server': () => pidsMatching(world.nats.storeDir),
    postgres: () => pidsMatching(world.db.name),
  });
  const total = customers * PER_CUSTOMER;
  await publishBacklog(world.js, world.hookpost.namespace, ids, PER_CUSTOMER);
  await until(async () => (await ctx.receiver.stats()).messages >= total, 300_000, `${total} deliveries`);
  const stats = await ctx.receiver.stats();
  return { rate: (total / (stats.lastAt - stats.firstAt)) * 1000, cpu: perThousand(meter.stop(), total) };
}

/** H8: 1, 2 and 3 instances (a quick run: 1 and 2) share H2's workload; `H8` is the run with 2. */
export async function measureH8(ctx: BenchContext): Promise<Figure[]> {
  const counts = ctx.quick ? [1, 2] : [1, 2, 3];
  const customers = ctx.quick ? 500 : 1_000;
  const world = await startWorld(SETTINGS, ctx);
  const env = { ...ctx.env, HOOKPOST_STREAM_REPLICAS: String(world.replicas), ...SETTINGS };
  const others = await Promise.all(
    counts
      .slice(1)
      .map(() =>
        hookpostProcess({ natsUrl: world.nats.url, databaseUrl: world.db.url, env, nodeArgs: ctx.nodeArgs }),
      ),
  );
  const figures: Figure[] = [];
  try {
    await world.hookpost.start(); // creates the streams, the schema and the partition count
    for (const count of counts) {
      const instances = [world.hookpost, ...others.slice(0, count - 1)];
      const samples: number[] = [];
      const cpus: Record<string, number>[] = [];
      for (let run = 0; run < ctx.runs; run++) {
        const result = await drainShared(world, instances, ctx, `h8n${count}r${run}`, customers);
        samples.push(result.rate);
        cpus.push(result.cpu);
        ctx.log(
          `H8 ${count} run ${run + 1}: ${customers} x ${PER_CUSTOMER}: ${result.rate.toFixed(0)} msg/s; CPU ms per 1,000 messages: ${JSON.stringify(result.cpu)}`,
        );
      }
      // `H8` itself is two instances; its ratio is their throughput over one instance's (goal 1.4).
      const name = count === 2 ? 'H8' : `H8 ${count} instance${count === 1 ? '' : 's'}`;
      figures.push(
        figure({
          name,
          label: `${customers} customers x ${PER_CUSTOMER}, batching off, delivered by ${count} instance${count === 1 ? '' : 's'} on one PostgreSQL log (balanced before publishing)`,
          unit: 'msg/s',
          samples,
          cpuMsPer1000: medianCpu(cpus),
          ...(count === 1
            ? {}
            : {
                ratioTo: {
                  figure: figures[0],
                  ...(count === 2 ? { goal: { op: '>=' as const, value: 1.4 } } : {}),
                },
              }),
        }),
      );
    }
  } finally {
    await Promise.all(others.map((other) => other.close()));
    await world.close();
  }
  return figures;
}
