import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminApi, type ApiReply } from '../../test/support/admin-api.js';
import { freePort } from '../../test/support/free-port.js';
import { nowMs, sleep } from './stats.js';

/** A Hookpost service process (`node dist/src/main.js serve`) the benchmark can start, kill and weigh. */
export interface HookpostProcess {
  readonly url: string;
  readonly namespace: string;
  readonly adminToken: string;
  readonly encryptionKey: string;
  /** Current child's pid (0 when not running). */
  pid(): number;
  /** Spawns the service; resolves once /health answers, with the spawn time (epoch ms). */
  start(): Promise<number>;
  /** SIGTERM and wait (graceful: in-flight attempts recorded, purges flushed). */
  stop(): Promise<void>;
  /** SIGKILL and wait. */
  kill9(): Promise<void>;
  /** Resident set size of the running process, in MiB (from /proc). */
  rssMiB(): number;
  /** Admin API call with the token; JSON in and out. */
  api(method: string, path: string, body?: unknown): Promise<ApiReply>;
  /** The last 64 KiB the process wrote. */
  logs(): string;
  /** Stops the process and removes its data dir. */
  close(): Promise<void>;
}

/** Where Hookpost finds NATS and PostgreSQL, plus any other environment (batching interval, backoff...). */
export interface HookpostOptions {
  natsUrl: string;
  databaseUrl: string;
  env?: Record<string, string>;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=...']. */
  nodeArgs?: string[];
}

const LOG_KEEP = Number(process.env.BENCH_LOG_KEEP ?? 65_536);

/** Prepares (does not start) a Hookpost process with bench settings: LOG_LEVEL=warn, private targets allowed. */
export async function hookpostProcess(options: HookpostOptions): Promise<HookpostProcess> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'hookpost-bench-'));
  const adminToken = `bench-admin-${port}`;
  const encryptionKey = Buffer.alloc(32, 7).toString('hex');
  const namespace = 'bench';
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  let child: ChildProcess | null = null;

  const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
  const end = async (signal: NodeJS.Signals) => {
    const running = child;
    child = null;
    if (running === null || exited(running)) {
      return;
    }
    const done = once(running, 'exit');
    running.kill(signal);
    await done;
  };

  return {
    url,
    namespace,
    adminToken,
    encryptionKey,
    pid: () => child?.pid ?? 0,
    async start() {
      const spawnedAt = nowMs();
      const started = spawn(process.execPath, [...(options.nodeArgs ?? []), 'dist/src/main.js', 'serve'], {
        env: {
          PATH: process.env.PATH ?? '',
          PORT: String(port),
          NATS_URL: options.natsUrl,
          DATABASE_URL: options.databaseUrl,
          HOOKPOST_DATA_DIR: dataDir,
          HOOKPOST_ADMIN_TOKEN: adminToken,
          HOOKPOST_ENCRYPTION_KEY: encryptionKey,
          HOOKPOST_NAMESPACE: namespace,
          HOOKPOST_ALLOW_PRIVATE_TARGETS: 'true',
          LOG_LEVEL: 'warn',
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-LOG_KEEP));
      started.stdout?.on('data', keep);
      started.stderr?.on('data', keep);
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        if (exited(started)) {
          throw new Error(`hookpost exited with ${started.exitCode}:\n${output}`);
        }
        const ok = await fetch(`${url}/health`).then(
          (res) => res.ok,
          () => false,
        );
        if (ok) {
          return spawnedAt;
        }
        await sleep(50);
      }
      throw new Error(`hookpost did not come up within 30 s:\n${output}`);
    },
    stop: () => end('SIGTERM'),
    kill9: () => end('SIGKILL'),
    rssMiB() {
      const pid = child?.pid;
      if (pid === undefined) {
        return NaN;
      }
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
      return kib / 1024;
    },
    api: adminApi(url, adminToken),
    logs: () => output,
    async close() {
      await end('SIGTERM');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
