import { ManualClock } from '../../test/support/manual-clock.js';
import { Purges } from './purges.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('many releases of a customer between ticks make one purge that keeps from the last', async () => {
  const calls: Array<[string, number]> = [];
  const clock = new ManualClock();
  const purges = new Purges(
    (id, keepFrom) => {
      calls.push([id, keepFrom]);
      return Promise.resolve();
    },
    4,
    250,
    clock,
  );
  for (let id = 1; id <= 1_000; id++) {
    purges.release('acme', id);
  }
  purges.release('globex', 7);
  expect(calls).toEqual([]);
  expect(clock.armed).toBe(1);
  clock.advance(249);
  await settle();
  expect(calls).toEqual([]); // the tick is one timer on the clock: nothing runs before it
  clock.advance(1);
  await settle();
  expect(calls).toEqual([
    ['acme', 1_001],
    ['globex', 8],
  ]);
  expect(clock.armed).toBe(0);
});

test('a release during a purge waits for the next tick; at most `concurrency` run at once', async () => {
  const calls: string[] = [];
  const finish: Array<() => void> = [];
  const clock = new ManualClock();
  const purges = new Purges(
    (id, keepFrom) =>
      new Promise<void>((resolve) => {
        calls.push(`${id}:${keepFrom}`);
        finish.push(resolve);
      }),
    1,
    250,
    clock,
  );
  purges.release('a', 1);
  purges.release('b', 2);
  clock.advance(250);
  expect(calls).toEqual(['a:2']);
  purges.release('a', 3);
  finish.shift()!();
  await settle();
  expect(calls).toEqual(['a:2', 'b:3']); // b was waiting for the place; a's new release waits for a tick
  finish.shift()!();
  await settle();
  expect(calls).toEqual(['a:2', 'b:3']);
  clock.advance(250);
  await settle();
  expect(calls).toEqual(['a:2', 'b:3', 'a:4']);
});

test('a failed purge stays due and flush() runs what is due at once', async () => {
  let fail = true;
  const calls: number[] = [];
  const clock = new ManualClock();
  const purges = new Purges(
    (_id, keepFrom) => {
      calls.push(keepFrom);
      return fail ? Promise.reject(new Error('nats down')) : Promise.resolve();
    },
    4,
    250,
    clock,
  );
  purges.release('acme', 5);
  clock.advance(250);
  await settle();
  expect(calls).toEqual([6]);
  expect(clock.armed).toBe(1);
  fail = false;
  await purges.flush();
  expect(calls).toEqual([6, 6]);
  purges.stop();
  expect(clock.armed).toBe(0);
});

test('a customer still releasing waits for maxDelayMs; one that went quiet is purged at the next tick', async () => {
  const calls: string[] = [];
  const clock = new ManualClock();
  const purges = new Purges(
    (id, keepFrom) => {
      calls.push(`${id}:${keepFrom}`);
      return Promise.resolve();
    },
    4,
    1_000,
    clock,
    10_000,
  );
  // `busy` delivers a message every 400 ms for 12 s; `drained` delivers three and goes quiet.
  for (let at = 0, id = 1; at < 12_000; at += 400, id += 1) {
    purges.release('busy', id);
    if (at <= 800) {
      purges.release('drained', 100 + id);
    }
    clock.advance(400);
    await settle();
    if (at === 1_600) {
      expect(calls).toEqual(['drained:104']); // quiet for a whole tick: purged once, with all three
    }
  }
  // busy, due since 0, is purged at the first tick at or past 10 s; never before.
  expect(calls).toEqual(['drained:104', 'busy:26']);
  clock.advance(2_000); // it stops: the next quiet tick purges the rest
  await settle();
  expect(calls).toEqual(['drained:104', 'busy:26', 'busy:31']);
  expect(clock.armed).toBe(0);
});
