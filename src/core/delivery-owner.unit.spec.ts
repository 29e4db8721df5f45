import { setTimeout as sleep } from 'node:timers/promises';
import type { DeliveryLock, HeldLock } from './delivery-lock.js';
import { DeliveryOwner } from './delivery-owner.js';

/** A lock another process may hold (`taken`), whose holder can be told it lost it. */
function fakeLock() {
  const state = { taken: false, held: 0, releases: 0, lose: (_reason: string) => undefined as void };
  const lock: DeliveryLock = {
    tryAcquire() {
      if (state.taken || state.held > 0) {
        return Promise.resolve(null);
      }
      state.held += 1;
      const lost = new Promise<string>((resolve) => (state.lose = resolve));
      const held: HeldLock = {
        lost,
        release: () => {
          state.held -= 1;
          state.releases += 1;
          return Promise.resolve();
        },
      };
      return Promise.resolve(held);
    },
  };
  return { lock, state };
}

function fakeDeliverer(failStart = false) {
  const calls: string[] = [];
  return {
    calls,
    start: () => {
      calls.push('start');
      return failStart ? Promise.reject(new Error('NATS down')) : Promise.resolve();
    },
    pause: () => {
      calls.push('pause');
      return Promise.resolve();
    },
  };
}

const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i += 1) {
    await sleep(5);
  }
  expect(check()).toBe(true);
}

test('a free lock: delivery starts before start() resolves; stop then release hands it over', async () => {
  const { lock, state } = fakeLock();
  const deliverer = fakeDeliverer();
  const owner = new DeliveryOwner(lock, deliverer, logger, 5);
  await owner.start();
  expect(deliverer.calls).toEqual(['start']);
  expect(owner.delivering).toBe(true);
  await owner.stop();
  expect(state.held).toBe(1); // kept until the caller has stopped delivery
  await owner.release();
  expect(state.held).toBe(0);
  expect(owner.delivering).toBe(false);
});

test('a taken lock: start() resolves standing by, and delivery starts once the lock is free', async () => {
  const { lock, state } = fakeLock();
  state.taken = true;
  const deliverer = fakeDeliverer();
  const owner = new DeliveryOwner(lock, deliverer, logger, 5);
  await owner.start();
  expect(deliverer.calls).toEqual([]);
  expect(owner.delivering).toBe(false);
  state.taken = false;
  await until(() => deliverer.calls.length === 1);
  expect(owner.delivering).toBe(true);
  await owner.stop();
  await owner.release();
});

test('a lost lock pauses delivery, and it resumes when the lock is held again', async () => {
  const { lock, state } = fakeLock();
  const deliverer = fakeDeliverer();
  const owner = new DeliveryOwner(lock, deliverer, logger, 5);
  await owner.start();
  state.taken = true; // another process gets it while our connection is down
  state.lose('lock connection closed');
  await until(() => deliverer.calls.length === 2);
  expect(deliverer.calls).toEqual(['start', 'pause']);
  expect(state.releases).toBe(1);
  expect(owner.delivering).toBe(false);
  state.taken = false;
  await until(() => deliverer.calls.length === 3);
  expect(deliverer.calls).toEqual(['start', 'pause', 'start']);
  await owner.stop();
  await owner.release();
});

test('delivery that fails to start on the first attempt fails start(), releasing the lock', async () => {
  const { lock, state } = fakeLock();
  const owner = new DeliveryOwner(lock, fakeDeliverer(true), logger, 5);
  await expect(owner.start()).rejects.toThrow('NATS down');
  expect(state.held).toBe(0);
  await owner.stop();
});

test('stop() while standing by ends the retries at once', async () => {
  const { lock, state } = fakeLock();
  state.taken = true;
  const deliverer = fakeDeliverer();
  const owner = new DeliveryOwner(lock, deliverer, logger, 60_000);
  await owner.start();
  await owner.stop();
  state.taken = false;
  await sleep(20);
  expect(deliverer.calls).toEqual([]);
});
