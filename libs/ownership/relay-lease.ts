import type { RelayFence } from '../domain/index.js';
import type { Clock } from '../runtime/clock.js';
import { RENEWALS_PER_LEASE, validUntil } from './lease-timing.js';
import { RelayLeaseTable, type RelayHolder } from './relay-lease-table.js';

interface RelayLeaseLogger {
  warn(obj: object, msg?: string): void;
}

export interface RelayLeaseOptions {
  readonly databaseUrl: string;
  readonly namespace: string;
  readonly instanceId: string;
  readonly leaseMs: number;
  /** Wall time, written into the row and compared with it (the injected Clock); also times the renewals. */
  readonly clock: Clock;
  /** This process's own monotonic clock (ms), which alone decides that the held lease is still valid. */
  readonly monotonic: () => number;
  readonly logger: RelayLeaseLogger;
  /** Told about each renewal (metrics). */
  readonly onRenewed?: (outcome: 'ok' | 'failed') => void;
}

/** The lease while held: `lost` resolves with the reason once it is lost (the DeliveryLock shape). */
export interface HeldRelayLease {
  readonly epoch: number;
  readonly lost: Promise<string>;
  release(): Promise<void>;
}

interface Holding {
  readonly epoch: number;
  validUntil: number;
  lostReason: string | null;
  lose(reason: string): void;
}

/**
 * Which instance runs the outbound feed relay (and the daily archive): one lease per namespace in
 * PostgreSQL, beside the partition leases and timed like them. Whoever finds it free takes it at a
 * new epoch; the holder renews it every lease/3 and stops publishing 0.2 × lease before it ends by
 * its own monotonic clock; a holder that stops renewing (killed, paused, cut off) loses it after the
 * lease, and the next `tryAcquire` of another instance takes it. The epoch fences the relay's
 * checkpoint writes (libs/event-store/relay-state.ts): a paused holder that wakes up is refused.
 */
export class RelayLease {
  private holding: Holding | null = null;
  private timer: { cancel(): void } | null = null;
  private turn: Promise<void> = Promise.resolve();

  private constructor(
    private readonly table: RelayLeaseTable,
    private readonly options: RelayLeaseOptions,
  ) {}

  /** Makes the namespace's lease row; holds nothing until tryAcquire(). */
  static async open(options: RelayLeaseOptions): Promise<RelayLease> {
    const table = new RelayLeaseTable(options.databaseUrl, options.namespace, options.instanceId);
    try {
      await table.prepare();
    } catch (error) {
      await table.close();
      throw error;
    }
    return new RelayLease(table, options);
  }

  /** Takes the lease if it is free; null while another instance holds it. Throws if the database is unreachable. */
  async tryAcquire(): Promise<HeldRelayLease | null> {
    if (this.holding !== null) {
      return null; // one holding per process: release it first
    }
    const { clock, leaseMs, monotonic } = this.options;
    const started = monotonic();
    const now = Math.floor(clock.now());
    const epoch = await this.table.acquire(now, now + leaseMs);
    if (epoch === null) {
      return null;
    }
    let lose: (reason: string) => void = () => undefined;
    const lost = new Promise<string>((resolve) => (lose = resolve));
    const holding: Holding = {
      epoch,
      validUntil: validUntil(started, leaseMs),
      lostReason: null,
      lose: (reason) => {
        if (holding.lostReason === null) {
          holding.lostReason = reason;
          lose(reason);
        }
      },
    };
    this.holding = holding;
    this.schedule();
    return { epoch, lost, release: () => this.release(holding) };
  }

  /** True while the lease is held, not known lost, and valid by this process's own clock. */
  mayPublish(): boolean {
    const holding = this.holding;
    return holding !== null && holding.lostReason === null && this.options.monotonic() < holding.validUntil;
  }

  /** The held lease's fence (also once lost, until released: the write is then refused if it was taken). */
  fence(): RelayFence | null {
    return this.holding === null ? null : { namespace: this.options.namespace, epoch: this.holding.epoch };
  }

  /** Who holds the lease now, as the row says (any instance can ask: the cluster view). */
  holder(): Promise<RelayHolder | null> {
    return this.table.holder(Math.floor(this.options.clock.now()));
  }

  /** Releases a held lease and closes the connection. */
  async close(): Promise<void> {
    if (this.holding !== null) {
      await this.release(this.holding);
    }
    await this.table.close();
  }

  /** Resolves once a renewal in progress has ended (tests). */
  settled(): Promise<void> {
    return this.turn;
  }

  private schedule(): void {
    this.timer?.cancel();
    this.timer = this.options.clock.setTimer(() => {
      this.turn = this.turn.then(() => this.renew());
    }, this.options.leaseMs / RENEWALS_PER_LEASE);
  }

  /** One renewal: lost when it comes after the validity (a pause) or the row moved on (taken). */
  private async renew(): Promise<void> {
    const holding = this.holding;
    if (holding === null || holding.lostReason !== null) {
      return;
    }
    const { clock, leaseMs, monotonic, logger, onRenewed } = this.options;
    const started = monotonic();
    if (started >= holding.validUntil) {
      holding.lose('not renewed within the lease');
      return;
    }
    const now = Math.floor(clock.now());
    try {
      if (!(await this.table.renew(holding.epoch, now, now + leaseMs))) {
        holding.lose('taken by another instance');
        return;
      }
      holding.validUntil = validUntil(started, leaseMs);
      onRenewed?.('ok');
    } catch (error) {
      onRenewed?.('failed');
      logger.warn({ err: String(error) }, 'relay lease renewal failed; trying again');
    }
    if (this.holding === holding) {
      this.schedule();
    }
  }

  private async release(holding: Holding): Promise<void> {
    if (this.holding !== holding) {
      return;
    }
    this.holding = null;
    this.timer?.cancel();
    this.timer = null;
    holding.lose('released');
    await this.turn;
    // Not released in the table (the database is down): the lease runs out instead.
    await this.table.release(holding.epoch).catch(() => undefined);
  }
}
