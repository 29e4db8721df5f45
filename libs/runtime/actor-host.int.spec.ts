import {
  endpointFor,
  idsReceived,
  publish,
  SECRET,
  startRuntimeWorld,
  type RuntimeWorld,
} from '../../test/support/runtime-world.js';
import { until } from '../../test/support/until.js';
import { ActorHost, type HostOptions } from './actor-host.js';
import { CustomerActor } from './customer-actor.js';
import type { Feed, FeedSource } from './ports.js';

let world: RuntimeWorld;
const hosts: ActorHost[] = [];

const OPTIONS: HostOptions = {
  idleAfterMs: 10_000,
  errorRetryMs: 1_000,
  activationConcurrency: 8,
  shutdownGraceMs: 5_000,
};

beforeAll(async () => {
  world = await startRuntimeWorld({ windowSize: 4 });
});

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.stop().catch(() => undefined)));
  world.receiver.respondWith(() => ({ status: 200 }));
});

afterAll(async () => {
  await world?.close();
});

function startHost(source: FeedSource = world.queue): ActorHost {
  const host = new ActorHost({ ...world.ctx, source }, OPTIONS);
  hosts.push(host);
  return host;
}

async function configure(host: ActorHost, customerId: string): Promise<void> {
  const settings = endpointFor(world, customerId);
  await host.command(customerId, (actor) =>
    actor.record([{ type: 'WebhookConfigured', at: world.clock.now(), data: { settings } }], {
      secrets: { current: SECRET, previous: null },
    }),
  );
}

const received = (customerId: string, count: number) =>
  until(() => idsReceived(world, customerId).length >= count, `${count} requests to ${customerId}`);

test('an idle actor leaves memory with its pending count stored, and the feed brings it back', async () => {
  const host = startHost();
  await host.start();
  await configure(host, 'sleepy');
  const ids = await publish(world, 'sleepy', 3);
  await received('sleepy', 3);
  expect(host.activeCount).toBe(1);
  await until(() => {
    world.clock.advance(5_000); // a sweep; idle past idleAfterMs after the second
    return host.activeCount === 0;
  }, 'the actor to leave memory');
  await until(async () => (await world.store.load('sleepy'))?.pending === 0, 'the stored count');
  // Sentinel: a new message wakes it; it alone is delivered, after the first three.
  const [sentinel] = await publish(world, 'sleepy', 1);
  await received('sleepy', 4);
  expect(idsReceived(world, 'sleepy')).toEqual([...ids, sentinel]);
});

test('a feed that fails is restarted where it stopped and every window is read again', async () => {
  let failCurrent: ((error: Error) => void) | null = null;
  const feeds: number[] = [];
  const source: FeedSource = {
    stored: () => world.queue.stored(),
    async feed(from, onMessage) {
      feeds.push(from === 'new' ? 0 : from);
      const inner = await world.queue.feed(from, onMessage);
      const failed = new Promise<Error>((resolve) => (failCurrent = resolve));
      return {
        get lastSeq() {
          return inner.lastSeq;
        },
        done: new Promise<Error | undefined>((resolve) => {
          void inner.done.then(resolve);
          void failed.then((error) => {
            resolve(error); // before the stop below ends the inner feed without one
            void inner.stop();
          });
        }),
        stop: () => inner.stop(),
      } satisfies Feed;
    },
  };
  const host = startHost(source);
  await host.start();
  await configure(host, 'restart');
  const before = await publish(world, 'restart', 2);
  await received('restart', 2);
  (failCurrent as ((error: Error) => void) | null)?.(new Error('feed broke'));
  await until(() => feeds.length === 2, 'the restarted feed');
  expect(feeds[1]).toBeGreaterThanOrEqual(before[1]! + 1);
  expect(world.warnings.map((w) => w.msg)).toContain('queue feed failed; restarting it');
  const after = await publish(world, 'restart', 5); // more than the window holds
  await received('restart', 7);
  expect(idsReceived(world, 'restart')).toEqual([...before, ...after]);
});

test('Retry while a request is in flight is taken by that attempt: no conflict, no extra request', async () => {
  const host = startHost();
  await host.start();
  await configure(host, 'inflight');
  world.receiver.respondWith((request) =>
    request.path === '/inflight' ? { status: 500, delayMs: 300 } : { status: 200 },
  );
  const [id] = await publish(world, 'inflight', 1);
  await received('inflight', 1);
  await until(async () => (await world.store.load('inflight'))?.state.attempts === 1, 'the first failure');
  await host.command('inflight', (actor) =>
    actor.record([{ type: 'RetryRequested', at: world.clock.now(), data: {} }]),
  );
  await received('inflight', 2); // the retry goes out at once (no 30 s backoff)
  // While that second attempt is in flight, Retry again.
  await host.command('inflight', (actor) =>
    actor.record([{ type: 'RetryRequested', at: world.clock.now(), data: {} }]),
  );
  await until(async () => (await world.store.load('inflight'))?.state.attempts === 2, 'the second failure');
  expect(world.warnings.filter((w) => w.msg === 'step failed; will retry')).toEqual([]);
  // Sentinel: the backoff after the second failure brings the third request, and only it.
  world.receiver.respondWith(() => ({ status: 200 }));
  world.clock.advance(60_000);
  await received('inflight', 3);
  await until(async () => (await world.store.load('inflight'))?.state.cursor === id, 'the success');
  expect(idsReceived(world, 'inflight')).toEqual([id, id, id]);
});

test('a version conflict (another writer) makes the host reload the actor and carry on', async () => {
  const host = startHost();
  await host.start();
  await configure(host, 'twice');
  world.receiver.respondWith((request) =>
    request.path === '/twice' ? { status: 200, delayMs: 300 } : { status: 200 },
  );
  const [id] = await publish(world, 'twice', 1);
  await received('twice', 1); // in flight: another writer appends meanwhile
  const other = new CustomerActor('twice', world.ctx);
  await other.ensureLoaded();
  await other.record([{ type: 'FailuresCleared', at: world.clock.now(), data: {} }]);
  await until(
    () => world.warnings.some((w) => w.msg === 'step failed; will retry'),
    'the conflict to be reported',
  );
  await until(() => {
    world.clock.advance(1_000); // errorRetryMs: reloaded, the head goes out again
    return idsReceived(world, 'twice').length === 2;
  }, 'the repeated request');
  await until(async () => (await world.store.load('twice'))?.state.cursor === id, 'the success');
  const types = (await world.store.readStream('twice', 0, 100)).map((event) => event.type);
  expect(types).toEqual(['WebhookConfigured', 'FailuresCleared', 'DeliverySucceeded']);
  expect(idsReceived(world, 'twice')).toEqual([id, id]); // at least once: repeated around the fault
});

test("start-up does not wait on other customers' held backlog, and status counts held messages", async () => {
  const held = Array.from({ length: 40 }, (_, i) => `held${i}`);
  for (const customerId of held) {
    await publish(world, customerId, 250); // 10,000 held messages, no endpoint
  }
  const setup = startHost();
  await setup.start();
  await configure(setup, 'eager');
  await setup.stop();
  const [id] = await publish(world, 'eager', 1);
  const host = startHost(); // a restart of the runtime
  const started = Date.now();
  await host.start();
  expect(await host.status('held7')).toMatchObject({ pending: 250 }); // at once, in memory or not
  await received('eager', 1);
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(idsReceived(world, 'eager')).toEqual([id]);
  await until(async () => (await host.status('held39'))?.pending === 250, 'the count of held39');
});

test('a customer forgotten mid-request steps no more from its old actor; a fresh one carries on', async () => {
  const host = startHost();
  await host.start();
  await configure(host, 'handover');
  await configure(host, 'bystander');
  let forgotten = false;
  let inFlight = 0;
  let mostInFlight = 0;
  world.receiver.respondWith((request) => {
    if (request.path !== '/handover') {
      return { status: 200 };
    }
    if (!forgotten) {
      forgotten = true;
      void host.forget((customerId) => customerId === 'handover', false); // its partition lost now
    }
    inFlight += 1;
    mostInFlight = Math.max(mostInFlight, inFlight);
    setTimeout(() => (inFlight -= 1), 300);
    return { status: 200, delayMs: 300 };
  });
  const ids = await publish(world, 'handover', 3);
  await until(async () => (await world.store.load('handover'))?.state.cursor === ids[0], 'the first success');
  // Sentinel: another customer's message goes out; by then the old actor would have sent the next.
  await publish(world, 'bystander', 1);
  await received('bystander', 1);
  expect(idsReceived(world, 'handover')).toEqual([ids[0]]);
  // Taken again: a fresh actor loads from the log and sends the rest, once each, one at a time.
  host.nudge('handover');
  await until(async () => (await world.store.load('handover'))?.state.cursor === ids[2], 'the rest');
  expect(idsReceived(world, 'handover')).toEqual(ids);
  expect(mostInFlight).toBe(1);
});
