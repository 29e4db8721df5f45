import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminApi, type ApiReply } from './admin-api.js';
import { freePort } from './free-port.js';
import { atExit } from './owned-process.js';

/**
 * How long a started service may take to answer /health. It is up in about 1 s on a quiet
 * machine; on 2 busy cores Node's start alone was seen taking 19 s, so the wait is generous.
 */
const COME_UP_MS = 45_000;

/** A Hookpost service running as its own process from the build (`dist/`), as users run it. */
export interface ServiceProcess {
  readonly url: string;
  readonly adminToken: string;
  readonly namespace: string;
  /** Everything the process wrote to stdout and stderr, across restarts. */
  logs(): string;
  /** Calls the admin API with the admin token; JSON in and out. */
  api(method: string, path: string, body?: unknown): Promise<ApiReply>;
  /** A crash: SIGKILL, no shutdown. */
  kill9(): Promise<void>;
  /** SIGSTOP (`true`: a hung process, alive with its connections open, doing nothing) or SIGCONT. */
  freeze(frozen: boolean): void;
  /** Graceful stop (SIGTERM). */
  stop(): Promise<void>;
  /**
   * SIGTERM, then waits up to `waitMs` for the exit: its code and how long it took, or `hung`
   * (the process is then SIGKILLed).
   */
  terminate(waitMs: number): Promise<{ code: number | null; ms: number } | 'hung'>;
  /** Starts the process again with the same settings and data dir. */
  restart(): Promise<void>;
  /** The running process's id (null while it is down). */
  readonly pid: number | null;
  /** SIGSTOP: the process is frozen (its sockets stay open), as a long GC pause or a suspended VM. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
}

const liveChildren = new Set<ChildProcess>();
// Jest's per-file `process` never emits 'exit': atExit registers on the real one.
atExit(() => liveChildren.forEach((child) => child.kill('SIGKILL')));

/** How to launch the process: `wrap` turns the node command line into another (e.g. `unshare ... node ...`). */
export interface ServiceOptions {
  wrap?: (command: string, args: string[]) => [string, string[]];
}

/** Starts `node dist/src/main.js serve` with test settings plus `env`; waits until /health answers. */
export async function startService(
  env: Record<string, string>,
  options: ServiceOptions = {},
): Promise<ServiceProcess> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'hookpost-svc-'));
  const adminToken = `test-admin-${port}`;
  const namespace = env.HOOKPOST_NAMESPACE ?? `t${port}`;
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  let child: ChildProcess | null = null;

  const launch = async () => {
    const [command, args] = (options.wrap ?? ((c, a) => [c, a]))(process.execPath, [
      'dist/src/main.js',
      'serve',
    ]);
    child = spawn(command, args, {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        HOOKPOST_DATA_DIR: dataDir,
        HOOKPOST_ADMIN_TOKEN: adminToken,
        HOOKPOST_NAMESPACE: namespace,
        HOOKPOST_ALLOW_PRIVATE_TARGETS: 'true',
        LOG_LEVEL: 'debug',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    liveChildren.add(child);
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const started = Date.now();
    while (Date.now() - started < COME_UP_MS) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`hookpost exited with ${child.exitCode}:\n${output}`);
      }
      const ok = await fetch(`${url}/health`).then(
        (res) => res.ok,
        () => false,
      );
      if (ok) {
        return;
      }
      await sleep(100);
    }
    // Kill it: a process left running would outlive the test file (Jest's workers emit no 'exit').
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    liveChildren.delete(child);
    throw new Error(`hookpost did not come up within ${COME_UP_MS / 1000} s:\n${output}`);
  };

  const end = async (signal: NodeJS.Signals) => {
    const running = child;
    if (running === null || running.exitCode !== null || running.signalCode !== null) {
      return;
    }
    const exited = once(running, 'exit');
    running.kill(signal);
    await exited;
    liveChildren.delete(running);
    child = null;
  };

  const signal = (name: NodeJS.Signals): void => {
    const running = child;
    if (running === null || running.exitCode !== null || running.signalCode !== null) {
      throw new Error(`hookpost is not running (${name})`);
    }
    running.kill(name);
  };

  await launch();
  return {
    url,
    adminToken,
    namespace,
    logs: () => output,
    api: adminApi(url, adminToken),
    kill9: () => end('SIGKILL'),
    freeze: (frozen) => void child?.kill(frozen ? 'SIGSTOP' : 'SIGCONT'),
    async terminate(waitMs) {
      const running = child;
      if (running === null || running.exitCode !== null || running.signalCode !== null) {
        throw new Error('hookpost is not running');
      }
      const started = Date.now();
      const exited = once(running, 'exit').then(() => ({ code: running.exitCode, ms: Date.now() - started }));
      running.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), waitMs)));
      const outcome = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (outcome === 'hung') {
        await end('SIGKILL');
      }
      liveChildren.delete(running);
      child = null;
      return outcome;
    },
    async stop() {
      await end('SIGTERM');
      await rm(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await end('SIGTERM');
      await launch();
    },
    get pid() {
      const running = child;
      return running?.pid ?? null;
    },
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
  };
}
