/**
 * L1 and L2: what the machine can do without Hookpost, measured the same way Hookpost is, so each
 * H figure can be read as a fraction of the raw cost underneath it.
 */
import { DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import { Agent, Pool, request, type Dispatcher } from 'undici';
import { cpuMeter, medianCpu, perThousand, pidsMatching } from '../support/cpu.js';
import { figure, type BenchContext, type Figure } from '../support/figures.js';
import { nowMs } from '../support/stats.js';
import { messageBytes, startWorld } from '../support/world.js';

/** A single webhook as Hookpost sends it (batching off), with the same kind of headers. */
function webhookRequest(): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({
    id: 1234567,
    event: 'CHECK_COMPLETED',
    secret: 'whsec_bench_secret_0001',
    timestamp: 1_764_000_000,
    data: { checkId: 'chk_1', pad: 'x'.repeat(960) },
  });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Hookpost/bench',
      'webhook-id': '1234567',
      'webhook-timestamp': '1764000000',
      'webhook-signature': `v1,${'A'.repeat(44)}`,
      authorization: 'Bearer whsec_bench_secret_0001',
    },
  };
}

/** POSTs for `durationMs` with `inFlight` concurrent requests; returns requests per second. */
async function postFor(
  url: string,
  dispatcher: Dispatcher,
  inFlight: number,
  durationMs: number,
): Promise<number> {
  const { body, headers } = webhookRequest();
  const started = nowMs();
  const end = started + durationMs;
  let done = 0;
  const worker = async () => {
    while (nowMs() < end) {
      const response = await request(`${url}/l1`, { method: 'POST', body, headers, dispatcher });
      await response.body.dump();
      if (response.statusCode !== 200) {
        throw new Error(`receiver answered ${response.statusCode}`);
      }
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (done / (nowMs() - started)) * 1000;
}

/** L1: raw undici POSTs to the receiver process: one connection one at a time, and 64 in flight. */
export async function measureL1(ctx: BenchContext): Promise<Figure[]> {
  const durationMs = ctx.quick ? 1_000 : 3_000;
  await ctx.receiver.reset();
  const single: number[] = [];
  const many: number[] = [];
  for (let run = 0; run < ctx.runs; run++) {
    const pool = new Pool(ctx.receiver.url, { connections: 1 });
    await postFor(ctx.receiver.url, pool, 1, 200); // warm-up: connection and JIT
    single.push(await postFor(ctx.receiver.url, pool, 1, durationMs));
    await pool.close();
    const agent = new Agent();
    await postFor(ctx.receiver.url, agent, 64, 200);
    many.push(await postFor(ctx.receiver.url, agent, 64, durationMs));
    await agent.close();
    ctx.log(
      `L1 run ${run + 1}: ${single.at(-1)?.toFixed(0)} req/s on 1 connection, ${many.at(-1)?.toFixed(0)} req/s with 64 in flight`,
    );
  }
  return [
    figure({
      name: 'L1 1 connection',
      label: 'raw undici POST to the receiver, 1 connection, 1 at a time',
      unit: 'req/s',
      samples: single,
    }),
    figure({
      name: 'L1 64 in flight',
      label: 'raw undici POST to the receiver, 64 in flight (undici Agent, as Hookpost)',
      unit: 'req/s',
      samples: many,
    }),
  ];
}

/** L2: raw JetStream on a private nats-server: acked publish with 1,000 in flight, then an ordered-consumer fetch. */
export async function measureL2(ctx: BenchContext): Promise<Figure[]> {
  const total = ctx.quick ? 20_000 : 50_000;
  const world = await startWorld({}, ctx);
  const publish: number[] = [];
  const fetchRates: number[] = [];
  const publishCpu: Record<string, number>[] = [];
  const fetchCpu: Record<string, number>[] = [];
  // The benchmark's own process is the client here: raw nats.js, as a limit for Hookpost's side.
  const meter = () =>
    cpuMeter({ 'nats-server': () => pidsMatching(world.nats.storeDir), bench: () => [process.pid] });
  try {
    const jsm = await jetstreamManager(world.nc);
    const body = messageBytes(0);
    for (let run = 0; run < ctx.runs; run++) {
      const stream = `L2RUN${run}`;
      await jsm.streams.add({ name: stream, subjects: [`l2r${run}.>`], num_replicas: world.replicas });
      // 1. Acked publishes, 1,000 in flight, over 100 subjects (customers).
      let next = 0;
      let metered = meter();
      let started = nowMs();
      const worker = async () => {
        while (next < total) {
          const index = next++;
          await world.js.publish(`l2r${run}.c${index % 100}`, body);
        }
      };
      await Promise.all(Array.from({ length: 1_000 }, worker));
      publish.push((total / (nowMs() - started)) * 1000);
      publishCpu.push(perThousand(metered.stop(), total));
      // 2. An ordered consumer over the stream, fetching 1,000 at a time until all are read.
      const consumer = await world.js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
      let got = 0;
      let bytes = 0;
      metered = meter();
      started = nowMs();
      while (got < total) {
        const batch = await consumer.fetch({ max_messages: Math.min(1_000, total - got), expires: 5_000 });
        for await (const m of batch) {
          got++;
          bytes += m.data.length;
        }
      }
      fetchRates.push((got / (nowMs() - started)) * 1000);
      fetchCpu.push(perThousand(metered.stop(), got));
      await jsm.streams.delete(stream);
      ctx.log(
        `L2 run ${run + 1}: publish ${publish.at(-1)?.toFixed(0)} msg/s, fetch ${fetchRates.at(-1)?.toFixed(0)} msg/s (${bytes} bytes)`,
      );
    }
  } finally {
    await world.close();
  }
  return [
    figure({
      name: 'L2 publish',
      label: 'raw JetStream acked publish, 1,000 in flight, 1 KiB',
      unit: 'msg/s',
      samples: publish,
      cpuMsPer1000: medianCpu(publishCpu),
    }),
    figure({
      name: 'L2 fetch',
      label: 'raw JetStream ordered-consumer fetch (1,000 per fetch), 1 KiB',
      unit: 'msg/s',
      samples: fetchRates,
      cpuMsPer1000: medianCpu(fetchCpu),
    }),
  ];
}
