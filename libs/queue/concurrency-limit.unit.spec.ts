import { concurrencyLimit } from './concurrency-limit.js';

test('runs at most limit tasks at once, in arrival order, and passes results and errors through', async () => {
  const limited = concurrencyLimit(2);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const task = (n: number) => async () => {
    running += 1;
    peak = Math.max(peak, running);
    order.push(n);
    await new Promise((resolve) => setTimeout(resolve, 5));
    running -= 1;
    if (n === 3) {
      throw new Error('three');
    }
    return n;
  };
  const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => limited(task(n))));
  expect(peak).toBe(2);
  expect(order).toEqual([1, 2, 3, 4, 5]);
  expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
    1,
    2,
    'three',
    4,
    5,
  ]);
});
