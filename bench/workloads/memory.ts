/**
 * H5: the service's resident memory with many customers. 100,000 customers are configured (in the
 * event log); in each run 10,000 of them get 3 messages while their endpoint answers 503, so they
 * hold pending messages and wait out the backoff (the default schedule: 30 s first). Then the
 * endpoint recovers, an operator presses Retry for each (the `<ns>.retry` NATS pattern), everything
 * is delivered, and the actors go idle and leave memory.
 */
import { readdirSync } from 'node:fs';
import { figure, type BenchContext, type Figure } from '../support/figures.js';
import { median, sleep, until } from '../support/stats.js';
import { publishBacklog, seedCustomers, startWorld, type World } from '../support/world.js';

const PER_CUSTOMER = 3;

/** Node's own view of the service's memory (prom-client default metrics), for the log. */
async function heapReport(world: World): Promise<string> {
  const text = await fetch(`${world.hookpost.url}/metrics`).then((res) => res.text());
  const mib = (name: string) => {
    const value = Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
    return `${(value / 2 ** 20).toFixed(0)}`;
  };
  const fds = readdirSync(`/proc/${world.hookpost.pid()}/fd`).length;
  return `${fds} fds, heap used ${mib('hookpost_process_nodejs_heap_size_used_bytes')} / total ${mib('hookpost_process_nodejs_heap_size_total_bytes')} MiB, external ${mib('hookpost_process_nodejs_external_memory_bytes')} MiB`;
}

async function activeActors(world: World): Promise<number> {
  const text = await fetch(`${world.hookpost.url}/metrics`).then((res) => res.text());
  return Number(/hookpost_actors\{kind="active"[^}]*\} (\d+)/.exec(text)?.[1] ?? NaN);
}

/** Presses Retry for each customer over NATS, 200 requests in flight. */
async function retryAll(world: World, customers: readonly string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < customers.length) {
      const customerId = customers[next++]!;
      const reply = await world.nc.request(
        `${world.hookpost.namespace}.retry`,
        JSON.stringify({ customerId }),
        {
          timeout: 30_000,
        },
      );
      if (reply.json<{ error?: unknown }>().error !== undefined) {
        throw new Error(`retry ${customerId}: ${reply.string()}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 200 }, worker));
}

/** Samples RSS every 100 ms while `work` runs; returns the highest. */
async function peakRss(world: World, work: () => Promise<void>): Promise<number> {
  let peak = world.hookpost.rssMiB();
  const timer = setInterval(() => (peak = Math.max(peak, world.hookpost.rssMiB())), 100);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, world.hookpost.rssMiB());
}

export async function measureH5(ctx: BenchContext): Promise<Figure[]> {
  const configured = ctx.quick ? 10_000 : 100_000;
  const pendingCustomers = ctx.quick ? 1_000 : 10_000;
  const idleMs = ctx.quick ? 3_000 : 30_000;
  const pending: number[] = [];
  const idle: number[] = [];
  const baseline: number[] = [];
  // A world per run: the idle customers' subject purges of one run would still be running in the next.
  for (let run = 0; run < Math.min(ctx.runs, ctx.quick ? 2 : 3); run++) {
    const world = await startWorld({ HOOKPOST_ACTOR_IDLE_MS: String(idleMs) }, ctx);
    try {
      await world.hookpost.start();
      await world.hookpost.stop();
      const ids = Array.from({ length: configured }, (_, i) => `h5c${i}`);
      await seedCustomers(
        world.db.url,
        world.hookpost.encryptionKey,
        ids.map((id) => ({ id, url: `${ctx.receiver.url}/${id}`, batching: false })),
      );
      await world.hookpost.start();
      await sleep(1_000);
      baseline.push(world.hookpost.rssMiB());
      ctx.log(
        `H5 run ${run + 1}: ${configured} customers configured; RSS ${baseline.at(-1)?.toFixed(0)} MiB; ${await heapReport(world)}`,
      );
      const chosen = ids.slice(0, pendingCustomers);
      await ctx.receiver.reset();
      await ctx.receiver.setMode('fail');
      // 1. Every chosen customer gets messages; its endpoint fails, so they stay pending.
      const rssPending = await peakRss(world, async () => {
        await publishBacklog(world.js, world.hookpost.namespace, chosen, PER_CUSTOMER);
        await until(
          async () => (await ctx.receiver.stats()).failed >= chosen.length,
          120_000,
          'a failed attempt per customer',
          100,
        );
        await sleep(1_000);
        ctx.log(`H5 run ${run + 1}: all pending: ${await heapReport(world)}`);
      });
      pending.push(rssPending);
      // 2. The endpoint recovers and every customer gets a Retry.
      await ctx.receiver.setMode('ok');
      await retryAll(world, chosen);
      const total = chosen.length * PER_CUSTOMER;
      await until(
        async () => (await ctx.receiver.stats()).messages >= total,
        180_000,
        `${total} deliveries`,
        100,
      );
      // 3. Idle: the actors leave memory after HOOKPOST_ACTOR_IDLE_MS (the sweep runs every <= 5 s).
      // Polled rarely: a scrape is work, and V8 gives memory back only once the process is quiet.
      await sleep(idleMs);
      await until(async () => (await activeActors(world)) === 0, 60_000, 'no active actor', 2_000);
      await sleep(ctx.quick ? 5_000 : 10_000);
      const rssIdle = world.hookpost.rssMiB();
      idle.push(rssIdle);
      ctx.log(`H5 run ${run + 1}: idle: ${await heapReport(world)}`);
      ctx.log(
        `H5 run ${run + 1}: ${chosen.length} customers pending: peak RSS ${rssPending.toFixed(0)} MiB; drained and idle: ${rssIdle.toFixed(0)} MiB`,
      );
    } finally {
      await ctx.receiver.setMode('ok');
      // SIGKILL: a graceful stop would first run the 10,000 idle customers' purges (minutes).
      await world.hookpost.kill9();
      await world.close();
    }
  }
  const label = `${configured.toLocaleString('en')} configured customers`;
  return [
    figure({
      name: 'H5 pending',
      label: `${label}, ${pendingCustomers.toLocaleString('en')} with pending messages (endpoint failing): peak RSS`,
      unit: 'MiB',
      samples: pending,
      goal: { op: '<=', value: 400 },
      note: `RSS right after start with ${label}: ${Math.round(median(baseline))} MiB`,
    }),
    figure({
      name: 'H5 idle',
      label: `${label}, all drained and idle (actors passivated): RSS`,
      unit: 'MiB',
      samples: idle,
      goal: { op: '<=', value: 200 },
    }),
  ];
}
