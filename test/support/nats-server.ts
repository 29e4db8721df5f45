import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { isSupportedServer, MINIMUM_SERVER_VERSION } from '../../libs/queue/index.js';
import { packageRoot } from '../../src/infra/package-root.js';
import { freePort } from './free-port.js';
import { atExit, spawnOwned, type OwnedProcess } from './owned-process.js';

/** A JetStream-enabled nats-server child process on 127.0.0.1, owned by one test file. */
export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>`; stays the same across kill() and restart(). */
  url: string;
  port: number;
  storeDir: string;
  /** SIGTERM, wait for exit, delete the store dir if this helper created it. The handle is finished after this. */
  stop(): Promise<void>;
  /** SIGKILL (a crash), wait for exit; the store dir is kept for restart(). */
  kill(): Promise<void>;
  /** Starts again on the same port and store dir (stopping gracefully first if running) and waits until ready. */
  restart(): Promise<void>;
  /** SIGSTOP: the server keeps its connections open and answers nothing (a hung server); kill() still ends it. */
  freeze(): void;
}

/** Where startNatsServer binds and stores; a free port and a fresh temp dir when left out. */
export interface NatsServerOptions {
  storeDir?: string;
  port?: number;
  /** Another binary than natsServerBin(), e.g. an old one to check that Hookpost refuses it. */
  bin?: string;
  /** `sync_interval: always`: every write on disk before its ack (default: the server's periodic sync). */
  syncAlways?: boolean;
}

const READY_TIMEOUT_MS = 10_000;

/** Deletes a temp dir, ignoring failures. */
export function removeQuietly(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // A just-killed server may still be closing files; a leftover temp dir is harmless.
  }
}

let resolvedBin: string | undefined;

/** The modern nats-server every suite runs: never the system's older one by accident. */
export function natsServerBin(): string {
  if (resolvedBin !== undefined) {
    return resolvedBin;
  }
  const fromEnv = process.env.NATS_SERVER_BIN;
  // scripts/modern-nats-server.sh picks the first binary new enough (fetching one into a cache when none is).
  const bin =
    fromEnv !== undefined && fromEnv !== ''
      ? fromEnv
      : execFileSync(join(packageRoot(), 'scripts', 'modern-nats-server.sh'), {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
        }).trim();
  const version = /v(\d+\.\d+\.\d+)/.exec(execFileSync(bin, ['--version'], { encoding: 'utf8' }))?.[1];
  if (!isSupportedServer(version)) {
    throw new Error(
      `${bin} is nats-server ${version ?? '(unknown)'}; the tests need ${MINIMUM_SERVER_VERSION} or newer (set NATS_SERVER_BIN)`,
    );
  }
  resolvedBin = bin;
  return bin;
}

function launch(port: number, storeDir: string, options: NatsServerOptions): OwnedProcess {
  const args = ['-a', '127.0.0.1', '-p', String(port)];
  if (options.syncAlways === true) {
    // No flag sets sync_interval, and -sd beside a config's store_dir is refused as a duplicate.
    const configFile = join(storeDir, 'nats-server.conf');
    writeFileSync(
      configFile,
      `jetstream { store_dir: ${JSON.stringify(storeDir)}, sync_interval: always }\n`,
    );
    args.push('-c', configFile);
  } else {
    args.push('-js', '-sd', storeDir);
  }
  return spawnOwned(options.bin ?? natsServerBin(), args);
}

// nats.js leaks its socket when a non-NATS listener never sends INFO, so look for the greeting ourselves first.
async function greetsLikeNats(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (chunk: Buffer) => done(chunk.toString('latin1').startsWith('INFO ')));
  });
}

/** Ready means a client connects and the JetStream API answers, not merely that the port is open. */
export async function waitReady(
  server: OwnedProcess,
  port: number,
  timeoutMs = READY_TIMEOUT_MS,
): Promise<void> {
  const url = `nats://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = 'no NATS greeting';
  while (Date.now() < deadline && !server.exited()) {
    try {
      if (await greetsLikeNats(port)) {
        const nc = await connect({ servers: url, timeout: 1_000, reconnect: false });
        try {
          await (await jetstreamManager(nc)).getAccountInfo();
          return;
        } finally {
          await nc.close();
        }
      }
    } catch (err) {
      lastError = err;
    }
    await sleep(50);
  }
  const { exitCode, signalCode } = server.child;
  const why = server.exited()
    ? `exited (code ${exitCode}, signal ${signalCode})`
    : `not ready after ${timeoutMs} ms (last error: ${String(lastError)})`;
  await server.terminate('SIGKILL');
  throw new Error(`nats-server on ${url} ${why}; stderr:\n${server.stderr()}`);
}

/** Starts nats-server with JetStream on a free port and a temp store, resolving once it accepts clients. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const ownsStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), 'hookpost-nats-')));
  const forgetStore = ownsStore ? atExit(() => removeQuietly(storeDir)) : () => undefined;
  const removeStore = async (): Promise<void> => {
    if (ownsStore) {
      forgetStore();
      await rm(storeDir, { recursive: true, force: true });
    }
  };
  let port = options.port ?? (await freePort());
  let current = launch(port, storeDir, options);
  for (let attempt = 1; ; attempt++) {
    try {
      await waitReady(current, port);
      break;
    } catch (err) {
      // Someone may grab a "free" port before nats-server binds it: pick another, unless the caller chose it.
      if (options.port === undefined && attempt < 3 && String(err).includes('address already in use')) {
        port = await freePort();
        current = launch(port, storeDir, options);
        continue;
      }
      await removeStore();
      throw err;
    }
  }
  let stopped = false;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    async stop() {
      stopped = true;
      await current.terminate('SIGTERM');
      await removeStore();
    },
    async kill() {
      await current.terminate('SIGKILL');
    },
    freeze() {
      current.child.kill('SIGSTOP');
    },
    async restart() {
      if (stopped) {
        throw new Error(`nats-server on port ${port} was stopped; start a new one instead`);
      }
      await current.terminate('SIGTERM');
      current = launch(port, storeDir, options);
      await waitReady(current, port);
    },
  };
}
