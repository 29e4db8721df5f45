import {
  connect,
  RequestError,
  TimeoutError,
  type MsgHdrs,
  type NatsConnection,
} from '@nats-io/transport-node';
import { isSupportedServer } from '../../libs/queue/index.js';
import type { AppConfig } from '../config/app-config.js';
import { CliError } from './cli-error.js';

const REQUEST_TIMEOUT_MS = 5_000;

/** The `{ error }` reply of every pattern (docs/contract.md, "Errors"). */
interface ErrorReply {
  readonly error: { readonly code: string; readonly message: string };
}

/**
 * Talks to a running service over its NATS request/reply patterns (`<ns>.status`, `<ns>.retry`,
 * `<ns>.publish`) with plain JSON, as any NATS client can. NATS_URL and HOOKPOST_NAMESPACE are read
 * as the service reads them, so the same environment reaches the same service.
 */
export class AdminClient {
  private constructor(
    private readonly connection: NatsConnection,
    private readonly namespace: string,
  ) {}

  /**
   * Connects to the NATS the service uses; a CliError when nothing answers there. With NATS_URL
   * unset and an old server at the default address, that is the service's own at the fallback one.
   */
  static async connect(config: AppConfig): Promise<AdminClient> {
    const fallback = config.natsFallbackUrl;
    let servers = config.natsUrls;
    try {
      let connection = await connect({ servers, name: 'hookpost-cli', timeout: 2_000 });
      if (fallback !== null && !isSupportedServer(connection.info?.version)) {
        await connection.close();
        servers = [fallback];
        connection = await connect({ servers, name: 'hookpost-cli', timeout: 2_000 });
      }
      return new AdminClient(connection, config.namespace);
    } catch (error) {
      throw new CliError(`cannot reach NATS at ${servers.join(',')} (NATS_URL): ${String(error)}`);
    }
  }

  /** Sends `<ns>.<pattern>` and returns the reply; an `{ error }` reply becomes a CliError. */
  async request<T>(pattern: string, body: unknown, headers?: MsgHdrs): Promise<T> {
    const subject = `${this.namespace}.${pattern}`;
    let reply: unknown;
    try {
      const message = await this.connection.request(subject, JSON.stringify(body), {
        timeout: REQUEST_TIMEOUT_MS,
        ...(headers === undefined ? {} : { headers }),
      });
      reply = message.json();
    } catch (error) {
      throw new CliError(explain(error, subject, this.namespace));
    }
    if (isErrorReply(reply)) {
      throw new CliError(`${reply.error.code}: ${reply.error.message}`);
    }
    return reply as T;
  }

  /** Closes the connection (pending requests are answered first). */
  async close(): Promise<void> {
    await this.connection.drain().catch(() => undefined);
  }
}

/** Runs `work` with a connected client and always closes it. */
export async function withAdminClient<T>(
  config: AppConfig,
  work: (client: AdminClient) => Promise<T>,
): Promise<T> {
  const client = await AdminClient.connect(config);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

function explain(error: unknown, subject: string, namespace: string): string {
  if (error instanceof RequestError && error.isNoResponders()) {
    return `no Hookpost service answers on ${subject}: is it running with HOOKPOST_NAMESPACE=${namespace}?`;
  }
  if (
    error instanceof TimeoutError ||
    (error instanceof RequestError && error.cause instanceof TimeoutError)
  ) {
    return `no reply on ${subject} within ${REQUEST_TIMEOUT_MS / 1000} s`;
  }
  return `request on ${subject} failed: ${String(error)}`;
}

function isErrorReply(value: unknown): value is ErrorReply {
  return typeof value === 'object' && value !== null && 'error' in value && typeof value.error === 'object';
}
