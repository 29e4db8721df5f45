import { join } from 'node:path';
import type { Logger } from 'pino';
import { HttpSender, parseRegions } from '../../libs/delivery/index.js';
import { EventRelay } from '../../libs/event-relay/index.js';
import { EventStore } from '../../libs/event-store/index.js';
import { JetStreamQueue } from '../../libs/queue/index.js';
import {
  PartitionOwnership,
  partitionOf,
  RelayLease,
  type ClusterView,
  type RelayHolder,
} from '../../libs/ownership/index.js';
import { ActorHost, systemClock } from '../../libs/runtime/index.js';
import type { AppConfig } from '../config/app-config.js';
import type { ServiceSecrets } from '../config/secrets.js';
import { connectNats, stopEmbedded, type NatsHandle } from '../infra/embedded-nats.js';
import { memoryReleaser } from '../infra/release-memory.js';
import { BacklogScan } from '../metrics/backlog-scan.js';
import { Metrics } from '../metrics/metrics.js';
import { ArchiveReader } from '../../libs/archive/index.js';
import { retentionSchedule, type ArchiveSchedule } from './archive-schedule.js';
import { announceChange, listenForChanges } from './change-notices.js';
import { CommandRouter } from './command-router.js';
import { RetryGate } from './customer-commands.js';
import { RetryThrottle } from './retry-throttle.js';
import { StopProgress } from './bounded-stop.js';
import { sqliteDeliveryLock } from './delivery-lock.js';
import { DeliveryOwner } from './delivery-owner.js';
import { ACTIVATION_PERMITS, shutdownGraceMs, STEP_RETRY_MS, windowSize } from './runtime-tuning.js';
import type { OtelTracing } from '../telemetry/otel-tracing.js';
import { packageVersion } from './version.js';

/** The cluster as GET /v1/cluster shows it: the partitions' owners and the relay lease's holder. */
export interface HookpostClusterView extends ClusterView {
  readonly relay: RelayHolder | null;
}

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
    /** Spans through OpenTelemetry; null when no OTLP endpoint is set (trace context is still carried). */
    readonly tracing: OtelTracing | null,
    /** Which customers this instance owns (PostgreSQL log); null with SQLite, where one instance delivers. */
    readonly ownership: PartitionOwnership | null,
    /** Runs each customer's commands at its owner. */
    readonly commands: CommandRouter,
    /** Which instance runs the relay and the daily archive (PostgreSQL log); null with SQLite (a lock file). */
    readonly relayLease: RelayLease | null,
  ) {
    this.archiveSchedule = retentionSchedule(store, config, systemClock, logger);
  }

  /** HOOKPOST_ARCHIVE_AFTER's daily run; null when it is off. */
  private readonly archiveSchedule: ArchiveSchedule | null;

  /** Connects everything; delivery starts only with startDelivery(). */
  static async open(
    config: AppConfig,
    secrets: ServiceSecrets,
    logger: Logger,
    tracing: OtelTracing | null = null,
  ): Promise<HookpostCore> {
    const nats = await connectNats(config, logger);
    try {
      return await HookpostCore.build(config, secrets, logger, nats, tracing);
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
    tracing: OtelTracing | null,
  ): Promise<HookpostCore> {
    // Opening the queue refuses a nats-server older than the minimum (ServerTooOldError).
    const queue = await JetStreamQueue.open(
      nats.connection,
      {
        namespace: config.namespace,
        replicas: config.streamReplicas,
        ...(config.queueMaxMessages > 0 ? { maxMessages: config.queueMaxMessages } : {}),
        ...(config.queueMaxBytes > 0 ? { maxBytes: config.queueMaxBytes } : {}),
      },
      systemClock,
    );
    const store = await EventStore.open({
      ...(config.databaseUrl === null
        ? { sqlitePath: join(config.dataDir, 'hookpost.sqlite') }
        : { databaseUrl: config.databaseUrl }),
      encryptionKey: secrets.encryptionKey,
      clock: systemClock,
      // Half a lease: a frozen instance's open transaction gives its locks up before a taker needs them.
      idleInTransactionTimeoutMs: Math.floor(config.leaseMs / 2),
    });
    const regions = parseRegions(config.regions);
    const sender = new HttpSender({
      allowPrivateTargets: config.allowPrivateTargets,
      regions,
      userAgent: `Hookpost/${packageVersion}`,
    });
    let host: ActorHost | null = null;
    const ownership: PartitionOwnership | null =
      config.databaseUrl === null
        ? null
        : await HookpostCore.ownership(
            config,
            logger,
            () => host,
            (): Metrics => metrics,
          );
    const relayLease: RelayLease | null =
      config.databaseUrl === null
        ? null
        : await RelayLease.open({
            databaseUrl: config.databaseUrl,
            namespace: config.namespace,
            instanceId: config.instanceId,
            leaseMs: config.leaseMs,
            clock: systemClock,
            monotonic: () => performance.now(),
            logger,
          });
    let relay: EventRelay | null = null;
    let core: HookpostCore | null = null;
    const backlog = new BacklogScan({
      listSnapshots: (filter) => store.listSnapshots(filter),
      oldestPending: (customerId, afterId) => queue.oldestPending(customerId, afterId),
    });
    const metrics: Metrics = new Metrics(
      {
        activeActors: () => host?.activeCount ?? 0,
        waitingActors: () => host?.waitingCount ?? 0,
        failingActors: () => host?.failingCount ?? 0,
        customersByQueue: async () => (await store.summary()).customers,
        pendingMessages: async () => (await store.summary()).pending,
        eventFeedLag: async () => (relay?.running === true ? await store.feedBacklog(relay.published) : null),
        archivedEvents: async () => (await store.archiveProgress()).events,
        archiveFiles: async () => (await ArchiveReader.open(config.archiveDir))?.manifest.files.length ?? 0,
        storedEvents: () => store.countEvents(),
        backlog: () => backlog.figures(),
        ready: async () => !nats.connection.isClosed() && (await answersWithin(store.ping(), READY_PING_MS)),
        delivering: () => core?.owner?.delivering ?? false,
        ownedPartitions: () => ownership?.owned().length ?? null,
      },
      config.instanceId,
    );
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
        ...(tracing === null ? {} : { tracing }),
        ...(ownership === null ? {} : { ownership }),
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
          ...(relayLease === null ? {} : { lease: relayLease }),
        })
      : null;
    store.onCommitted(() => relay?.nudge());
    const commands = new CommandRouter(
      nats.connection,
      config.namespace,
      host,
      ownership,
      2 * config.leaseMs,
      logger,
      new RetryGate(new RetryThrottle(systemClock)),
    );
    core = new HookpostCore(
      config,
      logger,
      nats,
      queue,
      store,
      sender,
      host,
      regions,
      metrics,
      relay,
      tracing,
      ownership,
      commands,
      relayLease,
    );
    return core;
  }

  /**
   * The partition leases of this instance, wired to the host: taken partitions resume from the
   * log, given-up ones finish their steps in flight first, lost ones stop at once.
   */
  private static ownership(
    config: AppConfig,
    logger: Logger,
    host: () => ActorHost | null,
    metrics: () => Metrics,
  ): Promise<PartitionOwnership> {
    const inSet = (partitions: readonly number[]) => {
      const set = new Set(partitions);
      return (customerId: string) => set.has(partitionOf(customerId, config.partitions));
    };
    return PartitionOwnership.open({
      databaseUrl: config.databaseUrl ?? '',
      namespace: config.namespace,
      instanceId: config.instanceId,
      partitions: config.partitions,
      leaseMs: config.leaseMs,
      clock: systemClock,
      monotonic: () => performance.now(),
      logger,
      handover: {
        acquired: (partitions) => {
          void host()
            ?.resume(inSet(partitions))
            .catch((error: unknown) =>
              logger.error({ err: String(error) }, 'resuming taken partitions failed'),
            );
        },
        release: async (partitions) => host()?.forget(inSet(partitions), true),
        lost: (partitions) => void host()?.forget(inSet(partitions), false),
      },
      observer: {
        renewed: (outcome) => metrics().leaseRenewals.inc({ outcome }),
        handover: (outcome, count) => metrics().handovers.inc({ outcome }, count),
      },
    });
  }

  /** Every live instance with the partitions it owns, and the relay's (GET /v1/cluster, `<ns>.cluster`). */
  async cluster(): Promise<HookpostClusterView> {
    if (this.ownership !== null && this.relayLease !== null) {
      const [view, relay] = await Promise.all([this.ownership.view(), this.relayLease.holder()]);
      return { ...view, relay };
    }
    // The SQLite log: one instance delivers, and owns every partition and the relay while it does.
    const delivering = this.owner?.delivering ?? false;
    return {
      relay: delivering ? { instanceId: this.config.instanceId, renewedAt: Date.now() } : null,
      partitions: this.config.partitions,
      leaseMs: this.config.leaseMs,
      instances: [
        {
          instanceId: this.config.instanceId,
          partitions: delivering ? Array.from({ length: this.config.partitions }, (_, index) => index) : [],
          renewedAt: Date.now(),
        },
      ],
    };
  }

  /**
   * SQLite: delivery runs only in the process holding the delivery lock; a second process stands by.
   * PostgreSQL: the relay and the daily archive run only in the holder of the relay lease.
   */
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
    const { host, relay, archiveSchedule, ownership } = this;
    this.commands.listen();
    if (ownership !== null) {
      // Active-active: the host runs at once and steps only the customers of the partitions held.
      await host.start();
      await ownership.start();
    }
    // The relay runs in one process at a time, so the feed stays in order; the daily archive too
    // (the archive lock keeps a CLI run, and a run a paused ex-holder may still have open, apart).
    // With SQLite, delivery goes with them. The relay stops first: once its lease is lost, another
    // instance may be publishing already.
    const deliverer = {
      start: async () => {
        if (ownership === null) {
          await host.start();
        }
        await relay?.start();
        archiveSchedule?.start();
      },
      pause: async () => {
        await relay?.stop();
        await archiveSchedule?.stop();
        if (ownership === null) {
          await host.pause();
        }
      },
    };
    this.owner =
      this.relayLease === null
        ? new DeliveryOwner(sqliteDeliveryLock(this.config), deliverer, this.logger, 1_000, 'delivers')
        : // A free relay lease is looked for as often as it is renewed: taken within lease + lease/3.
          new DeliveryOwner(
            this.relayLease,
            deliverer,
            this.logger,
            this.config.leaseMs / 3,
            'runs the outbound feed and the daily archive',
            'relay lease',
          );
    await this.owner.start();
  }

  /**
   * Graceful stop: in-flight attempts are recorded before the connections close. Each step is
   * named to `progress`, so a stop that runs out of time (serve.ts) can say where it gave up.
   */
  async close(progress: StopProgress = new StopProgress()): Promise<void> {
    progress.step('handing the owned partitions over');
    await this.ownership?.stop(); // graceful: each partition's steps in flight are recorded, then released
    progress.step('stopping the command router');
    await this.commands.close();
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
    progress.step(this.relayLease === null ? 'releasing the delivery lock' : 'releasing the relay lease');
    await this.owner?.release(); // only now may another process take over: nothing is in flight here
    await this.relayLease?.close();
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
