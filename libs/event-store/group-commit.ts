import { systemClock, type Clock } from '../runtime/clock.js';

/** A request waiting in a group, with the callbacks that settle its caller's promise. */
export interface Waiting<Request, Result> {
  readonly request: Request;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

/** Writes one group and settles every member (each after its own commit, or with its own error). */
export type GroupWriter<Request, Result> = (group: readonly Waiting<Request, Result>[]) => Promise<void>;

/** When a group is written. */
export interface GroupCommitOptions {
  /** Longest wait for company when nothing is being written. */
  readonly maxWaitMs: number;
  /** Most requests in one group; a full queue is written at once. */
  readonly maxGroupSize: number;
  /** Times the wait for company (default: the system clock). */
  readonly clock?: Clock;
}

/**
 * Batches concurrent requests into groups written one at a time (group commit):
 * requests that arrive while a group is being written form the next group, written as soon as the
 * current one ends; a request arriving when nothing is running waits at most maxWaitMs for company
 * (0, the default: only for the requests of the same event-loop turn, so a lone actor pays no wait).
 */
export class GroupCommit<Request, Result> {
  private queue: Waiting<Request, Result>[] = [];
  private cancelTimer: (() => void) | undefined;
  private running = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: GroupWriter<Request, Result>,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Queues a request; the promise settles when the group holding it has been written. */
  submit(request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every request submitted so far has been settled. */
  async drain(): Promise<void> {
    while (this.running || this.queue.length > 0) {
      this.start();
      await this.idle;
    }
  }

  private schedule(): void {
    if (this.running) {
      return; // the running loop takes it when the current group ends
    }
    if (this.queue.length >= this.options.maxGroupSize) {
      this.start();
    } else {
      this.cancelTimer ??= this.later(() => this.start());
    }
  }

  /**
   * maxWaitMs 0 still lets the current turn of the event loop join (setImmediate), without a timer's
   * 1 ms: that is an event-loop turn, not a time, so it is not the clock's.
   */
  private later(run: () => void): () => void {
    if (this.options.maxWaitMs <= 0) {
      const handle = setImmediate(run);
      return () => clearImmediate(handle);
    }
    const timer = (this.options.clock ?? systemClock).setTimer(run, this.options.maxWaitMs);
    return () => timer.cancel();
  }

  private start(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (!this.running) {
      this.running = true;
      this.idle = this.loop();
    }
  }

  private async loop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, this.options.maxGroupSize);
        try {
          await this.write(group);
        } catch (error) {
          // The writer settles members itself; this only catches a bug in it (a settled promise ignores it).
          for (const member of group) {
            member.reject(error);
          }
        }
      }
    } finally {
      // Synchronously with the empty-queue check, so a submit right after starts a new loop.
      this.running = false;
    }
  }
}
