/**
 * Runs at most `limit` of the given tasks at a time, the rest in arrival order. Purges go through
 * one: nats-server runs them one by one anyway, and 10,000 customers going idle at once would
 * otherwise send 10,000 purge requests together (each held in memory, many timing out).
 */
export function concurrencyLimit(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) {
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running += 1;
    }
    try {
      return await task();
    } finally {
      // Hand the slot to the next waiter, or give it back.
      const next = waiting.shift();
      if (next === undefined) {
        running -= 1;
      } else {
        next();
      }
    }
  };
}
