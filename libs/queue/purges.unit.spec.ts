import { Purges, type Schedule } from './purges.js';

/** A schedule the test fires by hand: `tick()` runs what is armed. */
function manualSchedule(): { schedule: Schedule; tick: () => void; armed: () => number } {
  let pending: Array<() => void> = [];
  return {
    schedule: (run) => {
      pending.push(run);
      return () => {
        pending = pending.filter((other) => other !== run);
      };
    },
    tick: () => {
      const due = pending;
      pending = [];
      due.forEach((run) => run());
    },
    armed: () => pending.length,
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('many releases of a customer between ticks make one purge that keeps from the last', async () => {
  const calls: Array<[string, number]> = [];
  const clock = manualSchedule();
  const purges = new Purges(
    (id, keepFrom) => {
      calls.push([id, keepFrom]);
      return Promise.resolve();
    },
    4,
    250,
    clock.schedule,
  );
  for (let id = 1; id <= 1_000; id++) {
    purges.release('acme', id);
  }
  purges.release('globex', 7);
  expect(calls).toEqual([]);
  expect(clock.armed()).toBe(1);
  clock.tick();
  await settle();
  expect(calls).toEqual([
    ['acme', 1_001],
    ['globex', 8],
  ]);
  expect(clock.armed()).toBe(0);
});

test('a release during a purge waits for the next tick; at most `concurrency` run at once', async () => {
  const calls: string[] = [];
  const finish: Array<() => void> = [];
  const clock = manualSchedule();
  const purges = new Purges(
    (id, keepFrom) =>
      new Promise<void>((resolve) => {
        calls.push(`${id}:${keepFrom}`);
        finish.push(resolve);
      }),
    1,
    250,
    clock.schedule,
  );
  purges.release('a', 1);
  purges.release('b', 2);
  clock.tick();
  expect(calls).toEqual(['a:2']);
  purges.release('a', 3);
  finish.shift()!();
  await settle();
  expect(calls).toEqual(['a:2', 'b:3']); // b was waiting for the place; a's new release waits for a tick
  finish.shift()!();
  await settle();
  expect(calls).toEqual(['a:2', 'b:3']);
  clock.tick();
  await settle();
  expect(calls).toEqual(['a:2', 'b:3', 'a:4']);
});

test('a failed purge stays due and flush() runs what is due at once', async () => {
  let fail = true;
  const calls: number[] = [];
  const clock = manualSchedule();
  const purges = new Purges(
    (_id, keepFrom) => {
      calls.push(keepFrom);
      return fail ? Promise.reject(new Error('nats down')) : Promise.resolve();
    },
    4,
    250,
    clock.schedule,
  );
  purges.release('acme', 5);
  clock.tick();
  await settle();
  expect(calls).toEqual([6]);
  expect(clock.armed()).toBe(1);
  fail = false;
  await purges.flush();
  expect(calls).toEqual([6, 6]);
  purges.stop();
  expect(clock.armed()).toBe(0);
});
