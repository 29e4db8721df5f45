import { JetStreamApiError } from '@nats-io/jetstream';
import { QueueSettingsError } from './errors.js';

// JetStream API error codes (nats-server errors.json) for a replica count the servers cannot hold.
const REPLICAS_NOT_CLUSTERED = 10074; // "replicas > 1 not supported in non-clustered mode"
const INSUFFICIENT_RESOURCES = 10023; // fewer JetStream servers (or less storage) than the replicas need
const NO_SUITABLE_PEERS = 10005; // "no suitable peers for placement": fewer servers than replicas

/**
 * Runs a stream create or update that asks for `replicas` copies; when the servers refuse that count,
 * throws a QueueSettingsError naming the stream, the setting and the server's reason instead.
 */
export async function withReplicas<T>(
  stream: string,
  replicas: number,
  change: () => Promise<T>,
): Promise<T> {
  try {
    return await change();
  } catch (err) {
    const refused =
      err instanceof JetStreamApiError &&
      [REPLICAS_NOT_CLUSTERED, INSUFFICIENT_RESOURCES, NO_SUITABLE_PEERS].includes(err.code ?? 0);
    if (refused && replicas > 1) {
      throw new QueueSettingsError(
        `stream ${stream} cannot have ${replicas} replicas here (HOOKPOST_STREAM_REPLICAS): ${err.message}; it needs a cluster of at least ${replicas} JetStream servers`,
        { cause: err },
      );
    }
    throw err;
  }
}
