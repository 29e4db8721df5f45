/**
 * B1: the H2 workload (1,000 customers x 20 queued messages, batching off) through BullMQ on
 * Redis, the way a team would build it without Hookpost (bench/bullmq-worker-process.ts). The jobs
 * are added first, then the workers start in their own process; the figure is messages / (last
 * delivery - first delivery), as for H2.
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
  // 2. The workers, in their own process.
  await ctx.receiver.reset();
  const script = fileURLToPath(new URL('../bullmq-worker-process.js', import.meta.url));
  const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const reply = () =>
    once(child, 'message').then(([message]) => {
      const { error } = message as { error?: string };
      if (error !== undefined) {
        throw new Error(`bullmq worker: ${error}`);
      }
    });
  try {
    child.send({ start: { redisUrl: REDIS_URL, prefix, queues: names, secret: BENCH_SECRET } });
    await reply();
    const meter = cpuMeter({
      worker: () => [child.pid ?? 0],
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
    child.send({ stop: true });
    await reply();
    return { rate: (total / (stats.lastAt - stats.firstAt)) * 1000, cpu };
  } finally {
    child.kill('SIGTERM');
    await deleteKeys(redis, prefix);
  }
}

export async function measureB1(ctx: BenchContext): Promise<Figure[]> {
  const customers = ctx.quick ? 500 : 1_000;
  const label = `H2's workload (${customers} customers x ${PER_CUSTOMER}, batching off) through BullMQ on Redis, queue per customer`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    return [
      figure({
        name: 'B1',
        label,
        unit: 'msg/s',
        samples: [],
        notMeasured: `no Redis at ${REDIS_URL}: ${String(error)}`,
      }),
    ];
  }
  const samples: number[] = [];
  const cpus: Record<string, number>[] = [];
  try {
    for (let run = 0; run < ctx.runs; run++) {
      const { rate, cpu } = await oneRun(ctx, redis, `hpbench${process.pid}r${run}`, customers);
      samples.push(rate);
      cpus.push(cpu);
      ctx.log(
        `B1 run ${run + 1}: ${rate.toFixed(0)} msg/s; CPU ms per 1,000 messages: ${JSON.stringify(cpu)}`,
      );
    }
  } finally {
    redis.disconnect();
  }
  return [
    figure({
      name: 'B1',
      label,
      unit: 'msg/s',
      samples,
      cpuMsPer1000: medianCpu(cpus),
      ratioTo: { figure: ctx.figures.get('H2'), goal: { op: '>=', value: 3 }, invert: true },
      note: 'ratio = Hookpost (H2) / BullMQ',
    }),
  ];
}
