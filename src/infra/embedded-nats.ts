import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { isSupportedServer, MINIMUM_SERVER_VERSION } from '../../libs/queue/index.js';
import { DEFAULT_NATS_URL, type AppConfig } from '../config/app-config.js';
import { writeEmbeddedConfig } from './embedded-nats-config.js';
import { modernNatsServer } from './nats-server-binary.js';

/** A NATS connection, and the embedded server we started for it (if we did). */
export interface NatsHandle {
  readonly connection: NatsConnection;
  readonly embedded: ChildProcess | null;
  /** The servers connected to: NATS_URL's, or the fallback address (see connectNats). */
  readonly servers: string[];
}

type NatsSettings = Pick<AppConfig, 'natsUrls' | 'natsFallbackUrl' | 'dataDir' | 'natsServerBin'>;

/**
 * Connects to the servers of NATS_URL (any of them; the client moves between them on reconnect).
 * When none answers, starts a modern nats-server with JetStream at the first address, from a config
 * written into the data dir, so `npm start` works on a fresh machine. With NATS_URL unset, an old
 * server at the default address (a distribution's package, started at boot) is left alone and
 * Hookpost uses, or starts, its own at the fallback address beside it; an old server named in
 * NATS_URL is refused when the queue opens.
 */
export async function connectNats(settings: NatsSettings, logger: Logger): Promise<NatsHandle> {
  const first = await connectOrStart(settings.natsUrls, settings, logger);
  const version = first.connection.info?.version;
  const fallback = settings.natsFallbackUrl;
  if (fallback === null || isSupportedServer(version)) {
    return first;
  }
  await first.connection.close();
  logger.warn(
    { found: version, at: settings.natsUrls.join(','), using: fallback },
    `nats-server ${version ?? '(version unknown)'} at the default address is older than ${MINIMUM_SERVER_VERSION}: NATS_URL is unset, so Hookpost uses its own at ${fallback} (set NATS_URL to choose)`,
  );
  return connectOrStart([fallback], settings, logger);
}

async function connectOrStart(urls: string[], settings: NatsSettings, logger: Logger): Promise<NatsHandle> {
  const options = { servers: urls, name: 'hookpost', noAsyncTraces: true, maxReconnectAttempts: -1 };
  try {
    return { connection: await connect({ ...options, timeout: 2_000 }), embedded: null, servers: urls };
  } catch (error) {
    const binary = await modernNatsServer(
      settings.natsServerBin,
      join(settings.dataDir, 'nats-server'),
      logger,
    );
    const url = new URL(urls[0] ?? DEFAULT_NATS_URL);
    const host = url.hostname || '127.0.0.1';
    const port = Number(url.port || '4222');
    const configFile = await writeEmbeddedConfig(settings.dataDir, host, port);
    logger.warn(
      { binary, configFile, port },
      'no NATS answered: starting an embedded nats-server with JetStream (sync_interval: always)',
    );
    const child = spawn(binary, ['-c', configFile], { stdio: 'ignore' });
    for (let tries = 0; tries < 50; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      try {
        return { connection: await connect({ ...options, timeout: 1_000 }), embedded: child, servers: urls };
      } catch {
        // not up yet
      }
    }
    child.kill('SIGTERM');
    throw new Error(`the embedded nats-server at ${url.host} did not come up`, { cause: error });
  }
}

/** How long an embedded nats-server gets to flush its store after SIGTERM before it is killed. */
const EMBEDDED_STOP_GRACE_MS = 5_000;

/**
 * Stops the embedded nats-server and resolves once it has exited, so the caller may remove its
 * store (the demo's temp dir) without the server writing into it meanwhile.
 */
export async function stopEmbedded(child: ChildProcess | null): Promise<void> {
  if (child === null || child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), EMBEDDED_STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
