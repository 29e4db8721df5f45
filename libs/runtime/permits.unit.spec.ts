import { Permits } from './permits.js';

test('at most limit holders; waiters get permits in arrival order', async () => {
  const permits = new Permits(2);
  const order: string[] = [];
  const a = await permits.acquire();
  const b = await permits.acquire();
  const c = permits.acquire().then((release) => (order.push('c'), release));
  const d = permits.acquire().then((release) => (order.push('d'), release));
  await Promise.resolve();
  expect(order).toEqual([]);
  a();
  a(); // a second call releases nothing
  const releaseC = await c;
  expect(order).toEqual(['c']);
  b();
  const releaseD = await d;
  expect(order).toEqual(['c', 'd']);
  releaseC();
  releaseD();
  const again = await Promise.race([
    permits.acquire(),
    new Promise((resolve) => setTimeout(resolve, 50, 'blocked')),
  ]);
  expect(again).not.toBe('blocked');
});
