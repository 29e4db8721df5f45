import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { atExit } from '../support/owned-process.js';
import { until } from '../support/until.js';

/** The pids of live processes whose command line mentions `text` (the demo's temp dir names its nats-server's store). */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

interface RunningDemo {
  child: ChildProcess;
  stdout(): string;
  dataDir: string;
}

/** `hookpost demo` in a process group of its own (as a terminal's job is), up once it has printed its links. */
async function startDemo(): Promise<RunningDemo> {
  const child = spawn(process.execPath, ['dist/src/main.js', 'demo'], {
    env: {
      PATH: process.env.PATH ?? '',
      ...(process.env.NATS_SERVER_BIN === undefined ? {} : { NATS_SERVER_BIN: process.env.NATS_SERVER_BIN }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const cancelKill = atExit(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  child.once('exit', cancelKill);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await until(
    () => /all customers: /.test(stdout) || child.exitCode !== null,
    'the demo to print its links',
    30_000,
  );
  const dataDir = /data in (\S+)/.exec(stdout)?.[1];
  if (dataDir === undefined) {
    throw new Error(`the demo did not start:\n${stdout}\n${stderr}`);
  }
  return { child, stdout: () => stdout, dataDir };
}

describe('hookpost demo', () => {
  test('prints a status page link and the overview with its admin token, and both pages open', async () => {
    const demo = await startDemo();
    try {
      const link = /acme's status page: (\S+)/.exec(demo.stdout())?.[1];
      const overview = /all customers: (\S+) \(admin token (\S+)\)/.exec(demo.stdout());
      expect(link).toMatch(/\/ui\/customers\/acme\?token=/);
      expect(overview?.[1]).toMatch(/\/ui$/);
      const page = await fetch(link!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('acme');
      expect((await fetch(overview![1]!)).status).toBe(200);
      const status = await fetch(`${new URL(overview![1]!).origin}/v1/status`, {
        headers: { authorization: `Bearer ${overview![2]}` },
      });
      expect(status.status).toBe(200);
    } finally {
      demo.child.kill('SIGINT');
      await once(demo.child, 'exit');
    }
  }, 60_000);

  // The terminal closing sends SIGHUP to its whole process group: the embedded nats-server takes it
  // for a reload and lives on unless the demo stops it.
  test.each([
    ['SIGHUP to the process group (the terminal closed)', 'SIGHUP', true],
    ['SIGTERM to the demo', 'SIGTERM', false],
  ] as const)(
    '%s: no nats-server survives and the temp dir is gone',
    async (_name, signal, group) => {
      const demo = await startDemo();
      expect(existsSync(demo.dataDir)).toBe(true);
      expect(processesMentioning(demo.dataDir).length).toBeGreaterThan(0); // its nats-server, store in there
      const exited = once(demo.child, 'exit');
      process.kill(group ? -demo.child.pid! : demo.child.pid!, signal);
      const [code, bySignal] = (await exited) as [number | null, NodeJS.Signals | null];
      expect({ code, bySignal }).toEqual({ code: 0, bySignal: null });
      expect(demo.stdout()).toContain('demo stopped:');
      expect(processesMentioning(demo.dataDir)).toEqual([]);
      expect(existsSync(demo.dataDir)).toBe(false);
    },
    60_000,
  );
});
