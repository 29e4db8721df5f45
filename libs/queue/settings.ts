import { DiscardPolicy, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { isNamespace, NAMESPACE_PATTERN, streamNameFor } from '../domain/index.js';

/** How the queue stream is named and limited; one namespace per deployment (HOOKPOST_NAMESPACE). */
export interface QueueSettings {
  /** Prefix of the stream's subjects, e.g. 'hookpost': subjects `${namespace}.queue.*`. */
  namespace: string;
  /** Stream max_bytes (-1 = unlimited, the default): with discard new, a full stream refuses publishes. */
  maxBytes?: number;
  /** Stream max_msgs (-1 = unlimited, the default): an exact cap with discard new. */
  maxMessages?: number;
  /** Stream max_msg_size, payload and headers; default 256 KiB (a message's limit) plus 8 KiB for headers. */
  maxMessageBytes?: number;
  /** Window in which a repeated Nats-Msg-Id is a duplicate; default 2 minutes. */
  duplicateWindowMs?: number;
  /** Stream replicas (HOOKPOST_STREAM_REPLICAS); default 1 (3 in a production cluster). */
  replicas?: number;
}

export type ResolvedQueueSettings = Required<QueueSettings>;

/** Default stream max_msg_size: the 256 KiB limit of a message plus room for headers. */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 + 8 * 1024;

export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

/** The stream holding every customer's queue, e.g. HOOKPOST_QUEUE. */
export const streamName = (ns: string): string => streamNameFor(ns, 'QUEUE');

/** The subject of one customer's queue; the customerId is one subject token. */
export const queueSubject = (ns: string, customerId: string): string => `${ns}.queue.${customerId}`;

/** The prefix that queueSubject puts before the customerId. */
export const queueSubjectPrefix = (ns: string): string => `${ns}.queue.`;

/** Fills in defaults and rejects values that would make a broken stream. */
export function resolveSettings(settings: QueueSettings): ResolvedQueueSettings {
  if (!isNamespace(settings.namespace)) {
    throw new Error(`queue namespace must match ${NAMESPACE_PATTERN.source}, got '${settings.namespace}'`);
  }
  const resolved: ResolvedQueueSettings = {
    namespace: settings.namespace,
    maxBytes: settings.maxBytes ?? -1,
    maxMessages: settings.maxMessages ?? -1,
    maxMessageBytes: settings.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    duplicateWindowMs: settings.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS,
    replicas: settings.replicas ?? 1,
  };
  for (const key of ['maxBytes', 'maxMessages'] as const) {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value === 0 || value < -1) {
      throw new Error(`queue ${key} must be -1 (unlimited) or a positive integer, got ${value}`);
    }
  }
  for (const key of ['maxMessageBytes', 'duplicateWindowMs', 'replicas'] as const) {
    if (!Number.isSafeInteger(resolved[key]) || resolved[key] < 1) {
      throw new Error(`queue ${key} must be a positive integer, got ${resolved[key]}`);
    }
  }
  return resolved;
}

/**
 * The stream configuration Hookpost needs. Limits retention with the cursor kept by the caller and
 * subject purges, not workqueue: a workqueue stream refuses the ordered consumer the feed
 * uses, and would need one durable consumer per active customer and no overlapping feed.
 * max_age and max_msgs_per_subject are pinned so an edited stream cannot expire undelivered messages.
 */
export function streamConfig(settings: ResolvedQueueSettings): Partial<StreamConfig> & { name: string } {
  return {
    name: streamName(settings.namespace),
    subjects: [`${queueSubjectPrefix(settings.namespace)}*`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.New,
    max_bytes: settings.maxBytes,
    max_msgs: settings.maxMessages,
    max_age: 0,
    max_msgs_per_subject: -1,
    max_msg_size: settings.maxMessageBytes,
    duplicate_window: settings.duplicateWindowMs * 1_000_000,
    num_replicas: settings.replicas,
    // Reads are batch direct gets (reader.ts); any replica may answer them.
    allow_direct: true,
  };
}
