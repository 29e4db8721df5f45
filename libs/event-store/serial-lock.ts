/** Something that runs async work, possibly one piece at a time. */
export interface WorkLock {
  run<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * Runs async work one piece at a time. TypeORM drives better-sqlite3 through ONE shared query
 * runner, so a read or update started during a group's transaction would run inside it.
 */
export class SerialLock implements WorkLock {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after everything queued before it has finished. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(() => work());
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** A lock that does not lock: PostgreSQL gives each transaction its own pooled connection. */
export const noLock: WorkLock = { run: (work) => work() };
