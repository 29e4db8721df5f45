import { join } from 'node:path';
import type { Logger } from 'pino';
import { HttpSender, parseRegions } from '../../libs/delivery/index.js';
import { EventRelay } from '../../libs/event-relay/index.js';
import { EventStore } from '../../libs/event-store/index.js';
import { JetStreamQueue } from '../../libs/queue/index.js';
import { ActorHost, systemClock, type Clock } from '../../libs/runtime/index.js';
import type { AppConfig } from '../config/app-config.js';
import type { ServiceSecrets } from '../config/secrets.js';
import { connectNats, stopEmbedded, type NatsHandle } from '../infra/embedded-nats.js';
import { memoryReleaser } from '../infra/release-memory.js';
import { BacklogScan } from '../metrics/backlog-scan.js';
import { Metrics } from '../metrics/metrics.js';
import { ArchiveReader } from '../../libs/archive/index.js';
import { runArchive } from './archive-run.js';
import { ArchiveSchedule } from './archive-schedule.js';
import { announceChange, listenForChanges } from './change-notices.js';
import { StopProgress } from './bounded-stop.js';
import { deliveryLockFor } from './delivery-lock.js';
import { DeliveryOwner } from './delivery-owner.js';
import { ACTIVATION_PERMITS, shutdownGraceMs, STEP_RETRY_MS, windowSize } from './runtime-tuning.js';
import { packageVersion } from './version.js';

/** The database must answer a ping this fast for the instance to count as ready (as /health). */
const READY_PING_MS = 1_000;

/** True when `work` resolves within `ms`; false when it rejects or takes longer. */
async function answersWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), late]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The parts every entry point shares (the way Immich builds API and worker from one set):
 * NATS, the queue, the event log, the sender and the actor host, closed in the reverse order.
 */
export class HookpostCore {
  private constructor(
    readonly config: AppConfig,
    readonly logger: Logger,
    readonly nats: NatsHandle,
    readonly queue: JetStreamQueue,
    readonly store: EventStore,
    readonly sender: HttpSender,
    readonly host: ActorHost,
    /** HOOKPOST_REGIONS parsed: region name -> source addresses. */
    readonly regions: ReadonlyMap<string, string[]>,
    readonly metrics: Metrics,
    /** Publishes the log to `<NS>_EVENTS` while this process delivers; null when the feed is off. */
    readonly relay: EventRelay | null,
  ) {
    this.archiveSchedule =
      config.archiveAfterMs === null
        ? null
        : new ArchiveSchedule(systemClock, () => this.archiveOld(), logger);
  }

  /** The time every rule of the service reads (the actors' clock too). */
  readonly clock: Clock = systemClock;

  /** HOOKPOST_ARCHIVE_AFTER's daily run; null when it is off. */
  private readonly archiveSchedule: ArchiveSchedule | null;

  /** Connects everything; delivery starts only with startDelivery(). */
  static async open(config: AppConfig, secrets: ServiceSecrets, logger: Logger): Promise<HookpostCore> {
    const nats = await connectNats(config, logger);
    try {
      return await HookpostCore.build(config, secrets, logger, nats);
    } catch (error) {
      // An embedded nats-server must not outlive a start that failed (e.g. a refused setting).
      await nats.connection.close().catch(() => undefined);
      await stopEmbedded(nats.embedded);
      throw error;
    }
  }

  private static async build(
    config: AppConfig,
    secrets: ServiceSecrets,
    logger: Logger,
    nats: NatsHandle,
  ): Promise<HookpostCore> {
    // Opening the queue refuses a nats-server older than the minimum (ServerTooOldError).
    const queue = await JetStreamQueue.open(nats.connection, {
      namespace: config.namespace,
      replicas: config.streamReplicas,
      ...(config.queueMaxMessages > 0 ? { maxMessages: config.queueMaxMessages } : {}),
      ...(config.queueMaxBytes > 0 ? { maxBytes: config.queueMaxBytes } : {}),
    });
    const store = await EventStore.open({
      ...(config.databaseUrl === null
        ? { sqlitePath: join(config.dataDir, 'hookpost.sqlite') }
        : { databaseUrl: config.databaseUrl }),
      encryptionKey: secrets.encryptionKey,
    });
    const regions = parseRegions(config.regions);
    const sender = new HttpSender({
      allowPrivateTargets: config.allowPrivateTargets,
      regions,
      userAgent: `Hookpost/${packageVersion}`,
    });
    let host: ActorHost | null = null;
    let relay: EventRelay | null = null;
    let core: HookpostCore | null = null;
    const backlog = new BacklogScan({
      listSnapshots: (filter) => store.listSnapshots(filter),
      oldestPending: (customerId, afterId) => queue.oldestPending(customerId, afterId),
    });
    const metrics = new Metrics({
      activeActors: () => host?.activeCount ?? 0,
      waitingActors: () => host?.waitingCount ?? 0,
      failingActors: () => host?.failingCount ?? 0,
      customersByQueue: async () => (await store.summary()).customers,
      pendingMessages: async () => (await store.summary()).pending,
      eventFeedLag: async () =>
        relay?.running === true ? Math.max(0, (await store.lastPosition()) - relay.publishedThrough) : null,
      archivedEvents: async () => (await store.archiveProgress()).events,
      archiveFiles: async () => (await ArchiveReader.open(config.archiveDir))?.manifest.files.length ?? 0,
      storedEvents: () => store.countEvents(),
      backlog: () => backlog.figures(),
      ready: async () => !nats.connection.isClosed() && (await answersWithin(store.ping(), READY_PING_MS)),
      delivering: () => core?.owner?.delivering ?? false,
    });
    host = new ActorHost(
      {
        settings: config.delivery,
        clock: systemClock,
        queue,
        source: queue,
        store,
        sender,
        logger,
        windowSize: windowSize(config.delivery),
        observer: {
          attempted: ({ ok, batching, count, durationMs }) => {
            const outcome = ok ? 'success' : 'failure';
            metrics.deliveries.inc({ outcome, mode: batching ? 'batch' : 'single' });
            metrics.deliveryDuration.observe({ outcome }, durationMs / 1000);
            if (ok) {
              metrics.deliveredMessages.inc(count);
            }
          },
          appended: (durationMs) => metrics.appendDuration.observe(durationMs / 1000),
          stepFailed: () => metrics.stepFailures.inc(),
        },
      },
      {
        idleAfterMs: config.actorIdleMs,
        errorRetryMs: STEP_RETRY_MS,
        activationConcurrency: ACTIVATION_PERMITS,
        shutdownGraceMs: shutdownGraceMs(config.delivery),
        onIdle: memoryReleaser(() => host?.activeCount === 0),
        onChangedWhilePaused: (customerId) => announceChange(nats.connection, config.namespace, customerId),
      },
    );
    relay = config.eventsFeed
      ? await EventRelay.open(nats.connection, store, {
          namespace: config.namespace,
          retentionMs: config.eventsRetentionMs,
          replicas: config.streamReplicas,
          logger,
          onPublished: (count) => metrics.eventsRelayed.inc(count),
        })
      : null;
    store.onCommitted(() => relay?.nudge());
    core = new HookpostCore(config, logger, nats, queue, store, sender, host, regions, metrics, relay);
    return core;
  }

  /** Delivery runs only in the process holding the delivery lock; a second process stands by. */
  private owner: DeliveryOwner | null = null;

  /**
   * Starts delivering (the feed, then every customer with queued messages) once this process holds
   * the delivery lock; resolves at once, standing by, when another process holds it.
   */
  async startDelivery(): Promise<void> {
    listenForChanges(this.nats.connection, this.config.namespace, (customerId) => {
      this.host.changedElsewhere(customerId);
      this.relay?.nudge(); // a standing-by process appended to the log
    });
    const { host, relay, archiveSchedule } = this;
    // The relay runs beside delivery: one process publishes the feed, so it stays in order.
    // The daily archive too: one instance runs it, and the archive lock keeps a CLI run apart.
    const deliverer = {
      start: async () => {
        await host.start();
        await relay?.start();
        archiveSchedule?.start();
      },
      pause: async () => {
        await archiveSchedule?.stop();
        await relay?.stop();
        await host.pause();
      },
    };
    this.owner = new DeliveryOwner(deliveryLockFor(this.config), deliverer, this.logger);
    await this.owner.start();
  }

  /** Archives the events older than HOOKPOST_ARCHIVE_AFTER and logs what it did. */
  private async archiveOld(): Promise<void> {
    const now = systemClock.now();
    const report = await runArchive(this.store, this.config, {
      before: now - (this.config.archiveAfterMs ?? 0),
      now,
    });
    this.logger.info({ ...report }, 'archived old events');
  }

  /**
   * Graceful stop: in-flight attempts are recorded before the connections close. Each step is
   * named to `progress`, so a stop that runs out of time (serve.ts) can say where it gave up.
   */
  async close(progress: StopProgress = new StopProgress()): Promise<void> {
    progress.step('stopping the delivery lock holder');
    await this.owner?.stop();
    progress.step('stopping the daily archive');
    await this.archiveSchedule?.stop();
    progress.step(
      `recording the outcomes of in-flight attempts (${this.host.activeCount} customers in memory)`,
    );
    await this.host.stop();
    progress.step('publishing the last events to the feed');
    await this.relay?.stop(); // after the host: the outcomes it recorded last go out too
    progress.step('releasing the delivery lock');
    await this.owner?.release(); // only now may another process take over: nothing is in flight here
    progress.step('closing the HTTP sender');
    await this.sender.close();
    progress.step('closing the queue');
    await this.queue.close();
    progress.step('committing the queued appends and closing the database');
    await this.store.close();
    progress.step('draining the NATS connection');
    await this.nats.connection.drain().catch(() => undefined);
    progress.step('stopping the embedded nats-server');
    await stopEmbedded(this.nats.embedded);
  }

  /** After a stop gave up: the embedded nats-server, if any, must not outlive this process. */
  abandon(): void {
    this.nats.embedded?.kill('SIGTERM');
  }
}
