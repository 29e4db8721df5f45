import type { Clock } from './clock.js';
import type { DeliverySwitch } from './delivery-switch.js';
import type { Feed, RuntimeLogger } from './ports.js';

/**
 * Keeps one feed of new queue messages running while the host delivers: a feed that fails is
 * started again from where it stopped (every errorRetryMs until that works), so no wake-up is
 * lost. Windows may have missed messages meanwhile: `onRestarted` tells the host to re-read them.
 */
export class FeedSupervisor {
  private feed: Feed | null = null;

  /** @param open starts a feed from a stream sequence ('new': after the current last message). */
  constructor(
    private readonly open: (from: number | 'new') => Promise<Feed>,
    private readonly deliveries: DeliverySwitch,
    private readonly clock: Clock,
    private readonly logger: RuntimeLogger,
    private readonly retryMs: number,
    private readonly onRestarted: () => void,
  ) {}

  /** Starts the feed after the stream's current last message. */
  async start(): Promise<void> {
    this.feed = await this.open('new');
    this.watch(this.feed);
  }

  async stop(): Promise<void> {
    const feed = this.feed;
    this.feed = null;
    await feed?.stop();
  }

  private watch(feed: Feed): void {
    void feed.done.then(async (error) => {
      if (error === undefined || !this.deliveries.on || this.feed !== feed) {
        return;
      }
      this.logger.error({ err: error.message, lastSeq: feed.lastSeq }, 'queue feed failed; restarting it');
      const restarted = await this.restartAfter(feed.lastSeq);
      if (restarted === null) {
        return;
      }
      if (!this.deliveries.on || this.feed !== feed) {
        await restarted.stop(); // stopped or paused while it was being restarted
        return;
      }
      this.feed = restarted;
      this.watch(restarted);
      this.onRestarted();
    });
  }

  /** A feed from lastSeq + 1, tried again every retryMs; null when delivery stopped meanwhile. */
  private async restartAfter(lastSeq: number): Promise<Feed | null> {
    while (this.deliveries.on) {
      try {
        return await this.open(lastSeq + 1);
      } catch (restartError) {
        this.logger.error({ err: String(restartError) }, 'queue feed restart failed; trying again');
        await new Promise((resolve) => this.clock.setTimer(() => resolve(undefined), this.retryMs));
      }
    }
    return null;
  }
}
