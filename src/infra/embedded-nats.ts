import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { writeEmbeddedConfig } from './embedded-nats-config.js';
import { modernNatsServer } from './nats-server-binary.js';

/** A NATS connection, and the embedded server we started for it (if we did). */
export interface NatsHandle {
  readonly connection: NatsConnection;
  readonly embedded: ChildProcess | null;
}

type NatsSettings = Pick<AppConfig, 'natsUrls' | 'dataDir' | 'natsServerBin'>;

/**
 * Connects to the servers of NATS_URL (any of them; the client moves between them on reconnect).
 * When none answers, starts a modern nats-server with JetStream at the first address, from a config
 * written into the data dir, so `npm start` works on a fresh machine.
 */
export async function connectNats(settings: NatsSettings, logger: Logger): Promise<NatsHandle> {
  const { natsUrls: urls, dataDir } = settings;
  const options = { servers: urls, name: 'hookpost', noAsyncTraces: true, maxReconnectAttempts: -1 };
  try {
    return { connection: await connect({ ...options, timeout: 2_000 }), embedded: null };
  } catch (error) {
    const binary = await modernNatsServer(settings.natsServerBin, join(dataDir, 'nats-server'), logger);
    const url = new URL(urls[0] ?? 'nats://127.0.0.1:4222');
    const host = url.hostname || '127.0.0.1';
    const port = Number(url.port || '4222');
    const configFile = await writeEmbeddedConfig(dataDir, host, port);
    logger.warn(
      { binary, configFile, port },
      'no NATS answered: starting an embedded nats-server with JetStream (sync_interval: always)',
    );
    const child = spawn(binary, ['-c', configFile], { stdio: 'ignore' });
    for (let tries = 0; tries < 50; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      try {
        return { connection: await connect({ ...options, timeout: 1_000 }), embedded: child };
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
