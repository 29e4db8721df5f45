/**
 * Measures libs/queue against a private nats-server (numbers for docs/architecture.md). Run:
 *   npx swc bench/queue libs/queue libs/domain test/support -d /tmp/qbench --config-file .swcrc
 *   ln -sfn "$PWD/node_modules" /tmp/qbench/node_modules; echo '{"type":"module"}' > /tmp/qbench/package.json
 *   node /tmp/qbench/bench/queue/measure.js [messages=100000]
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '../../test/support/nats-server.js';
import { JetStreamQueue, streamName } from '../../libs/queue/index.js';

const TOTAL = Number(process.argv[2] ?? 100_000);
const CUSTOMERS = 100;
const BODY = { event: 'CHECK_COMPLETED', data: { pad: 'x'.repeat(1_000) } }; // ~1 KiB stored

function stats(samplesMs: number[]): string {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return `p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms (n=${sorted.length})`;
}

async function timed<T>(samples: number[], fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await fn();
  samples.push(performance.now() - t0);
  return result;
}

const server = await startNatsServer();
const nc = await connect({ servers: server.url, noAsyncTraces: true });
const jsm = await jetstreamManager(nc);
try {
  const queue = await JetStreamQueue.open(nc, { namespace: 'bench' });

  // 1. Acked publish, one at a time, then publishMany (1,000 in flight).
  let t0 = performance.now();
  let single = 0;
  while (performance.now() - t0 < 2_000) {
    await queue.publish(`c${single % CUSTOMERS}`, BODY);
    single++;
  }
  console.log(`publish one at a time: ${((single / (performance.now() - t0)) * 1000).toFixed(0)} msg/s`);
  await jsm.streams.purge(streamName('bench'));

  t0 = performance.now();
  for (let i = 0; i < TOTAL; i += 1_000) {
    await queue.publishMany(
      Array.from({ length: Math.min(1_000, TOTAL - i) }, (_, j) => ({
        customerId: `c${(i + j) % CUSTOMERS}`,
        body: BODY,
      })),
    );
  }
  console.log(
    `publishMany, 1,000 in flight: ${((TOTAL / (performance.now() - t0)) * 1000).toFixed(0)} msg/s (${TOTAL} msgs into ${CUSTOMERS} customers)`,
  );
  const first = (await jsm.streams.info(streamName('bench'))).state.first_seq;
  const perCustomer = TOTAL / CUSTOMERS;

  // 2. read(): walk customers' cursors with max = 1, 100, 1000 (interleaved customers: a filtered scan).
  for (const [round, max] of [1, 100, 1_000].entries()) {
    const samples: number[] = [];
    let messages = 0;
    for (let c = 10 * round; c < 10 * round + 10; c++) {
      let cursor = first - 1;
      for (let reads = 0; reads < Math.min(100, Math.ceil(perCustomer / max)); reads++) {
        const batch = await timed(samples, () => queue.read(`c${c}`, cursor, max));
        if (batch.length === 0) {
          break;
        }
        messages += batch.length;
        cursor = batch[batch.length - 1]?.id ?? cursor;
      }
    }
    const totalMs = samples.reduce((a, b) => a + b, 0);
    console.log(
      `read(max=${max}): ${((messages / totalMs) * 1000).toFixed(0)} msg/s, per read ${stats(samples)}`,
    );
  }

  // 3. pendingCount() in the full stream.
  const countSamples: number[] = [];
  for (let i = 0; i < 300; i++) {
    await timed(countSamples, () => queue.pendingCount(`c${i % CUSTOMERS}`, first + (i % 500)));
  }
  console.log(`pendingCount: ${stats(countSamples)}`);

  // 4. stored() with CUSTOMERS subjects.
  const discovery: number[] = [];
  for (let i = 0; i < 20; i++) {
    await timed(discovery, () => queue.stored());
  }
  console.log(`stored() (${CUSTOMERS} subjects): ${stats(discovery)}`);

  // 5. release + flush: one subject purge of a customer's released messages.
  const purgeSamples: number[] = [];
  const emptyPurge: number[] = [];
  for (let c = 40; c < 60; c++) {
    const msgs = await queue.read(`c${c}`, 0, 1_000);
    const last = msgs[msgs.length - 1];
    if (last === undefined) {
      continue;
    }
    queue.release(`c${c}`, last.id);
    await timed(purgeSamples, () => queue.flush(`c${c}`));
    queue.release(`c${c}`, last.id + 1); // purges nothing new
    await timed(emptyPurge, () => queue.flush(`c${c}`));
  }
  const left = (await jsm.streams.info(streamName('bench'))).state.messages;
  console.log(
    `flush purge of ~${Math.min(1_000, perCustomer)} msgs in a ${TOTAL}-message stream: ${stats(purgeSamples)}; purging ~nothing: ${stats(emptyPurge)} (${left} left)`,
  );

  // 6. feed(): one ordered consumer over the whole stream.
  let fed = 0;
  t0 = performance.now();
  const feed = await queue.feed(1, () => fed++);
  while (fed < left && performance.now() - t0 < 60_000) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  console.log(
    `feed from the start: ${((fed / (performance.now() - t0)) * 1000).toFixed(0)} msg/s (${fed} msgs)`,
  );
  await feed.stop();
  await queue.close();
} finally {
  await nc.close();
  await server.stop();
}
