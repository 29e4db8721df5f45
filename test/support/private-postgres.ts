import { execFile, spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.js';
import { atExit } from './owned-process.js';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of our own (initdb in a temp dir, its own port and socket dir), for tests
 * that stop and start the server: the machine's shared PostgreSQL must never be stopped.
 */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`; stays the same across stop() and start(). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server: `fast` rolls back open transactions and closes sessions; `immediate` is a crash. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port and data dir; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Whether the server answers a query right now. */
  isUp(): Promise<boolean>;
  /** Stops the server (immediate) and deletes the data dir. The handle is finished after this. */
  destroy(): Promise<void>;
}

/** The newest installed PostgreSQL's bin dir (env HOOKPOST_TEST_PG_BIN overrides). */
export function postgresBinDir(): string {
  const fromEnv = process.env.HOOKPOST_TEST_PG_BIN;
  if (fromEnv !== undefined && fromEnv !== '') {
    return fromEnv;
  }
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  const newest = versions[0];
  if (newest === undefined) {
    throw new Error('no PostgreSQL under /usr/lib/postgresql; set HOOKPOST_TEST_PG_BIN');
  }
  return `/usr/lib/postgresql/${newest}/bin`;
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** initdb and pg_ctl refuse to run as root: run them as the `postgres` OS user then. */
async function pgTool(tool: string, args: readonly string[]): Promise<string> {
  const binary = join(postgresBinDir(), tool);
  const [command, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', binary, ...args]]
    : [binary, [...args]];
  try {
    const { stdout } = await run(command, argv, { timeout: 60_000 });
    return stdout;
  } catch (err) {
    const { stderr = '', stdout = '' } = err as { stderr?: string; stdout?: string };
    throw new Error(`${tool} ${args.join(' ')} failed: ${String(err)}\n${stdout}${stderr}`, { cause: err });
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** initdb (trust auth, no fsync: a test cluster) on a free port, started and ready. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hookpost-pg-'));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dataDir, Number(stdout.trim()), Number(gid.trim()));
  }
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let running = false;
  const forget = atExit(() => {
    // Last resort when the test process exits with the server still up (pg_ctl daemonised it).
    if (running) {
      const pgCtl = join(postgresBinDir(), 'pg_ctl');
      const argv = ['-D', dataDir, 'stop', '-m', 'immediate'];
      spawnSync(asRoot ? 'runuser' : pgCtl, asRoot ? ['-u', 'postgres', '--', pgCtl, ...argv] : argv, {
        timeout: 10_000,
      });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
  await pgTool('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);

  const start = async (): Promise<void> => {
    const options = `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
    await pgTool('pg_ctl', ['-D', dataDir, '-o', options, '-l', join(dataDir, 'server.log'), '-w', 'start']);
    running = true;
    const deadline = Date.now() + 15_000;
    while (!(await answers(url))) {
      if (Date.now() > deadline) {
        throw new Error(`private PostgreSQL on ${port} started but does not answer`);
      }
      await sleep(100);
    }
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast'): Promise<void> => {
    await pgTool('pg_ctl', ['-D', dataDir, '-m', mode, '-w', 'stop']);
    running = false;
  };

  await start();
  return {
    url,
    port,
    dataDir,
    stop,
    start,
    isUp: () => answers(url),
    async destroy() {
      if (running) {
        await stop('immediate');
      }
      forget();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
