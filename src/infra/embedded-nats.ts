import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

/** A NATS connection, and the embedded server we started for it (if we did). */
export interface NatsHandle {
  readonly connection: NatsConnection;
  readonly embedded: ChildProcess | null;
}

/**
 * Connects to NATS_URL. When nothing answers and a nats-server binary is on the PATH, starts one
 * with JetStream under the data dir, so `npm start` works on a fresh machine.
 */
export async function connectNats(urls: string[], dataDir: string, logger: Logger): Promise<NatsHandle> {
  const options = { servers: urls, name: 'hookpost', noAsyncTraces: true, maxReconnectAttempts: -1 };
  try {
    return { connection: await connect({ ...options, timeout: 2_000 }), embedded: null };
  } catch (error) {
    const binary = findNatsServer();
    if (binary === null) {
      throw new Error(
        `NATS at ${urls.join(',')} did not answer (${String(error)}) and no nats-server binary is on the PATH`,
        { cause: error },
      );
    }
    const url = new URL(urls[0] ?? 'nats://127.0.0.1:4222');
    const storeDir = join(dataDir, 'nats');
    await mkdir(storeDir, { recursive: true });
    logger.warn(
      { binary, storeDir, port: url.port || '4222' },
      'no NATS answered: starting an embedded nats-server with JetStream',
    );
    const child = spawn(
      binary,
      ['-js', '-sd', storeDir, '-a', url.hostname || '127.0.0.1', '-p', url.port || '4222'],
      {
        stdio: 'ignore',
      },
    );
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

function findNatsServer(): string | null {
  for (const candidate of [process.env.NATS_SERVER_BIN, 'nats-server', '/usr/sbin/nats-server'].filter(
    Boolean,
  )) {
    const found = spawnSync(candidate!, ['--version'], { stdio: 'ignore' });
    if (found.status === 0) {
      return candidate!;
    }
  }
  return null;
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
