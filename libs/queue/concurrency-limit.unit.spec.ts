import { concurrencyLimit, dutyCycle } from './concurrency-limit.js';

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

test('dutyCycle runs tasks one at a time and rests after each so they take at most their share', async () => {
  const paced = dutyCycle(0.5);
  const spans: Array<[number, number]> = [];
  const task = (n: number) => async () => {
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    spans.push([start, performance.now()]);
    if (n === 2) {
      throw new Error('two');
    }
    return n;
  };
  const results = await Promise.allSettled([1, 2, 3].map((n) => paced(task(n))));
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  for (let i = 1; i < spans.length; i++) {
    const [start, end] = spans[i - 1]!;
    // The next task starts no sooner than the previous one's duration after it ended (share 0.5).
    expect(spans[i]![0] - end).toBeGreaterThanOrEqual((end - start) * 0.9);
  }
  expect(() => dutyCycle(0)).toThrow('share');
});
