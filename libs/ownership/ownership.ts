import type { Fence } from '../domain/index.js';
import type { Clock } from '../runtime/clock.js';
import { targetCount } from './balance.js';
import { LeaseTable, type HeldLease, type InstanceLeases } from './lease-table.js';
import { RENEWALS_PER_LEASE, validUntil } from './lease-timing.js';
import { leaveMarker, lifeEnded, localProcess, removeMarker, type LocalProcess } from './local-process.js';
import { partitionOf } from './partition.js';

/** What the delivering side does when partitions come and go (the actor host, wired in src/core). */
export interface Handover {
  /** Partitions newly owned: their customers load from the log and resume. */
  acquired(partitions: readonly number[]): void;
  /** Giving partitions up: stop starting requests for them, finish and record those in flight. */
  release(partitions: readonly number[]): Promise<void>;
  /** Lost without a handover (the lease ran out or was taken): stop their customers now. */
  lost(partitions: readonly number[]): void;
}

/** Told about each renewal and each handover, for metrics. */
export interface OwnershipObserver {
  renewed(outcome: 'ok' | 'failed'): void;
  handover(outcome: 'acquired' | 'released' | 'lost', partitions: number): void;
}

interface OwnershipLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface OwnershipOptions {
  readonly databaseUrl: string;
  readonly namespace: string;
  readonly instanceId: string;
  readonly partitions: number;
  readonly leaseMs: number;
  /** Wall time, written into the lease rows and compared with them (the injected Clock). */
  readonly clock: Clock;
  /** This process's own monotonic clock (ms), which alone decides that a held lease is still valid. */
  readonly monotonic: () => number;
  readonly handover: Handover;
  readonly logger: OwnershipLogger;
  readonly observer?: OwnershipObserver;
  /** This process as its heartbeat names it (default: read from the kernel; null: none). */
  readonly process?: LocalProcess | null;
}

/** The cluster as one instance reads it: `GET /v1/cluster`, `<ns>.cluster`. */
export interface ClusterView {
  readonly partitions: number;
  readonly leaseMs: number;
  readonly instances: InstanceLeases[];
}

/**
 * Which customers this instance owns: the partitions whose leases it holds in PostgreSQL, renewed
 * every lease/3 through the injected Clock and balanced so that each of N live instances holds
 * ⌊P/N⌋ or ⌈P/N⌉. The actor runtime asks `mayStart` before each step and request and takes
 * `fence` into every append; the cluster logic stays here.
 */
export class PartitionOwnership {
  private readonly held = new Map<number, number>();
  private readonly releasing = new Set<number>();
  /** By the monotonic clock: start nothing at or after this. */
  private validUntil = Number.NEGATIVE_INFINITY;
  private timer: { cancel(): void } | null = null;
  private ticking: Promise<void> = Promise.resolve();
  private giving: Promise<void> = Promise.resolve();
  private stopped = false;

  private constructor(
    private readonly table: LeaseTable,
    private readonly options: OwnershipOptions,
    private readonly self: LocalProcess | null,
  ) {}

  /** Records (or checks) the partition count and makes the lease rows; owns nothing until the first tick. */
  static async open(options: OwnershipOptions): Promise<PartitionOwnership> {
    const self = options.process === undefined ? localProcess() : options.process;
    const table = new LeaseTable(options.databaseUrl, options.namespace, options.instanceId, self);
    try {
      await table.prepare(options.partitions);
    } catch (error) {
      await table.close();
      throw error;
    }
    return new PartitionOwnership(table, options, self);
  }

  get instanceId(): string {
    return this.options.instanceId;
  }

  /** The partitions this instance holds now, ascending. */
  owned(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /** The customer's partition. */
  partitionOf(customerId: string): number {
    return partitionOf(customerId, this.options.partitions);
  }

  /** True when this instance holds the customer's lease, is not giving it up, and it is valid by its own clock. */
  mayStart(customerId: string): boolean {
    const partition = this.partitionOf(customerId);
    return (
      this.held.has(partition) && !this.releasing.has(partition) && this.options.monotonic() < this.validUntil
    );
  }

  /** The fence of the customer's lease (also while it is being handed over); null when not held. */
  fence(customerId: string): Fence | null {
    const partition = this.partitionOf(customerId);
    const epoch = this.held.get(partition);
    return epoch === undefined ? null : { namespace: this.options.namespace, partition, epoch };
  }

  /** Takes the first turn now, then one every lease/3. */
  async start(): Promise<void> {
    if (this.self !== null && this.options.process === undefined && !leaveMarker(this.self)) {
      this.options.logger.warn(
        {},
        'no marker of this process in /dev/shm: if it dies, its leases run out first',
      );
    }
    await this.tick();
    this.schedule();
  }

  /**
   * One turn: the heartbeat, renewal of the held leases (those no longer ours are lost), the leases
   * of dead neighbours freed, then balance: give up the excess gracefully, or take free partitions
   * up to this instance's share.
   */
  tick(): Promise<void> {
    this.ticking = this.ticking.then(() => this.turn());
    return this.ticking;
  }

  /** Resolves once a handover in progress has ended (tests, shutdown). */
  settled(): Promise<void> {
    return this.giving;
  }

  /** Graceful leave (SIGTERM): every partition is handed over, then the instance leaves the view. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.ticking;
    await this.giving;
    await this.giveUp(this.owned());
    await this.table.leave().catch(() => undefined);
    await this.table.close();
    if (this.self !== null && this.options.process === undefined) {
      removeMarker(this.self.life); // the marker start() left
    }
  }

  /** Every live instance and its partitions, as the lease table says now. */
  async view(): Promise<ClusterView> {
    return {
      partitions: this.options.partitions,
      leaseMs: this.options.leaseMs,
      instances: await this.table.view(Math.floor(this.options.clock.now())),
    };
  }

  private schedule(): void {
    if (this.stopped) {
      return;
    }
    this.timer = this.options.clock.setTimer(() => {
      void this.tick().then(() => this.schedule());
    }, this.options.leaseMs / RENEWALS_PER_LEASE);
  }

  private async turn(): Promise<void> {
    if (this.stopped) {
      return;
    }
    const { clock, leaseMs, observer, logger } = this.options;
    let started = this.options.monotonic();
    if (this.held.size > 0 && started >= this.validUntil) {
      await this.lapse(this.owned(), 'not renewed within the lease');
      started = this.options.monotonic(); // the lapse may have waited for steps in flight
    }
    const now = Math.floor(clock.now()); // the rows hold whole milliseconds
    try {
      await this.table.heartbeat(now, now + leaseMs);
      const renewed = await this.table.renew(this.leases(this.owned()), now, now + leaseMs);
      if (this.held.size > 0 && this.options.monotonic() >= this.validUntil) {
        // Renewed, but only after the old validity had ended: meanwhile nothing could start, so the
        // feed passed over these customers' messages and their timers woke nothing. Their actors
        // must not go on from what they hold: a lapse, then a turn that takes the leases back at a
        // new epoch, and the customers load from the log.
        const leases = this.leases(this.owned());
        await this.lapse(this.owned(), 'renewed only after the lease had ended by this clock');
        await this.table.release(leases); // renewed for a lease: whoever balances next may take them
        return await this.turn();
      }
      this.validUntil = validUntil(started, leaseMs);
      observer?.renewed('ok');
      const taken = this.owned().filter((partition) => !renewed.has(partition));
      if (taken.length > 0) {
        this.lose(taken, 'taken by another instance');
      }
      await this.freeDeadNeighbours().catch((error: unknown) => {
        logger.warn({ err: String(error) }, 'freeing the leases of a dead instance failed; waiting them out');
      });
      await this.balance(now);
    } catch (error) {
      observer?.renewed('failed');
      logger.warn({ err: String(error) }, 'lease renewal failed; trying again');
    }
  }

  /**
   * An instance whose life ran on this machine (same kernel boot and pid namespace, its marker
   * here) and whose process is gone has nothing in flight: its partition leases are freed now
   * instead of run out, so a process killed and started again (a new default instance id) or a
   * killed neighbour's partitions are taken over within one turn.
   */
  private async freeDeadNeighbours(): Promise<void> {
    for (const neighbour of await this.table.neighbours()) {
      if (!lifeEnded(neighbour.pid, neighbour.life)) {
        continue;
      }
      const partitions = await this.table.forget(neighbour);
      removeMarker(neighbour.life); // the life has ended, whatever its row names now
      if (partitions !== null) {
        this.options.logger.info(
          { instance: neighbour.instanceId, pid: neighbour.pid, partitions: partitions.length },
          'freed the leases of an instance whose process is gone',
        );
      }
    }
  }

  private async balance(now: number): Promise<void> {
    if (this.releasing.size > 0) {
      return; // one handover at a time
    }
    const { instanceId, partitions, leaseMs } = this.options;
    const target = targetCount(await this.table.liveInstances(now), instanceId, partitions);
    const excess = this.held.size - target;
    if (excess > 0) {
      const give = this.owned().slice(-excess);
      // After a lapse a handover may still be ending: stop() waits for both.
      this.giving = Promise.all([this.giving, this.giveUp(give)]).then(() => undefined);
      return;
    }
    const taken = await this.table.acquire(-excess, this.owned(), now, now + leaseMs);
    if (taken.length === 0) {
      return;
    }
    taken.forEach(({ partition, epoch }) => this.held.set(partition, epoch));
    const list = taken.map((lease) => lease.partition);
    this.options.observer?.handover('acquired', list.length);
    this.options.logger.info({ partitions: list }, 'partitions acquired');
    this.options.handover.acquired(list);
  }

  /** Graceful handover: stop starting, let the in-flight work be recorded, then release. */
  private async giveUp(partitions: readonly number[]): Promise<void> {
    if (partitions.length === 0) {
      return;
    }
    partitions.forEach((partition) => this.releasing.add(partition));
    const leases = this.leases(partitions);
    try {
      await this.options.handover.release(partitions);
      await this.table.release(leases);
      this.options.observer?.handover('released', partitions.length);
      this.options.logger.info({ partitions }, 'partitions released');
    } catch (error) {
      // Not released in the table: the leases run out instead. Their customers are stopped either way.
      this.options.logger.warn({ err: String(error), partitions }, 'partition release failed');
    } finally {
      for (const { partition, epoch } of leases) {
        if (this.held.get(partition) === epoch) {
          // Not when a lapse took it out meanwhile and a turn took it again (a new epoch).
          this.releasing.delete(partition);
          this.held.delete(partition);
        }
      }
    }
  }

  /**
   * Not renewed in time (paused, cut off, a slow turn): another instance may hold the leases
   * already, or nobody took them. Nothing new starts (the validity check already says so); the
   * steps in flight are let finish, their appends fenced by the epoch they hold (committed if nobody
   * took the partition, refused if someone did), before this instance may take any back: otherwise a
   * step of its own from before the lapse could record after the new actor loaded, and that actor
   * would send the same request again.
   */
  private async lapse(partitions: readonly number[], reason: string): Promise<void> {
    partitions.forEach((partition) => this.releasing.add(partition));
    await this.options.handover.release(partitions).catch(() => undefined);
    for (const partition of partitions) {
      this.held.delete(partition);
      this.releasing.delete(partition);
    }
    this.options.observer?.handover('lost', partitions.length);
    this.options.logger.warn({ partitions, reason }, 'partitions lost');
  }

  private lose(partitions: readonly number[], reason: string): void {
    for (const partition of partitions) {
      this.held.delete(partition);
      this.releasing.delete(partition);
    }
    this.options.observer?.handover('lost', partitions.length);
    this.options.logger.warn({ partitions, reason }, 'partitions lost');
    this.options.handover.lost(partitions);
  }

  private leases(partitions: readonly number[]): HeldLease[] {
    return partitions.flatMap((partition) => {
      const epoch = this.held.get(partition);
      return epoch === undefined ? [] : [{ partition, epoch }];
    });
  }
}
