import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArchiveReader } from '../../libs/archive/index.js';
import { configured, failed, succeeded, T0 } from '../../libs/domain/spec-support.js';
import type { CustomerQueueEvent } from '../../libs/domain/index.js';
import { EventStore } from '../../libs/event-store/index.js';
import { projectionAfter } from '../../libs/event-store/store-spec-support.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { runCli } from '../support/run-cli.js';

const KEY = randomBytes(32);
const CUSTOMERS = 6;
const PER_CUSTOMER = 40;
const TOTAL = CUSTOMERS * PER_CUSTOMER;
const CUTOFF = T0 + 30 * 60_000; // 30 of the 40 minutes: 180 events go

/** One customer's events, one a minute from T0: configured, then a failure and two successes per round. */
function history(): CustomerQueueEvent[] {
  const events: CustomerQueueEvent[] = [configured({}, T0)];
  for (let id = 1; events.length < PER_CUSTOMER; id += 1) {
    const at = (offset: number) => T0 + (events.length + offset) * 60_000;
    events.push(failed(id, id, 1, at(0)));
    if (events.length < PER_CUSTOMER) events.push(succeeded(id, id, at(0)));
  }
  return events;
}

/** The log written through the store, customers interleaved minute by minute. */
async function writeLog(store: EventStore) {
  const events = history();
  for (let index = 0; index < PER_CUSTOMER; index += 1) {
    for (let c = 0; c < CUSTOMERS; c += 1) {
      const customerId = `c${c}`;
      const before = await store.load(customerId);
      const event = events[index]!;
      await store.append(
        customerId,
        before?.version ?? 0,
        [event],
        projectionAfter([event], 0, before?.state),
      );
    }
  }
}

const backends: Array<
  [
    string,
    () => Promise<{
      env: Record<string, string>;
      open: () => Promise<EventStore>;
      drop: () => Promise<void>;
    }>,
  ]
> = [
  [
    'sqlite',
    () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'hookpost-archive-crash-'));
      const sqlitePath = join(dataDir, 'hookpost.sqlite');
      return Promise.resolve({
        env: { HOOKPOST_DATA_DIR: dataDir },
        open: () => EventStore.open({ sqlitePath, encryptionKey: KEY }),
        drop: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })),
      });
    },
  ],
  [
    'postgres',
    async () => {
      const db: TestDatabase = await createTestDatabase();
      const dataDir = mkdtempSync(join(tmpdir(), 'hookpost-archive-crash-'));
      return {
        env: { DATABASE_URL: db.url, HOOKPOST_DATA_DIR: dataDir },
        open: () => EventStore.open({ databaseUrl: db.url, encryptionKey: KEY }),
        drop: async () => {
          rmSync(dataDir, { recursive: true, force: true });
          await db.drop();
        },
      };
    },
  ],
];

describe.each(backends)('hookpost archive on %s', (_name, createBackend) => {
  let backend: Awaited<ReturnType<(typeof backends)[number][1]>>;
  let archiveDir: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    backend = await createBackend();
    archiveDir = mkdtempSync(join(tmpdir(), 'hookpost-archive-dir-'));
    // No outbound feed in this world: nothing to wait for (with the feed on, see the service test).
    env = { ...backend.env, HOOKPOST_ARCHIVE_DIR: archiveDir, HOOKPOST_EVENTS_FEED: 'false' };
    const store = await backend.open();
    await writeLog(store);
    await store.close();
  });

  afterEach(async () => {
    await backend.drop();
    rmSync(archiveDir, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runCli(args, env, 60_000);
  const archive = (...extra: string[]) =>
    cli('archive', '--before', new Date(CUTOFF).toISOString(), '--file-events', '50', ...extra);
  const withoutTiming = (text: string) => text.replace(/[\d.]+ s, [\d,]+ events\/s/g, '');

  /** Every position 1..TOTAL once: in the database, or in a listed file whose checksum holds. */
  async function everyEventOnce() {
    const store = await backend.open();
    try {
      const inDatabase = (await store.readLog(0, TOTAL + 1)).map((row) => row.position);
      const reader = await ArchiveReader.open(archiveDir);
      const inFiles: number[] = [];
      for (const entry of reader?.manifest.files ?? []) {
        inFiles.push(...(await reader!.rows(entry)).map((row) => row.position));
      }
      const all = new Set([...inDatabase, ...inFiles]);
      expect(all.size).toBe(TOTAL);
      expect(Math.min(...all)).toBe(1);
      expect(Math.max(...all)).toBe(TOTAL);
      return inDatabase.length;
    } finally {
      await store.close();
    }
  }

  test('archives, verifies from checkpoints and against the files, and --as-of prints what it printed before', async () => {
    const asOf = ['replay', '--as-of', new Date(CUTOFF - 10 * 60_000).toISOString()];
    const before = await cli(...asOf);
    expect(before.code).toBe(0);
    const run = await archive();
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^archived 180 events into 4 files in .* \(through position 180\)/);
    expect(await everyEventOnce()).toBe(60);
    const after = await cli(...asOf);
    expect(withoutTiming(after.stdout)).toBe(withoutTiming(before.stdout));

    const verified = await cli('replay', '--verify');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('every stored projection agrees with the log');
    expect(verified.stdout).toContain('archive verify: 4 files, 180 events, 0 problems');
    // The database alone: still verified, from the checkpoints.
    const alone = await cli('replay', '--verify', '--archive', join(archiveDir, 'elsewhere'));
    expect(alone.code).toBe(0);
    expect(alone.stdout).toContain('archive not checked: no manifest in');
    expect(await archive()).toMatchObject({ code: 0, stdout: expect.stringContaining('nothing to archive') });

    const name = JSON.parse(readFileSync(join(archiveDir, 'manifest.json'), 'utf8')).files[2].name as string;
    const bytes = readFileSync(join(archiveDir, name));
    bytes[20] = (bytes[20] ?? 0) ^ 0x01;
    writeFileSync(join(archiveDir, name), bytes);
    const tampered = await cli('replay', '--verify');
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain(`archive file ${name}: its SHA-256 differs from the manifest`);
  });

  test('refused with nothing changed: a future cutoff, an unwritable directory, a run already going', async () => {
    const future = await cli('archive', '--before', new Date(Date.now() + 86_400_000).toISOString());
    expect(future.code).toBe(1);
    expect(future.stderr).toMatch(/^hookpost: archive refused: the cutoff .* is in the future/);
    writeFileSync(join(archiveDir, 'a-file'), '');
    const unwritable = await archive('--dir', join(archiveDir, 'a-file', 'sub'));
    expect(unwritable.stderr).toMatch(/archive refused: cannot write to the archive directory/);
    const paused = await pausedRun('manifest-written');
    const second = await archive();
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('archive refused: another archive run holds the archive lock');
    await paused.kill9();
    expect(await archive()).toMatchObject({ code: 0 });
  });

  /** Starts an archive run that pauses at `step` (HOOKPOST_ARCHIVE_PAUSE_AT) and waits there. */
  async function pausedRun(step: string) {
    const child = spawn(
      process.execPath,
      ['dist/src/main.js', 'archive', '--before', new Date(CUTOFF).toISOString(), '--file-events', '50'],
      {
        env: { PATH: process.env.PATH ?? '', ...env, HOOKPOST_ARCHIVE_PAUSE_AT: step },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('archive paused at')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`archive exited ${code} before pausing: ${stderr}`)));
    });
    return {
      async kill9() {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      },
    };
  }

  test.each(['file-written:2', 'manifest-written:3', 'chunk-committed:2', 'chunk-committed:4'])(
    'kill -9 at %s: every event is in the database or a verified file, and a rerun finishes',
    async (step) => {
      const paused = await pausedRun(step);
      await paused.kill9();
      const left = await everyEventOnce();
      expect(left).toBeGreaterThanOrEqual(60);
      expect(left).toBeLessThan(TOTAL);
      const rerun = await archive();
      expect(rerun.code).toBe(0);
      expect(await everyEventOnce()).toBe(60);
      const verified = await cli('replay', '--verify');
      expect(verified.code).toBe(0);
      expect(verified.stdout).toContain('archive verify: 4 files, 180 events, 0 problems');
    },
  );
});
