/**
 * Appends per second through the EventStore's real append path with 1, 2 and 3 processes writing
 * to one fresh PostgreSQL database at once (numbers for docs/performance.md). Each process runs
 * 200 customers, each appending one event after the other as fast as its commits come back (the
 * group commit batches them), for the same window. Run:
 *   npx swc bench/commit-order libs test/support -d /tmp/cobench --config-file .swcrc
 *   ln -sfn "$PWD/node_modules" /tmp/cobench/node_modules; echo '{"type":"module"}' > /tmp/cobench/package.json
 *   node /tmp/cobench/bench/commit-order/measure.js [seconds=5] [rounds=2]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { initialState, type CustomerQueueEvent } from '../../libs/domain/index.js';
import { EventStore } from '../../libs/event-store/index.js';
import { createTestDatabase } from '../../test/support/postgres.js';

const CUSTOMERS_PER_PROCESS = 200;
const WARMUP_MS = 1_500;
const key = randomBytes(32);

interface Ready {
  readonly ready: true;
}
/** Sent to every writer once all are ready, so a slow start (a loaded machine) costs no window. */
interface Go {
  readonly startAt: number;
  readonly endAt: number;
}
interface Done {
  readonly appends: number;
}

/** One writer process: opens a store, warms up until `startAt`, appends until `endAt`, reports its count. */
async function writer(url: string, prefix: string): Promise<void> {
  const store = await EventStore.open({ databaseUrl: url, encryptionKey: key, checkKey: false });
  const go = new Promise<Go>((resolve) => process.once('message', (message: Go) => resolve(message)));
  process.send?.({ ready: true } satisfies Ready);
  const { startAt, endAt } = await go;
  const projection = { state: initialState(), pending: 0, queue: 'empty' as const, nextAttemptAt: null };
  let counted = 0;
  const customer = async (index: number) => {
    const customerId = `${prefix}-${index}`;
    for (let version = 0; Date.now() < endAt; version++) {
      const now = Date.now();
      const event: CustomerQueueEvent = {
        type: 'DeliverySucceeded',
        at: now,
        data: { firstId: version + 1, lastId: version + 1, count: 1, statusCode: 200, durationMs: 9 },
      };
      await store.append(customerId, version, [event], projection);
      if (now >= startAt) {
        counted++;
      }
    }
  };
  await Promise.all(Array.from({ length: CUSTOMERS_PER_PROCESS }, (_, index) => customer(index)));
  await store.close();
  process.send?.({ appends: counted } satisfies Done);
}

/** Starts `processes` writers on a fresh database; returns each one's appends/s over the window. */
async function round(processes: number, seconds: number): Promise<number[]> {
  const database = await createTestDatabase();
  try {
    const migrate = await EventStore.open({ databaseUrl: database.url, encryptionKey: key, checkKey: false });
    await migrate.close();
    const script = fileURLToPath(import.meta.url);
    let ready = 0;
    const children: ChildProcess[] = [];
    const counts = await Promise.all(
      Array.from(
        { length: processes },
        (_, index) =>
          new Promise<number>((resolve, reject) => {
            const child = fork(script, ['writer', database.url, `p${index}`]);
            children.push(child);
            child.on('message', (message: Ready | Done) => {
              if ('appends' in message) {
                resolve(message.appends / seconds);
              } else if (++ready === processes) {
                // Every writer has its pool: all warm up, then count over the same window.
                const startAt = Date.now() + WARMUP_MS;
                children.forEach((each) =>
                  each.send({ startAt, endAt: startAt + seconds * 1_000 } satisfies Go),
                );
              }
            });
            child.on('error', reject);
            child.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`writer exited ${code}`))));
          }),
      ),
    );
    return counts;
  } finally {
    await database.drop();
  }
}

if (process.argv[2] === 'writer') {
  const [, , , url, prefix] = process.argv;
  await writer(url!, prefix!);
} else {
  const seconds = Number(process.argv[2] ?? 5);
  const rounds = Number(process.argv[3] ?? 2);
  for (let run = 1; run <= rounds; run++) {
    for (const processes of [1, 2, 3]) {
      const each = await round(processes, seconds);
      const total = each.reduce((sum, value) => sum + value, 0);
      console.log(
        `run ${run}, ${processes} process(es): ${Math.round(total)} appends/s together (${each.map((value) => Math.round(value)).join(' + ')})`,
      );
    }
  }
}
