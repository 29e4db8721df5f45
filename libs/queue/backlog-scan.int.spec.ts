import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ManualClock } from '../../test/support/manual-clock.js';
import { startNatsServer, type NatsServerHandle } from '../../test/support/nats-server.js';
import { startStallingProxy } from '../../test/support/stalling-proxy.js';
import { until } from '../../test/support/until.js';
import { BacklogScans, type ScanLimits } from './backlog-scan.js';
import { JetStreamQueue, streamName } from './index.js';
import { countAfter, readAfter, type ReadContext } from './reader.js';
import { queueSubjectPrefix } from './settings.js';

let server: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
let nsCounter = 0;
const queues: JetStreamQueue[] = [];
const scansMade: BacklogScans[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, noAsyncTraces: true });
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  scansMade.forEach((scans) => scans.stop());
  await Promise.all(queues.map((q) => q.close()));
  await nc?.close();
  await server?.stop();
});

/** A fresh stream, its read context, and scans over it with these limits (reading through `js`). */
async function world(limits?: ScanLimits, clock = new ManualClock(), js: JetStreamClient = jetstream(nc)) {
  const namespace = `scan${++nsCounter}`;
  const queue = await JetStreamQueue.open(nc, { namespace });
  queues.push(queue);
  const ctx: ReadContext = {
    jsm,
    stream: streamName(namespace),
    subjectPrefix: queueSubjectPrefix(namespace),
  };
  const scans = new BacklogScans(ctx, js, clock, limits);
  scansMade.push(scans);
  const publish = async (customers: readonly string[]) => {
    const results = await queue.publishMany(
      customers.map((customerId, n) => ({ customerId, body: { event: 'CHECK_COMPLETED', data: { n } } })),
    );
    return results.map((r) => r.webhookId);
  };
  return { queue, ctx, scans, publish, clock };
}

/** A seeded shuffle, so a failure repeats. */
function interleaved(customers: readonly string[], each: number, seed: number): string[] {
  const order = customers.flatMap((c) => Array.from({ length: each }, () => c));
  let state = seed;
  for (let i = order.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** How many messages each customer has in `order`: what stored() would report. */
function counts(order: readonly string[], customers: readonly string[] = order): Map<string, number> {
  return new Map(customers.map((c) => [c, order.filter((o) => o === c).length]));
}

/** Reads a customer page by page through the scans and checks each page against the stream. */
async function readAllThroughScans(
  scans: BacklogScans,
  ctx: ReadContext,
  customerId: string,
  pageSize: number,
): Promise<{ ids: number[]; answeredByScan: number }> {
  const ids: number[] = [];
  let answeredByScan = 0;
  for (let after = 0; ;) {
    const page = await scans.readPage(customerId, after, pageSize);
    const answer = page ?? (await readAfter(ctx, customerId, after, pageSize));
    answeredByScan += page === null ? 0 : 1;
    const last = answer.messages.at(-1)?.id ?? after;
    expect(answer.messages.length).toBeLessThanOrEqual(pageSize);
    expect(answer.remaining).toBe(await countAfter(ctx, customerId, last));
    ids.push(...answer.messages.map((m) => m.id));
    if (answer.remaining === 0) {
      return { ids, answeredByScan };
    }
    after = last;
  }
}

test('reads answered by a scan hold exactly what the stream holds, messages published after it began included', async () => {
  const { ctx, scans, publish } = await world();
  const customers = Array.from({ length: 12 }, (_, i) => `c${i}`);
  const order = interleaved(customers, 40, 7);
  const ids = await publish(order);
  scans.start(counts(order, customers));
  const later = await publish(['c0', 'c5', 'c5', 'c11']);

  for (const [index, customerId] of customers.entries()) {
    const expected = [...order, 'c0', 'c5', 'c5', 'c11'].flatMap((c, i) =>
      c === customerId ? [[...ids, ...later][i]!] : [],
    );
    const { ids: read, answeredByScan } = await readAllThroughScans(scans, ctx, customerId, 1 + index * 3);
    expect(read).toEqual(expected);
    expect(answeredByScan).toBeGreaterThan(0);
  }
  const first = await scans.readPage('c3', 0, 5);
  expect(first).toBeNull(); // a read from before what was handed out goes to the stream
});

test('the bodies a scan hands out are the stored ones, decoded as a direct read decodes them', async () => {
  const { ctx, scans, publish } = await world();
  const customers = Array.from({ length: 8 }, (_, i) => `b${i}`);
  const order = interleaved(customers, 5, 3);
  await publish(order);
  scans.start(counts(order));
  const viaScan = await scans.readPage('b2', 0, 10);
  expect(viaScan).not.toBeNull();
  expect(viaScan).toEqual(await readAfter(ctx, 'b2', 0, 10));
});

test('a stream whose last messages were deleted ends the scan at the backlog, not at a fetch expiry', async () => {
  const { ctx, scans, publish } = await world();
  const customers = Array.from({ length: 8 }, (_, i) => `d${i}`);
  const order = interleaved(customers, 3, 5);
  await publish(order);
  const tail = await publish(['gone', 'gone', 'gone']);
  await jsm.streams.purge(ctx.stream, { filter: `${ctx.subjectPrefix}gone` });
  scans.start(new Map(customers.map((c) => [c, 4]))); // one more than each has: it waits for the end
  const started = Date.now();
  const page = await scans.readPage('d1', 0, 100); // fewer than 100: it waits for the scan's end
  expect(page?.messages.map((m) => m.customerId)).toEqual(['d1', 'd1', 'd1']);
  expect(page?.remaining).toBe(0);
  expect(Date.now() - started).toBeLessThan(4_000); // a fetch waits 5 s for messages that never come
  expect(tail).toHaveLength(3);
});

test('a full budget stalls the scan; customers that do not fit read from the stream, exactly', async () => {
  const clock = new ManualClock();
  const { ctx, scans, publish } = await world({ budgetBytes: 20 * 300, stallMs: 1_000 }, clock);
  const customers = Array.from({ length: 10 }, (_, i) => `f${i}`);
  const order = [...interleaved(customers, 10, 11), ...Array.from({ length: 5 }, () => 'late')];
  const ids = await publish(order);
  scans.start(counts(order));
  // Nobody reads: the budget fills and the scan waits for room, then gives up on who does not fit.
  await until(() => clock.armed >= 2, 'the scan to stall'); // its watchdog and the stall's timeout
  let lateRead: unknown = null;
  const late = scans.readPage('late', 0, 5).then((page) => (lateRead = page));
  await new Promise((resolve) => setImmediate(resolve));
  expect(lateRead).toBeNull(); // its messages are behind the stall, and the clock has not moved
  clock.advance(1_000);
  expect((await late)?.messages.map((m) => m.id)).toEqual(ids.slice(-5));
  for (const customerId of customers) {
    const expected = order.flatMap((c, i) => (c === customerId ? [ids[i]!] : []));
    const { ids: read } = await readAllThroughScans(scans, ctx, customerId, 4);
    expect(read).toEqual(expected);
  }
});

test('a reader takes what a stalled scan holds, and its reads free room for the scan to go on', async () => {
  const clock = new ManualClock();
  const { ctx, scans, publish } = await world({ budgetBytes: 30 * 300, stallMs: 60_000 }, clock);
  const order = interleaved(['r0', 'r1'], 60, 13);
  const ids = await publish([...order, ...Array.from({ length: 6 }, (_, i) => `r${2 + i}`)]);
  scans.start(counts([...order, 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']));
  const expected = (customerId: string) => order.flatMap((c, i) => (c === customerId ? [ids[i]!] : []));
  const [r0, r1] = await Promise.all([
    readAllThroughScans(scans, ctx, 'r0', 50),
    readAllThroughScans(scans, ctx, 'r1', 50),
  ]);
  expect(r0.ids).toEqual(expected('r0'));
  expect(r1.ids).toEqual(expected('r1'));
  // The stall never timed out (60 s on a clock that did not move): every page came from the scan.
  expect(r0.answeredByScan + r1.answeredByScan).toBeGreaterThan(2);
});

test('counts that are off either way still give exact reads (too few: the stream after; too many: the end)', async () => {
  const { ctx, scans, publish } = await world();
  const customers = Array.from({ length: 8 }, (_, i) => `o${i}`);
  const order = interleaved(customers, 15, 17);
  const ids = await publish(order);
  scans.start(new Map(customers.map((c, i) => [c, i % 2 === 0 ? i : 15 + i]))); // 0..6 or 16..22
  for (const customerId of customers) {
    const expected = order.flatMap((c, i) => (c === customerId ? [ids[i]!] : []));
    expect((await readAllThroughScans(scans, ctx, customerId, 6)).ids).toEqual(expected);
  }
});

test('a reader past messages it has delivered holds none of them: they take no room from others', async () => {
  const clock = new ManualClock();
  const { scans, publish } = await world({ budgetBytes: 12 * 300, stallMs: 60_000 }, clock);
  const order = [...Array.from({ length: 30 }, () => 'x'), ...interleaved(['x', 'y'], 5, 19)];
  const ids = await publish(order);
  const delivered = ids[29]!; // x's first 30 are delivered, not yet purged
  scans.start(counts(order, ['x', 'y', 'z1', 'z2', 'z3', 'z4', 'z5', 'z6']));
  const [x, y] = await Promise.all([scans.readPage('x', delivered, 10), scans.readPage('y', 0, 10)]);
  // Held, x's 30 would fill the budget and stall the scan on a clock that never moves.
  expect(x?.messages.map((m) => m.id)).toEqual(
    ids.flatMap((id, i) => (order[i] === 'x' && i >= 30 ? [id] : [])),
  );
  expect(x?.remaining).toBe(0);
  expect(y?.messages.map((m) => m.id)).toEqual(ids.flatMap((id, i) => (order[i] === 'y' ? [id] : [])));
});

test('a scan that stops moving (its connection hangs) is given up after 15 s: its readers go on from the stream', async () => {
  const proxy = await startStallingProxy(server.port);
  const hanging = await connect({ servers: `nats://127.0.0.1:${proxy.port}`, noAsyncTraces: true });
  try {
    const clock = new ManualClock();
    // A long API timeout: the scan must hang on the stalled path, not fail on it.
    const { ctx, scans, publish } = await world(undefined, clock, jetstream(hanging, { timeout: 600_000 }));
    const customers = Array.from({ length: 8 }, (_, i) => `h${i}`);
    const order = interleaved(customers, 10, 23);
    const ids = await publish(order);
    proxy.stall();
    scans.start(counts(order));
    let answered = false;
    const first = scans.readPage('h0', 0, 5).then((page) => {
      answered = true;
      return page;
    });
    clock.advance(10_000); // the scan's watchdog was armed by start()
    await readAfter(ctx, 'h0', 0, 1); // sentinel: a round trip to the server on a path that does not hang
    expect(answered).toBe(false); // not moved for 10 s: still waited for
    const expected = (customerId: string) => order.flatMap((c, i) => (c === customerId ? [ids[i]!] : []));
    clock.advance(5_000);
    // Given up where it began: the waiting read is answered by direct gets after that position.
    const page = await first;
    expect(page?.messages.map((m) => m.id)).toEqual(expected('h0').slice(0, 5));
    expect(page?.remaining).toBe(5);
    for (const customerId of customers) {
      expect((await readAllThroughScans(scans, ctx, customerId, 4)).ids).toEqual(expected(customerId));
    }
  } finally {
    proxy.resume();
    await hanging.close();
    await proxy.close();
  }
});

test('a customer the queue only counts (held: no endpoint) drops its share of a scan: its reads go to the stream', async () => {
  const { queue, ctx, publish } = await world();
  const customers = Array.from({ length: 8 }, (_, i) => `q${i}`);
  const order = [...interleaved(customers, 6, 29), 'q0']; // q0's last message is the stream's last
  const ids = await publish(order);
  queue.scanBacklog(counts(order));
  const q0 = await queue.readPage('q0', 0, 100); // answered once the scan has passed the whole stream
  expect(q0.messages).toHaveLength(7);
  const q1 = order.flatMap((c, i) => (c === 'q1' ? [ids[i]!] : []));
  // The scan holds q1's first message as stored; the stream loses it (only a purge does that in use).
  await jsm.streams.deleteMessage(ctx.stream, q1[0]!);

  expect(await queue.pendingCount('q1', 0)).toBe(5);
  // Still held by the scan, the read would hand the deleted message out.
  const read = await queue.readPage('q1', 0, 100);
  expect(read.messages.map((m) => m.id)).toEqual(q1.slice(1));
  expect(read.remaining).toBe(0);
});
