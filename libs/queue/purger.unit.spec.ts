import { Purger } from './purger.js';

/** A recording purge function (not a NATS fake: the Purger's only dependency is this function). */
function recorder(): {
  calls: Array<[string, number]>;
  purge: (c: string, keepFrom: number) => Promise<void>;
} {
  const calls: Array<[string, number]> = [];
  const purge = (c: string, keepFrom: number): Promise<void> => {
    calls.push([c, keepFrom]);
    return Promise.resolve();
  };
  return { calls, purge };
}

describe('Purger', () => {
  test('releases below the interval purge nothing until flush', async () => {
    const { calls, purge } = recorder();
    const purger = new Purger(purge, 1000);
    for (let id = 1; id <= 999; id++) {
      purger.release('a', id, 1);
    }
    await purger.idle();
    expect(calls).toEqual([]);
    await purger.flush('a');
    expect(calls).toEqual([['a', 1000]]);
    await purger.flush('a');
    expect(calls).toHaveLength(1);
  });

  test('the 1000th released message starts one background purge', async () => {
    const { calls, purge } = recorder();
    const purger = new Purger(purge, 1000);
    purger.release('a', 400, 500);
    purger.release('b', 3, 1);
    purger.release('a', 900, 500);
    await purger.idle();
    expect(calls).toEqual([['a', 901]]);
    await purger.flush();
    expect(calls).toEqual([
      ['a', 901],
      ['b', 4],
    ]);
  });

  test('released messages of all customers over the budget purge them all (a capped stream)', async () => {
    const { calls, purge } = recorder();
    const purger = new Purger(purge, 1000, 5);
    purger.release('a', 10, 2);
    purger.release('b', 20, 2);
    await purger.idle();
    expect(calls).toEqual([]);
    purger.release('c', 30, 1);
    await purger.idle();
    expect(calls.sort()).toEqual([
      ['a', 11],
      ['b', 21],
      ['c', 31],
    ]);
    purger.release('a', 14, 4);
    await purger.idle();
    expect(calls).toHaveLength(3); // 4 unpurged since: under the budget again
  });

  test('flush rejects when a purge fails, and the next flush retries it', async () => {
    let fail = true;
    const calls: number[] = [];
    const purger = new Purger((_c, keepFrom) => {
      calls.push(keepFrom);
      return fail ? Promise.reject(new Error('purge failed')) : Promise.resolve();
    }, 10);
    purger.release('a', 5, 1);
    await expect(purger.flush('a')).rejects.toThrow('purge failed');
    fail = false;
    await purger.flush();
    expect(calls).toEqual([6, 6]);
  });

  test('purgeSoon purges idle customers in the background, a few at a time', async () => {
    const calls: string[] = [];
    let inFlight = 0;
    let most = 0;
    const purger = new Purger(async (c) => {
      calls.push(c);
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
    }, 1000);
    for (let i = 0; i < 20; i++) {
      purger.release(`c${i}`, i + 1, 1);
      purger.purgeSoon(`c${i}`);
    }
    purger.purgeSoon('never-released'); // nothing to purge: no call
    await purger.idle();
    expect(calls).toEqual(Array.from({ length: 20 }, (_, i) => `c${i}`));
    expect(most).toBe(4);
    purger.purgeSoon('c0'); // already purged: no call
    await purger.idle();
    expect(calls).toHaveLength(20);
  });
});
