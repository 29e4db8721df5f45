import fc from 'fast-check';

/**
 * How long a fuzz run is: FUZZ_RUNS inputs per property unit (default 25: the short run inside
 * `npm test`; `npm run test:fuzz` sets more), FUZZ_SEED to replay a failing run (fast-check prints
 * the seed and path of a failure). The short run has a fixed seed, so `npm test` checks the same
 * inputs every time and a red CI can be replayed; a long run draws a new seed each time, which is
 * how it finds what the short one does not.
 */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const SHORT_RUN_SEED = 20261201;
export const FUZZ_SEED =
  process.env.FUZZ_SEED !== undefined
    ? Number(process.env.FUZZ_SEED)
    : process.env.FUZZ_RUNS === undefined
      ? SHORT_RUN_SEED
      : undefined;

/** A property's parameters: `weight` times FUZZ_RUNS runs, the seed when one was given. */
export function runs(weight = 1): fc.Parameters<unknown> {
  return {
    numRuns: Math.max(1, Math.round(FUZZ_RUNS * weight)),
    ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }),
    endOnFailure: true,
  };
}

/** Counts the generated inputs sent to the service, per entry point, for the run's summary. */
export class InputCount {
  private readonly counts = new Map<string, number>();

  private readonly started = Date.now();

  add(entryPoint: string): void {
    this.counts.set(entryPoint, (this.counts.get(entryPoint) ?? 0) + 1);
    // A long run says how far it got, so a stopped run still leaves its count.
    if (this.total() % 5000 === 0) {
      const seconds = ((Date.now() - this.started) / 1000).toFixed(0);
      process.stdout.write(`fuzz: ${this.total()} inputs after ${seconds} s (${this.summary()})\n`);
    }
  }

  total(): number {
    return [...this.counts.values()].reduce((sum, n) => sum + n, 0);
  }

  summary(): string {
    return [...this.counts].map(([name, n]) => `${name}: ${n}`).join(', ');
  }
}
