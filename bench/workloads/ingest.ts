/**
 * H3: ingest through the `<ns>.publish` request/reply pattern (validation, Nest's NATS transport,
 * an acked JetStream publish per message), 1,000 requests in flight. The customers have no
 * endpoint, so their messages are held: this measures ingest alone, not ingest plus delivery.
 */
import { medianCpu, perThousand, worldCpuMeter } from '../support/cpu.js';
import { figure, type BenchContext, type Figure } from '../support/figures.js';
import { nowMs } from '../support/stats.js';
import { startWorld } from '../support/world.js';

export async function measureH3(ctx: BenchContext): Promise<Figure[]> {
  const total = ctx.quick ? 10_000 : 30_000;
  const world = await startWorld({}, ctx);
  const samples: number[] = [];
  const cpus: Record<string, number>[] = [];
  try {
    await world.hookpost.start();
    const subject = `${world.hookpost.namespace}.publish`;
    for (let run = 0; run < ctx.runs + 1; run++) {
      let next = 0;
      const meter = worldCpuMeter(world, ctx.receiver.pid);
      const started = nowMs();
      const worker = async () => {
        while (next < total) {
          const index = next++;
          const body = JSON.stringify({
            customerId: `h3r${run}c${index % 100}`,
            event: 'CHECK_COMPLETED',
            data: { checkId: `chk_${index}`, pad: 'x'.repeat(960) },
          });
          const reply = (await world.nc.request(subject, body, { timeout: 30_000 })).json<{
            webhookId?: number;
          }>();
          if (typeof reply.webhookId !== 'number') {
            throw new Error(`publish failed: ${JSON.stringify(reply)}`);
          }
        }
      };
      await Promise.all(Array.from({ length: 1_000 }, worker));
      const rate = (total / (nowMs() - started)) * 1000;
      const cpu = perThousand(meter.stop(), total);
      // The first run warms the service up (JIT, connections) and is not counted.
      if (run > 0) {
        samples.push(rate);
        cpus.push(cpu);
      }
      ctx.log(`H3 run ${run}${run === 0 ? ' (warm-up)' : ''}: ${rate.toFixed(0)} msg/s`);
    }
  } finally {
    await world.close();
  }
  return [
    figure({
      name: 'H3',
      label: 'ingest through <ns>.publish request/reply, 1,000 in flight (customers without endpoint)',
      unit: 'msg/s',
      samples,
      cpuMsPer1000: medianCpu(cpus),
      ratioTo: { figure: ctx.figures.get('L2 publish'), goal: { op: '>=', value: 0.5 } },
    }),
  ];
}
