/**
 * At most `limit` holders at a time; the others wait in arrival order. The host uses it to bound
 * how many actors activate at once (snapshot load, first read from the stream, first attempt),
 * so a burst over thousands of idle customers does not hold thousands of activations in memory.
 */
export class Permits {
  private held = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  /** Resolves with the release function once a permit is free. */
  async acquire(): Promise<() => void> {
    if (this.held < this.limit) {
      this.held += 1;
    } else {
      // release() hands its permit straight to the first waiter: `held` stays the same.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      const next = this.waiting.shift();
      if (next === undefined) {
        this.held -= 1;
      } else {
        next();
      }
    };
  }
}
