import {
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { streamNameFor } from '../domain/index.js';
import { withReplicas } from '../queue/index.js';

const STREAM_NAME_IN_USE = 10058;
const SUBJECTS_OVERLAP = 10065;
const NANOS_PER_MS = 1_000_000;
const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

/** Headers every outbound event carries, so a relay can tell where it left off, and for which log. */
export const POSITION_HEADER = 'Hookpost-Position';
export const LOG_HEADER = 'Hookpost-Log';
/** JetStream's de-duplication header (what the `msgID` publish option sets). */
export const MSG_ID_HEADER = 'Nats-Msg-Id';

/** `<NAMESPACE>_EVENTS`, beside the queue stream `<NAMESPACE>_QUEUE`. */
export function eventsStreamName(namespace: string): string {
  return streamNameFor(namespace, 'EVENTS');
}

/** The outbound stream's configuration: limits retention, the oldest events leave after `retentionMs`. */
export function eventsStreamConfig(
  namespace: string,
  retentionMs: number,
  replicas = 1,
): Partial<StreamConfig> & { name: string } {
  return {
    name: eventsStreamName(namespace),
    subjects: [`${namespace}.events.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    // Old events make room: the feed is a window onto the log, which keeps everything.
    discard: DiscardPolicy.Old,
    max_age: retentionMs * NANOS_PER_MS,
    duplicate_window: Math.min(DEFAULT_DUPLICATE_WINDOW_MS, retentionMs) * NANOS_PER_MS,
    // The relay publishes each page as one batch (2.12+): a few disk syncs per batch, not one per event.
    allow_atomic: true,
    num_replicas: replicas,
  };
}

/**
 * Creates the stream, or brings an existing one to this configuration, replicas included (several
 * instances may race); a replica count the cluster cannot hold is a QueueSettingsError.
 */
export async function ensureEventsStream(
  jsm: JetStreamManager,
  namespace: string,
  retentionMs: number,
  replicas = 1,
): Promise<string> {
  const config = eventsStreamConfig(namespace, retentionMs, replicas);
  try {
    // The same configuration again is accepted as is.
    await withReplicas(config.name, replicas, () => jsm.streams.add(config));
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === SUBJECTS_OVERLAP) {
      // Up to 0.1.0 a namespace with '-' named this stream with '_' (`my-ns` -> MY_NS_EVENTS).
      throw new Error(
        `the subjects ${namespace}.events.> belong to another stream than ${config.name} ` +
          `(${namespace.toUpperCase().replace(/-/g, '_')}_EVENTS in older versions): delete or rename that stream`,
        { cause: error },
      );
    }
    if (!(error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE)) {
      throw error;
    }
    const { config: current } = await jsm.streams.info(config.name);
    await withReplicas(config.name, replicas, () =>
      jsm.streams.update(config.name, { ...current, ...config }),
    );
  }
  return config.name;
}

/** The stream's last message as it claims to be: an event of this log at `position`. */
export interface ClaimedEvent {
  readonly position: number;
  readonly subject: string;
  readonly data: Uint8Array;
}

/**
 * The stream's last message when that says it is an event of this log (its
 * headers: anyone allowed to publish on the subjects can copy them, so the relay checks the claim
 * against the log before resuming after it). Null when the stream holds none of ours.
 */
export async function lastPublishedEvent(
  jsm: JetStreamManager,
  stream: string,
  logId: string,
): Promise<ClaimedEvent | null> {
  const { state } = await jsm.streams.info(stream);
  if (state.messages === 0) {
    return null;
  }
  const last = await jsm.streams.getMessage(stream, { seq: state.last_seq }).catch(() => null);
  if (last === null || last.header.get(LOG_HEADER) !== logId) {
    return null;
  }
  const position = Number(last.header.get(POSITION_HEADER));
  return Number.isSafeInteger(position) && position > 0
    ? { position, subject: last.subject, data: last.data }
    : null;
}
