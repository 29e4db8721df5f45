/**
 * H4: latency from the publish ack (a JetStream publish into `<ns>.queue.<customerId>`, as
 * producers do) to the receiver, at a steady 200 msg/s spread over 200 customers, so each message
 * finds its customer idle. Batching off. Both clocks are this machine's (performance.timeOrigin).
 */
import { medianCpu, perThousand, worldCpuMeter } from '../support/cpu.js';
import { figure, type BenchContext, type Figure } from '../support/figures.js';
import { nowMs, quantile, sleep, until } from '../support/stats.js';
import { messageBytes, seedCustomers, startWorld } from '../support/world.js';

const RATE = 200;
const CUSTOMERS = 200;

export async function measureH4(ctx: BenchContext): Promise<Figure[]> {
  const seconds = ctx.quick ? 3 : 10;
  const world = await startWorld({}, ctx);
  const p50: number[] = [];
  const p99: number[] = [];
  const cpus: Record<string, number>[] = [];
  try {
    await world.hookpost.start();
    await world.hookpost.stop();
    const ids = Array.from({ length: CUSTOMERS }, (_, i) => `h4c${i}`);
    await seedCustomers(
      world.db.url,
      world.hookpost.encryptionKey,
      ids.map((id) => ({ id, url: `${ctx.receiver.url}/${id}`, batching: false })),
    );
    await world.hookpost.start();
    const body = messageBytes(0);
    for (let run = 0; run < ctx.runs + 1; run++) {
      await ctx.receiver.reset({ trackIds: true });
      const count = run === 0 ? RATE : RATE * seconds; // run 0: one second of warm-up
      const ackedAt = new Map<number, number>();
      const publishes: Promise<void>[] = [];
      const meter = worldCpuMeter(world, ctx.receiver.pid);
      const started = nowMs();
      for (let i = 0; i < count; i++) {
        const due = started + (i * 1000) / RATE;
        const wait = due - nowMs();
        if (wait > 0) {
          await sleep(wait);
        }
        publishes.push(
          world.js
            .publish(`${world.hookpost.namespace}.queue.${ids[i % CUSTOMERS]}`, body)
            .then((ack) => void ackedAt.set(ack.seq, nowMs())),
        );
      }
      await Promise.all(publishes);
      await until(async () => (await ctx.receiver.stats()).messages >= count, 30_000, `${count} deliveries`);
      const cpu = perThousand(meter.stop(), count);
      const received = await ctx.receiver.receivedAt();
      const latencies = [...ackedAt].map(([seq, at]) => (received.get(String(seq)) ?? NaN) - at);
      if (run > 0) {
        p50.push(quantile(latencies, 0.5));
        p99.push(quantile(latencies, 0.99));
        cpus.push(cpu);
      }
      ctx.log(
        `H4 run ${run}${run === 0 ? ' (warm-up)' : ''}: ${count} msgs, p50 ${quantile(latencies, 0.5).toFixed(2)} ms, p99 ${quantile(latencies, 0.99).toFixed(2)} ms, max ${Math.max(...latencies).toFixed(1)} ms`,
      );
      await sleep(200);
    }
  } finally {
    await world.close();
  }
  const label = `publish ack -> receiver, ${RATE} msg/s steady over ${CUSTOMERS} idle customers, batching off`;
  return [
    figure({
      name: 'H4 p50',
      label,
      unit: 'ms',
      samples: p50,
      cpuMsPer1000: medianCpu(cpus),
      goal: { op: '<=', value: 3 },
    }),
    figure({ name: 'H4 p99', label, unit: 'ms', samples: p99, goal: { op: '<=', value: 5 } }),
  ];
}
