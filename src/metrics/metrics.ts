import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueState } from '../../libs/domain/index.js';
import type { BacklogFigures } from './backlog-scan.js';

/** Where gauges read their values at scrape time. */
export interface MetricsSources {
  activeActors(): number;
  waitingActors(): number;
  /** Actors whose steps keep failing (StepFailure). */
  failingActors(): number;
  customersByQueue(): Promise<Record<QueueState, number>>;
  pendingMessages(): Promise<number>;
  /** Events committed and not yet in the outbound feed; null where no relay runs (standby, feed off). */
  eventFeedLag(): Promise<number | null>;
  /** Events moved into the archive over all runs (from the database). */
  archivedEvents(): Promise<number>;
  /** Files listed in the archive's manifest. */
  archiveFiles(): Promise<number>;
  /** Events stored in the database (a COUNT: read at most once a minute). */
  storedEvents(): Promise<number>;
  /** The oldest pending message and the open stall alerts, over all customers. */
  backlog(): Promise<BacklogFigures>;
  /** True while this instance's NATS connection and database answer. */
  ready(): Promise<boolean>;
  /** True in the instance that holds the delivery lock. */
  delivering(): boolean;
  /** Partitions whose leases this instance holds (active-active); null with the SQLite log. */
  ownedPartitions(): number | null;
}

/**
 * Sets a gauge from a source that reads NATS or the database. When that fails the gauge keeps its
 * last value and the scrape goes on, so /metrics still answers (with `hookpost_ready` 0) while a
 * dependency is down.
 */
async function setFrom<T>(read: () => Promise<T>, set: (value: T) => void): Promise<void> {
  let value: T;
  try {
    value = await read();
  } catch {
    return;
  }
  set(value);
}

/** COUNT(*) over `events` walks the table: a scrape every few seconds reuses the last count for a minute. */
const STORED_EVENTS_MAX_AGE_MS = 60_000;

/**
 * Hookpost's Prometheus metrics. No per-customer label (cardinality), never a secret.
 * Counters and histograms are fed by the runtime and the entry points; gauges are read on scrape.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly leaseRenewals = new Counter({
    name: 'hookpost_lease_renewals_total',
    help: 'Partition lease renewal turns by outcome (ok, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly handovers = new Counter({
    name: 'hookpost_partition_handovers_total',
    help: 'Partitions acquired, released (gracefully) and lost (lease run out or taken) by this instance',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: 'hookpost_deliveries_total',
    help: 'Delivery attempts by outcome',
    labelNames: ['outcome', 'mode'] as const,
    registers: [this.registry],
  });
  readonly deliveredMessages = new Counter({
    name: 'hookpost_delivered_messages_total',
    help: 'Messages delivered with success (a batch counts each message)',
    registers: [this.registry],
  });
  readonly deliveryDuration = new Histogram({
    name: 'hookpost_delivery_duration_seconds',
    help: 'Time from sending a request to its outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly published = new Counter({
    name: 'hookpost_messages_published_total',
    help: 'Messages accepted into customer queues, by entry point',
    labelNames: ['via'] as const,
    registers: [this.registry],
  });
  readonly eventsRelayed = new Counter({
    name: 'hookpost_events_relayed_total',
    help: 'Events of the log published to the outbound <NS>_EVENTS stream',
    registers: [this.registry],
  });
  readonly appendDuration = new Histogram({
    name: 'hookpost_event_append_duration_seconds',
    help: 'Time to commit an append to the event log (group commit included)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly stepFailures = new Counter({
    name: 'hookpost_step_failures_total',
    help: 'Customer steps that threw before an outcome was recorded (tried again after a pause)',
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'hookpost_http_request_duration_seconds',
    help: 'Admin API request duration',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  /**
   * `instanceId` (HOOKPOST_INSTANCE_ID) is the `instance_id` label of every series, so the series of
   * the instances sharing a namespace stay apart whatever Prometheus calls its scrape targets.
   */
  constructor(sources: MetricsSources, instanceId: string) {
    this.registry.setDefaultLabels({ instance_id: instanceId });
    collectDefaultMetrics({ register: this.registry, prefix: 'hookpost_process_' });
    new Gauge({
      name: 'hookpost_actors',
      help: 'Customer actors in memory, customers waiting on a timer, and actors whose steps keep failing',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      collect() {
        this.set({ kind: 'active' }, sources.activeActors());
        this.set({ kind: 'waiting' }, sources.waitingActors());
        this.set({ kind: 'failing' }, sources.failingActors());
      },
    });
    new Gauge({
      name: 'hookpost_customers',
      help: 'Customers by queue state (from the status projection)',
      labelNames: ['queue'] as const,
      registers: [this.registry],
      async collect() {
        await setFrom(
          () => sources.customersByQueue(),
          (counts) => {
            for (const [queue, count] of Object.entries(counts)) {
              this.set({ queue }, count);
            }
          },
        );
      },
    });
    new Gauge({
      name: 'hookpost_queue_depth',
      help: 'Messages pending over all customers (from the status projection)',
      registers: [this.registry],
      async collect() {
        await setFrom(
          () => sources.pendingMessages(),
          (pending) => this.set(pending),
        );
      },
    });
    new Gauge({
      name: 'hookpost_event_feed_lag',
      help: 'Events committed to the log and not yet published to <NS>_EVENTS (0 where no relay runs)',
      registers: [this.registry],
      async collect() {
        await setFrom(
          () => sources.eventFeedLag(),
          (lag) => this.set(lag ?? 0),
        );
      },
    });
    new Gauge({
      name: 'hookpost_oldest_pending_age_seconds',
      help: 'Age of the oldest pending message over all customers (0 when none is pending)',
      registers: [this.registry],
      async collect() {
        await setFrom(
          () => sources.backlog(),
          ({ oldestPendingAt }) =>
            this.set(oldestPendingAt === null ? 0 : Math.max(0, (Date.now() - oldestPendingAt) / 1000)),
        );
      },
    });
    new Gauge({
      name: 'hookpost_customers_stall_alerted',
      help: 'Customers whose head has failed for HOOKPOST_STALL_ALERT_MS (an open QueueStalled)',
      registers: [this.registry],
      async collect() {
        await setFrom(
          () => sources.backlog(),
          ({ stallAlerted }) => this.set(stallAlerted),
        );
      },
    });
    new Gauge({
      name: 'hookpost_ready',
      help: "1 while this instance's NATS connection and database answer, else 0",
      registers: [this.registry],
      async collect() {
        this.set((await sources.ready().catch(() => false)) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'hookpost_owned_partitions',
      help: 'Partitions whose leases this instance holds (PostgreSQL log; absent with SQLite)',
      registers: [this.registry],
      collect() {
        const owned = sources.ownedPartitions();
        if (owned !== null) {
          this.set(owned);
        }
      },
    });
    new Gauge({
      name: 'hookpost_delivering',
      help: '1 in the instance that holds the delivery lock (SQLite: it delivers; PostgreSQL: it runs the outbound feed and the archive), else 0',
      registers: [this.registry],
      collect() {
        this.set(sources.delivering() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'hookpost_archived_events',
      help: 'Events moved out of the database into archive files (hookpost archive)',
      registers: [this.registry],
      async collect() {
        await setFrom(
          () => sources.archivedEvents(),
          (events) => this.set(events),
        );
      },
    });
    new Gauge({
      name: 'hookpost_archive_files',
      help: 'Archive files listed in the manifest of HOOKPOST_ARCHIVE_DIR',
      registers: [this.registry],
      async collect() {
        await setFrom(
          () => sources.archiveFiles(),
          (files) => this.set(files),
        );
      },
    });
    let counted = { value: 0, at: -Infinity };
    new Gauge({
      name: 'hookpost_event_log_events',
      help: 'Events stored in the database (counted at most once a minute)',
      registers: [this.registry],
      async collect() {
        if (Date.now() - counted.at >= STORED_EVENTS_MAX_AGE_MS) {
          await setFrom(
            () => sources.storedEvents(),
            (value) => (counted = { value, at: Date.now() }),
          );
        }
        this.set(counted.value);
      },
    });
  }
}
