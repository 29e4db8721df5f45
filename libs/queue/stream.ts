import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { QueueSettingsError } from './errors.js';
import { assertSupportedServer } from './server-version.js';
import { withReplicas } from './stream-replicas.js';
import { streamConfig, type ResolvedQueueSettings } from './settings.js';

const STREAM_NAME_IN_USE = 10058;

type WantedConfig = ReturnType<typeof streamConfig>;
const COMPARED = [
  'discard',
  'max_bytes',
  'max_msgs',
  'max_age',
  'max_msgs_per_subject',
  'max_msg_size',
  'duplicate_window',
  'num_replicas',
  'allow_direct',
] as const satisfies ReadonlyArray<keyof StreamConfig>;

async function infoOrNull(jsm: JetStreamManager, name: string): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) {
      return null;
    }
    throw err;
  }
}

function differs(current: StreamConfig, wanted: WantedConfig): boolean {
  const subjects = current.subjects ?? [];
  if (subjects.length !== wanted.subjects?.length || subjects.some((s, i) => s !== wanted.subjects?.[i])) {
    return true;
  }
  return COMPARED.some((key) => current[key] !== wanted[key]);
}

/** Lowering a limit below what the stream holds makes the server drop the oldest messages (nats-server#2589). */
function refuseShrinking(info: StreamInfo, wanted: WantedConfig): void {
  const { messages, bytes } = info.state;
  if (wanted.max_msgs !== undefined && wanted.max_msgs > 0 && messages > wanted.max_msgs) {
    throw new QueueSettingsError(
      `stream ${info.config.name} holds ${messages} messages, more than maxMessages ${wanted.max_msgs}: lowering it would drop undelivered messages`,
    );
  }
  if (wanted.max_bytes !== undefined && wanted.max_bytes > 0 && bytes > wanted.max_bytes) {
    throw new QueueSettingsError(
      `stream ${info.config.name} holds ${bytes} bytes, more than maxBytes ${wanted.max_bytes}: lowering it would drop undelivered messages`,
    );
  }
}

/**
 * Creates the queue stream, or brings an existing one to these settings (idempotent; several instances
 * may race), replicas included. Refuses a server older than MINIMUM_SERVER_VERSION, settings that would
 * lose messages (a limit below the current content, an existing stream with other storage or
 * retention), and a replica count the cluster cannot hold.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  serverVersion: string | undefined,
  settings: ResolvedQueueSettings,
): Promise<void> {
  assertSupportedServer(serverVersion);
  const wanted = streamConfig(settings);
  let info = await infoOrNull(jsm, wanted.name);
  if (info === null) {
    try {
      await withReplicas(wanted.name, settings.replicas, () => jsm.streams.add(wanted));
      return;
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === STREAM_NAME_IN_USE)) {
        throw err;
      }
      info = await jsm.streams.info(wanted.name); // another instance created it first
    }
  }
  if (info.config.storage !== wanted.storage || info.config.retention !== wanted.retention) {
    throw new QueueSettingsError(
      `stream ${wanted.name} exists with storage ${info.config.storage} and retention ${info.config.retention}; Hookpost needs ${wanted.storage} and ${wanted.retention} (these cannot be changed in place)`,
    );
  }
  if (differs(info.config, wanted)) {
    refuseShrinking(info, wanted);
    // A changed num_replicas moves the stream to that many copies (the servers copy it over).
    await withReplicas(wanted.name, settings.replicas, () =>
      jsm.streams.update(wanted.name, { ...info.config, ...wanted }),
    );
  }
}
