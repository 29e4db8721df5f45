import { VersionConflictError } from '../domain/index.js';
import {
  endpointFor,
  idsReceived,
  publish,
  SECRET,
  startRuntimeWorld,
  type RuntimeWorld,
} from '../../test/support/runtime-world.js';
import { CustomerActor } from './customer-actor.js';

let world: RuntimeWorld;

beforeAll(async () => {
  world = await startRuntimeWorld({ windowSize: 4 });
});

afterAll(async () => {
  await world?.close();
});

async function configuredActor(customerId: string): Promise<CustomerActor> {
  const actor = new CustomerActor(customerId, world.ctx);
  await actor.ensureLoaded();
  const settings = endpointFor(world, customerId);
  await actor.record([{ type: 'WebhookConfigured', at: world.clock.now(), data: { settings } }], {
    secrets: { current: SECRET, previous: null },
  });
  return actor;
}

/** Steps until the actor has nothing to do now; returns the outcomes. */
async function stepUntilIdle(actor: CustomerActor): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < 100; i++) {
    const { outcome } = await actor.step();
    outcomes.push(outcome);
    if (outcome === 'idle' || outcome === 'waitUntil') {
      return outcomes;
    }
  }
  throw new Error(`still stepping after 100 steps: ${outcomes.join(', ')}`);
}

test('a window smaller than the backlog overflows and is read again: every message once, in order', async () => {
  const ids = await publish(world, 'overflow', 10);
  const actor = await configuredActor('overflow');
  expect(await stepUntilIdle(actor)).toEqual([...Array<string>(10).fill('deliver'), 'idle']);
  expect(idsReceived(world, 'overflow')).toEqual(ids);
  expect(actor.pending).toBe(0);
  await world.queue.flush('overflow');
  expect(await world.queue.pendingCount('overflow', 0)).toBe(0); // released and purged
});

test('the pending count follows failures, the feed and successes, and is what the projection stores', async () => {
  world.receiver.respondWith((request) => (request.path === '/counted' ? { status: 500 } : { status: 200 }));
  await publish(world, 'counted', 6);
  const actor = await configuredActor('counted');
  expect(actor.pending).toBe(0); // nothing stored in the projection yet: nothing read either
  expect(await actor.step()).toEqual({ outcome: 'deliver' }); // the attempt failed
  expect(actor.pending).toBe(6); // 4 in the window, 2 behind it
  expect((await world.store.load('counted'))?.pending).toBe(6);
  actor.offer({ kind: 'message', id: 10_000, customerId: 'counted', acceptedAt: 0, event: 'E', data: {} });
  expect(actor.pending).toBe(7); // the window is full: counted, not held
  world.receiver.respondWith(() => ({ status: 200 }));
  world.clock.advance(60_000); // past the first backoff
  expect(await actor.step()).toEqual({ outcome: 'deliver' });
  expect(actor.pending).toBe(6);
  expect((await world.store.load('counted'))?.pending).toBe(6);
});

test('a customer without an endpoint counts its held messages without reading them', async () => {
  await publish(world, 'held', 25);
  const actor = new CustomerActor('held', world.ctx);
  expect(await actor.step()).toEqual({ outcome: 'idle' });
  expect(actor.pending).toBe(25);
  expect(actor.status()).toMatchObject({ pending: 25 });
});

test('a stale actor gets a VersionConflictError (by class) and nothing of its append is written', async () => {
  const actor = await configuredActor('conflict');
  const other = new CustomerActor('conflict', world.ctx); // another writer of the same log
  await other.ensureLoaded();
  await other.record([{ type: 'FailuresCleared', at: world.clock.now(), data: {} }]);
  const appended = actor.record([{ type: 'RetryRequested', at: world.clock.now(), data: {} }]);
  await expect(appended).rejects.toBeInstanceOf(VersionConflictError);
  expect((await world.store.load('conflict'))?.version).toBe(2);
  await actor.reload();
  await actor.record([{ type: 'RetryRequested', at: world.clock.now(), data: {} }]);
  expect((await world.store.load('conflict'))?.version).toBe(3);
});
