/**
 * What the runtime needs from the queue, the event store and the sender. The real JetStreamQueue,
 * EventStore and HttpSender satisfy these structurally; the runtime never names a driver.
 */
import type { DeliveryRequest, DeliveryResult } from '../delivery/index.js';
import type {
  CustomerQueueEvent,
  CustomerQueueState,
  EndpointSecrets,
  Fence,
  Projection,
  QueuedMessage,
  QueueState,
} from '../domain/index.js';

export interface QueuePort {
  /** Ids > afterId in order, at most max, and how many more the stream held behind the last one. */
  readPage(
    customerId: string,
    afterId: number,
    max: number,
  ): Promise<{ messages: readonly QueuedMessage[]; remaining: number }>;
  pendingCount(customerId: string, afterId: number): Promise<number>;
  /** Everything <= throughId is delivered or skipped: the queue removes it in the background. */
  release(customerId: string, throughId: number): void;
  flush(customerId?: string): Promise<void>;
}

/** A running feed: where it got to, and how it ended (an Error when it failed). */
export interface Feed {
  readonly lastSeq: number;
  readonly done: Promise<Error | undefined>;
  stop(): Promise<void>;
}

/** The queue's extra powers the host needs: the feed of new messages and discovery at start. */
export interface FeedSource {
  /** `accepts` passes over the messages of customers this process does not want, without decoding them. */
  feed(
    from: number | 'new',
    onMessage: (message: QueuedMessage) => void,
    accepts?: (customerId: string) => boolean,
  ): Promise<Feed>;
  /** The customers with messages in the stream (counts include delivered ones not yet removed). */
  stored(): Promise<{ customers: Map<string, number> }>;
  /** These customers (with stored()'s counts) are about to read their queues: the queue may read its backlog once for them. */
  scanBacklog?(customers: ReadonlyMap<string, number>): void;
}

export interface SnapshotPort {
  version: number;
  state: CustomerQueueState;
  pending: number;
}

export interface StorePort {
  load(customerId: string): Promise<SnapshotPort | null>;
  /** The snapshot and the secrets (null without any) in one look-up; null when there is no snapshot. */
  loadWithSecret(
    customerId: string,
  ): Promise<{ snapshot: SnapshotPort; secrets: EndpointSecrets | null } | null>;
  append(
    customerId: string,
    expectedVersion: number,
    events: readonly CustomerQueueEvent[],
    projection: Projection,
    options?: { secrets?: EndpointSecrets; fence?: Fence },
  ): Promise<{ version: number }>;
  getSecrets(customerId: string): Promise<EndpointSecrets | null>;
  updatePending(
    customerId: string,
    pending: number,
    queue: QueueState,
    oldestPendingAt?: number | null,
  ): Promise<void>;
}

/** Sends one request; failures come back as values (libs/delivery's HttpSender). */
export interface SenderPort {
  send(request: DeliveryRequest): Promise<DeliveryResult>;
}

/** The few log calls the runtime makes (pino's shape). */
export interface RuntimeLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Optional hooks for metrics: told about every attempt and every append. */
export interface RuntimeObserver {
  attempted(outcome: { ok: boolean; batching: boolean; count: number; durationMs: number }): void;
  appended(durationMs: number): void;
  /** A step threw (before any outcome was recorded); it will be tried again. */
  stepFailed?(): void;
}

/**
 * Which customers this instance owns (libs/ownership with several instances). The runtime asks it
 * and keeps no cluster logic of its own; without one, the instance owns every customer.
 */
export interface OwnershipPort {
  /** Whether a step or a request for the customer may start now (its lease held, valid, not being handed over). */
  mayStart(customerId: string): boolean;
  /** The fence every append for the customer carries; null when this instance does not hold its lease. */
  fence(customerId: string): Fence | null;
}
