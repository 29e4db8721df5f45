import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueState } from '../../libs/domain/index.js';

/** Where gauges read their values at scrape time. */
export interface MetricsSources {
  activeActors(): number;
  waitingActors(): number;
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
}

/** COUNT(*) over `events` walks the table: a scrape every few seconds reuses the last count for a minute. */
const STORED_EVENTS_MAX_AGE_MS = 60_000;

/**
 * Hookpost's Prometheus metrics. No per-customer label (cardinality), never a secret.
 * Counters and histograms are fed by the runtime and the entry points; gauges are read on scrape.
 */
export class Metrics {
  readonly registry = new Registry();
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
  readonly httpDuration = new Histogram({
    name: 'hookpost_http_request_duration_seconds',
    help: 'Admin API request duration',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  constructor(sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'hookpost_process_' });
    new Gauge({
      name: 'hookpost_actors',
      help: 'Customer actors in memory, and customers waiting on a timer',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      collect() {
        this.set({ kind: 'active' }, sources.activeActors());
        this.set({ kind: 'waiting' }, sources.waitingActors());
      },
    });
    new Gauge({
      name: 'hookpost_customers',
      help: 'Customers by queue state (from the status projection)',
      labelNames: ['queue'] as const,
      registers: [this.registry],
      async collect() {
        const counts = await sources.customersByQueue();
        for (const [queue, count] of Object.entries(counts)) {
          this.set({ queue }, count);
        }
      },
    });
    new Gauge({
      name: 'hookpost_queue_depth',
      help: 'Messages pending over all customers (from the status projection)',
      registers: [this.registry],
      async collect() {
        this.set(await sources.pendingMessages());
      },
    });
    new Gauge({
      name: 'hookpost_event_feed_lag',
      help: 'Events committed to the log and not yet published to <NS>_EVENTS (0 where no relay runs)',
      registers: [this.registry],
      async collect() {
        this.set((await sources.eventFeedLag()) ?? 0);
      },
    });
    new Gauge({
      name: 'hookpost_archived_events',
      help: 'Events moved out of the database into archive files (hookpost archive)',
      registers: [this.registry],
      async collect() {
        this.set(await sources.archivedEvents());
      },
    });
    new Gauge({
      name: 'hookpost_archive_files',
      help: 'Archive files listed in the manifest of HOOKPOST_ARCHIVE_DIR',
      registers: [this.registry],
      async collect() {
        this.set(await sources.archiveFiles());
      },
    });
    let counted = { value: 0, at: -Infinity };
    new Gauge({
      name: 'hookpost_event_log_events',
      help: 'Events stored in the database (counted at most once a minute)',
      registers: [this.registry],
      async collect() {
        if (Date.now() - counted.at >= STORED_EVENTS_MAX_AGE_MS) {
          counted = { value: await sources.storedEvents(), at: Date.now() };
        }
        this.set(counted.value);
      },
    });
  }
}
