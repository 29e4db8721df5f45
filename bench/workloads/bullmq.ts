/**
 * B1: the H2 workload (1,000 customers x 20 queued messages, batching off) through BullMQ on
 * Redis, the way a team would build it without Hookpost (bench/bullmq-worker-process.ts). The jobs
 * are added first, then the workers start in their own process; the figure is messages / (last
 * delivery - first delivery), as for H2. `B1 2 workers` runs as many worker processes as H8 runs
 * Hookpost instances, each with its share of the queues (the way order per customer is kept).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { WebhookJob } from '../bullmq-worker-process.js';
import { cpuMeter, medianCpu, perThousand, pidsMatching } from '../support/cpu.js';
import { figure, type BenchContext, type Figure } from '../support/figures.js';
import { until } from '../support/stats.js';
import { BENCH_SECRET } from '../support/world.js';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PER_CUSTOMER = 20;

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
    cursor = next;
    if (keys.length > 0) {
      await redis.del(...keys);
    }
  } while (cursor !== '0');
}

async function oneRun(
  ctx: BenchContext,
  redis: Redis,
  prefix: string,
  customers: number,
  processes: number,
): Promise<{ rate: number; cpu: Record<string, number> }> {
  const names = Array.from({ length: customers }, (_, i) => `c${i}`);
  // 1. The backlog: 20 jobs per customer queue, the same ~1 KiB message as Hookpost's.
  let id = 1;
  for (const name of names) {
    const queue = new Queue<WebhookJob>(name, { connection: redis, prefix });
    await queue.addBulk(
      Array.from({ length: PER_CUSTOMER }, () => ({
        name: 'webhook',
        data: {
          id: id++,
          url: `${ctx.receiver.url}/${name}`,
          event: 'CHECK_COMPLETED',
          acceptedAt: Date.now(),
          data: { checkId: `chk_${id}`, pad: 'x'.repeat(960) },
        },
        opts: { removeOnComplete: true, removeOnFail: false },
      })),
    );
    await queue.close();
  }
  // 2. The workers, in their own processes, each with every processes-th queue.
  await ctx.receiver.reset();
  const script = fileURLToPath(new URL('../bullmq-worker-process.js', import.meta.url));
  const children = Array.from({ length: processes }, () =>
    fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const replies = () =>
    Promise.all(
      children.map((child) =>
        once(child, 'message').then(([message]) => {
          const { error } = message as { error?: string };
          if (error !== undefined) {
            throw new Error(`bullmq worker: ${error}`);
          }
        }),
      ),
    );
  try {
    children.forEach((child, index) => {
      const queues = names.filter((_, at) => at % processes === index);
      child.send({ start: { redisUrl: REDIS_URL, prefix, queues, secret: BENCH_SECRET } });
    });
    await replies();
    const meter = cpuMeter({
      worker: () => children.map((child) => child.pid ?? 0),
      receiver: () => [ctx.receiver.pid],
      redis: () => pidsMatching('redis-server'),
    });
    const total = customers * PER_CUSTOMER;
    await until(
      async () => (await ctx.receiver.stats()).messages >= total,
      300_000,
      `${total} BullMQ deliveries`,
      50,
    );
    const stats = await ctx.receiver.stats();
    const cpu = perThousand(meter.stop(), total);
    children.forEach((child) => child.send({ stop: true }));
    await replies();
    return { rate: (total / (stats.lastAt - stats.firstAt)) * 1000, cpu };
  } finally {
    children.forEach((child) => child.kill('SIGTERM'));
    await deleteKeys(redis, prefix);
  }
}

/** The processes Hookpost's side of H2 runs on, and BullMQ's side of B1. */
const HOOKPOST_SIDE = ['hookpost', 'nats-server', 'postgres'];
const BULLMQ_SIDE = ['worker', 'redis'];

function cpuOf(cpu: Readonly<Record<string, number>> | undefined, processes: string[]): number {
  return processes.reduce((sum, name) => sum + (cpu?.[name] ?? NaN), 0);
}

/** BullMQ with `processes` worker processes, over `ctx.runs` runs; why not, without Redis. */
async function measureBullmq(
  ctx: BenchContext,
  name: string,
  customers: number,
  processes: number,
): Promise<{ samples: number[]; cpu: Record<string, number> } | { notMeasured: string }> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    return { notMeasured: `no Redis at ${REDIS_URL}: ${String(error)}` };
  }
  const samples: number[] = [];
  const cpus: Record<string, number>[] = [];
  try {
    for (let run = 0; run < ctx.runs; run++) {
      const prefix = `hpbench${process.pid}p${processes}r${run}`;
      const { rate, cpu } = await oneRun(ctx, redis, prefix, customers, processes);
      samples.push(rate);
      cpus.push(cpu);
      ctx.log(
        `${name} run ${run + 1}: ${rate.toFixed(0)} msg/s; CPU ms per 1,000 messages: ${JSON.stringify(cpu)}`,
      );
    }
  } finally {
    redis.disconnect();
  }
  return { samples, cpu: medianCpu(cpus) };
}

export async function measureB1(ctx: BenchContext): Promise<Figure[]> {
  const customers = ctx.quick ? 500 : 1_000;
  const label = `H2's workload (${customers} customers x ${PER_CUSTOMER}, batching off) through BullMQ on Redis, queue per customer`;
  const measured = await measureBullmq(ctx, 'B1', customers, 1);
  if ('notMeasured' in measured) {
    return [figure({ name: 'B1', label, unit: 'msg/s', samples: [], notMeasured: measured.notMeasured })];
  }
  const h2 = ctx.figures.get('H2');
  const hookpostSide = cpuOf(h2?.cpuMsPer1000, HOOKPOST_SIDE);
  const bullmqSide = cpuOf(measured.cpu, BULLMQ_SIDE);
  const share = hookpostSide / bullmqSide;
  const cpuLabel = `CPU per 1,000 delivered messages, Hookpost's side of H2 (${HOOKPOST_SIDE.join(' + ')}) over BullMQ's side of B1 (${BULLMQ_SIDE.join(' + ')}), medians of the same run`;
  return [
    figure({
      name: 'B1',
      label,
      unit: 'msg/s',
      samples: measured.samples,
      cpuMsPer1000: measured.cpu,
      ratioTo: { figure: h2, goal: { op: '>=', value: 3 }, invert: true },
      note: 'ratio = Hookpost (H2) / BullMQ',
    }),
    Number.isFinite(share)
      ? figure({
          name: 'H2 CPU',
          label: cpuLabel,
          unit: 'x',
          samples: [share],
          goal: { op: '<=', value: 0.5 },
          note: `${Math.round(hookpostSide)} ms against ${Math.round(bullmqSide)} ms`,
        })
      : figure({
          name: 'H2 CPU',
          label: cpuLabel,
          unit: 'x',
          samples: [],
          notMeasured: 'H2 was not measured in this run',
        }),
  ];
}

/** B1 with as many worker processes as H8 has Hookpost instances (2), against H8. */
export async function measureB1Pair(ctx: BenchContext): Promise<Figure[]> {
  const customers = ctx.quick ? 500 : 1_000;
  const label = `B1 with 2 worker processes, each with half the customer queues (as H8 runs 2 Hookpost instances)`;
  const measured = await measureBullmq(ctx, 'B1 2 workers', customers, 2);
  if ('notMeasured' in measured) {
    return [
      figure({ name: 'B1 2 workers', label, unit: 'msg/s', samples: [], notMeasured: measured.notMeasured }),
    ];
  }
  return [
    figure({
      name: 'B1 2 workers',
      label,
      unit: 'msg/s',
      samples: measured.samples,
      cpuMsPer1000: measured.cpu,
      ratioTo: { figure: ctx.figures.get('H8'), goal: { op: '>=', value: 3 }, invert: true },
      note: 'ratio = Hookpost (H8, 2 instances) / BullMQ with 2 workers',
    }),
  ];
}
