import type { DeliveryLock, HeldLock } from './delivery-lock.js';

/** What the owner drives: the actor host's start and pause. */
export interface Deliverer {
  start(): Promise<void>;
  pause(): Promise<void>;
}

/** The few log calls the owner makes (pino's shape). */
interface OwnerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Runs delivery only while this process holds the delivery lock. Without it the process stands by
 * (the admin API and publishing still work) and tries again every `retryMs`; when the lock is lost
 * (its database connection failed), delivery pauses until the lock is held again.
 */
export class DeliveryOwner {
  private closing = false;
  private wake: () => void = () => undefined;
  private held: HeldLock | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly lock: DeliveryLock,
    private readonly deliverer: Deliverer,
    private readonly logger: OwnerLogger,
    private readonly retryMs = 1_000,
    /** What the lock gives, for the log: delivery (SQLite log), or only the feed and the archive (PostgreSQL). */
    private readonly duty = 'delivers',
    /** What the lock is called in the log: the SQLite delivery lock, or the relay lease (PostgreSQL). */
    private readonly lockName = 'delivery lock',
  ) {}

  /** Whether this process delivers right now. */
  get delivering(): boolean {
    return this.held !== null;
  }

  /**
   * Makes the first attempt and resolves once delivery has started or this process stands by; keeps
   * trying in the background. Rejects if delivery fails to start on the first attempt.
   */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.loop = this.run(resolve, reject);
    });
  }

  /** Stops trying; a held lock is kept until release(), after the caller has stopped delivery. */
  async stop(): Promise<void> {
    this.closing = true;
    this.wake();
    await this.loop;
  }

  /** Lets another process take over. */
  async release(): Promise<void> {
    const held = this.held;
    this.held = null;
    await held?.release();
  }

  private async run(started: () => void, failed: (error: unknown) => void): Promise<void> {
    let first = true;
    let standingBy = false;
    const settle = (error?: unknown): void => {
      if (first) {
        first = false;
        if (error === undefined) {
          started();
        } else {
          failed(error);
        }
      }
    };
    while (!this.closing) {
      const held = await this.lock.tryAcquire().catch((error: unknown) => {
        this.logger.warn({ err: String(error) }, `cannot reach the ${this.lockName}; trying again`);
        return null;
      });
      if (held === null) {
        if (!standingBy) {
          standingBy = true;
          this.logger.warn(
            {},
            `another Hookpost process ${this.duty} for this database and namespace: this one stands by for that (admin API and publishing work) and takes over when that one stops`,
          );
        }
        settle();
        await this.sleep(this.retryMs);
        continue;
      }
      if (this.closing) {
        await held.release();
        break;
      }
      standingBy = false;
      this.held = held;
      this.logger.info({}, `${this.lockName} held: this process ${this.duty}`);
      try {
        await this.deliverer.start();
      } catch (error) {
        this.held = null;
        await held.release();
        if (first) {
          settle(error); // the service fails to start, as it would without the lock
          return;
        }
        this.logger.error({ err: String(error) }, 'delivery did not start; trying again');
        await this.sleep(this.retryMs);
        continue;
      }
      settle();
      const reason = await Promise.race([held.lost, new Promise<null>((resolve) => this.onWake(resolve))]);
      if (reason === null) {
        break; // stopping: the caller stops delivery, then releases the lock
      }
      this.logger.error({ reason }, `${this.lockName} lost: paused until it is held again`);
      await this.deliverer.pause();
      await this.release();
    }
    settle();
  }

  private onWake(resolve: (value: null) => void): void {
    this.wake = () => resolve(null);
    if (this.closing) {
      resolve(null);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.onWake(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
