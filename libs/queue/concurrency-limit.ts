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

/**
 * Runs the given tasks one at a time, and after each waits so that tasks take at most `share` of
 * the wall time (a task of 60 ms with share 0.2 is followed by 240 ms of rest). Background purges go
 * through one: on nats-server 2.9 a subject purge walks the whole stream and holds it meanwhile,
 * so back-to-back purges stall the reads and publishes of every customer (docs/performance.md, H1).
 */
export function dutyCycle(share: number): <T>(task: () => Promise<T>) => Promise<T> {
  if (!(share > 0 && share <= 1)) {
    throw new Error(`share must be in (0, 1], got ${share}`);
  }
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(async () => {
      const started = performance.now();
      try {
        return await task();
      } finally {
        const rest = (performance.now() - started) * (1 / share - 1);
        await new Promise((resolve) => setTimeout(resolve, rest).unref());
      }
    });
    tail = run.catch(() => undefined);
    return run;
  };
}
