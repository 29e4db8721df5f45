import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configured, failed, succeeded, T0 } from '../domain/spec-support.js';
import { defaultDeliverySettings, type CustomerQueueEvent } from '../domain/index.js';
import type { EventStore } from '../event-store/index.js';
import { backends, recordEach, type Backend } from '../event-store/store-spec-support.js';
import { statusAsOf, verify } from '../replay/index.js';
import {
  ArchiveReader,
  ArchiveRefusedError,
  archivedLog,
  archiveEvents,
  verifyArchive,
  type ArchiveOptions,
  type ArchiveStep,
} from './index.js';
import { decodeLine, encodeLine } from './archive-line.js';

const freeLock = { tryAcquire: () => Promise.resolve({ release: () => Promise.resolve() }) };
const MINUTE = 60_000;

describe.each(backends)('archive on %s', (_name, createBackend) => {
  let backend: Backend;
  let store: EventStore;
  let dir: string;

  beforeEach(async () => {
    backend = await createBackend();
    store = await backend.open();
    dir = mkdtempSync(join(tmpdir(), 'hookpost-archive-'));
  });

  afterEach(async () => {
    await store.close();
    await backend.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const record = (customerId: string, events: CustomerQueueEvent[]) => recordEach(store, customerId, events);

  /** Two customers, one event a minute from T0: acme 6 events, globex 4, interleaved. */
  async function givenALog() {
    await record('acme', [configured({}, T0)]);
    await record('globex', [configured({}, T0 + MINUTE)]);
    await record('acme', [failed(1, 1, 1, T0 + 2 * MINUTE), succeeded(1, 1, T0 + 3 * MINUTE)]);
    await record('globex', [failed(1, 2, 1, T0 + 4 * MINUTE), failed(1, 2, 2, T0 + 5 * MINUTE)]);
    await record('acme', [succeeded(2, 2, T0 + 6 * MINUTE), succeeded(3, 3, T0 + 7 * MINUTE)]);
    await record('globex', [succeeded(1, 2, T0 + 8 * MINUTE)]);
    await record('acme', [failed(4, 4, 1, T0 + 9 * MINUTE)]);
  }

  const options = (overrides: Partial<ArchiveOptions> = {}): ArchiveOptions => ({
    dir,
    before: T0 + 6 * MINUTE,
    now: T0 + 60 * MINUTE,
    publishedThrough: null,
    lock: freeLock,
    fileEvents: 4,
    chunkEvents: 3,
    ...overrides,
  });

  const eventCount = async () => Number((await backend.query('SELECT COUNT(*) AS n FROM "events"'))[0]?.n);
  const asOfText = async (source: Parameters<typeof statusAsOf>[0], at: number) => {
    const { summary: _timing, ...report } = await statusAsOf(source, at, defaultDeliverySettings);
    return JSON.stringify(report);
  };

  test('moves the events before the cutoff into listed files; verify, audit and as-of still agree', async () => {
    await givenALog();
    const before = await asOfText(store, T0 + 4 * MINUTE);
    const report = await archiveEvents(store, options());
    expect(report).toMatchObject({ events: 6, files: expect.any(Array) });
    expect(report.files).toHaveLength(2); // 4 + 2 events
    expect(await eventCount()).toBe(4);
    const progress = await store.archiveProgress();
    expect(progress).toMatchObject({ events: 6, lastAt: T0 + 5 * MINUTE });
    const checkpoints = await store.archiveCheckpoints();
    expect([...checkpoints.values()].map(({ customerId, version }) => [customerId, version]).sort()).toEqual([
      ['acme', 3],
      ['globex', 3],
    ]);

    // The database alone: verify starts from the checkpoints.
    const fromCheckpoints = await verify(store, { start: checkpoints });
    expect(fromCheckpoints.differences).toEqual([]);
    expect(fromCheckpoints.invalid).toEqual([]);
    // Without the checkpoints the log would look broken: the check has teeth.
    expect((await verify(store)).invalid.length).toBeGreaterThan(0);

    const archive = (await ArchiveReader.open(dir))!;
    expect(archive.manifest.files.map((file) => [file.events, file.customers])).toEqual([
      [4, { acme: [1, 3], globex: [1, 1] }],
      [2, { globex: [2, 3] }],
    ]);
    expect((await verifyArchive(archive, checkpoints, progress)).problems).toEqual([]);
    const log = archivedLog(archive, store, progress.throughPosition);
    expect(await asOfText(log, T0 + 4 * MINUTE)).toBe(before);
    expect((await archive.readStream('acme', 1, 3, 10)).map((row) => row.version)).toEqual([2, 3]);
  });

  test('a run ends by compacting the table (PostgreSQL); not with --compact never, and never on SQLite', async () => {
    await givenALog();
    expect((await archiveEvents(store, options({ compact: 'never' }))).compaction).toBeNull();
    const later = await archiveEvents(store, options({ before: T0 + 8 * MINUTE, compact: 'always' }));
    expect(later.events).toBe(2);
    if (backend.name === 'sqlite') {
      expect(later.compaction).toBeNull(); // its file shrinks only by a VACUUM that holds appends up
      return;
    }
    expect(later.compaction).toMatchObject({ reindexed: true, bytesAfter: expect.any(Number) });
    expect(later.phasesMs.compact).toBeGreaterThan(0);
    expect(await eventCount()).toBe(2);
  });

  test('the lines the database builds are the bytes encodeLine makes of the stored rows (SQLite builds none)', async () => {
    // Every character JSON escapes specially, one it leaves as is, and text beyond the BMP.
    const error = 'say "hi" \\ back\nslash\t\u0001\u001f\u007f é \u2028 😀';
    const failure = failed(1, 1, 1, T0 + MINUTE);
    if (failure.type !== 'DeliveryFailed') {
      throw new Error('failed() makes a DeliveryFailed');
    }
    await record('acme', [configured({}, T0), { ...failure, data: { ...failure.data, error } }]);
    await record('globex', [configured({}, T0 + 2 * MINUTE)]);
    const text = await store.archiveLines(0, 2, 10);
    if (backend.name === 'sqlite') {
      expect(text).toBeNull();
      return;
    }
    const stored = await store.readLog(0, 2);
    expect(text).toBe(stored.map(encodeLine).join('\n'));
    expect(text?.split('\n').map(decodeLine)).toEqual(stored);
    expect(await store.archiveLines(3, 10, 10)).toBe('');
  });

  test('a changed byte in a file is named by the archive check', async () => {
    await givenALog();
    await archiveEvents(store, options());
    const archive = (await ArchiveReader.open(dir))!;
    const name = archive.manifest.files[1]!.name;
    const bytes = readFileSync(join(dir, name));
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 1;
    writeFileSync(join(dir, name), bytes);
    const report = await verifyArchive(
      archive,
      await store.archiveCheckpoints(),
      await store.archiveProgress(),
    );
    expect(report.problems).toEqual([
      `archive file ${name}: its SHA-256 differs from the manifest (the file was changed)`,
    ]);
  });

  test('refused with nothing changed: a future cutoff, an unpublished event, an unwritable dir, a held lock', async () => {
    await givenALog();
    const refusals: Array<[Partial<ArchiveOptions>, RegExp]> = [
      [{ before: T0 + 61 * MINUTE }, /is in the future/],
      [{ publishedThrough: 3 }, /past what the outbound feed has published/],
      [{ dir: join(dir, 'manifest-file', 'archive') }, /cannot write to the archive directory/],
      [{ lock: { tryAcquire: () => Promise.resolve(null) } }, /another archive run holds the archive lock/],
    ];
    writeFileSync(join(dir, 'manifest-file'), 'not a directory');
    for (const [overrides, message] of refusals) {
      const attempt = archiveEvents(store, options(overrides));
      await expect(attempt).rejects.toThrow(ArchiveRefusedError);
      await expect(archiveEvents(store, options(overrides))).rejects.toThrow(message);
    }
    expect(await eventCount()).toBe(10);
    expect(readdirSync(dir)).toEqual(['manifest-file']);
    expect(await store.archiveCheckpoints()).toEqual(new Map());
    // Published far enough: it runs.
    await expect(archiveEvents(store, options({ publishedThrough: 100 }))).resolves.toMatchObject({
      events: 6,
    });
  });

  test.each<ArchiveStep>(['file-written', 'manifest-written', 'chunk-committed'])(
    'a run that stops at %s leaves every event in the database or a listed file; the next run finishes',
    async (step) => {
      await givenALog();
      class Stop extends Error {}
      await expect(
        archiveEvents(
          store,
          options({
            onStep: (at) => (at === step ? Promise.reject(new Stop()) : Promise.resolve()),
          }),
        ),
      ).rejects.toThrow(Stop);
      const report = await archiveEvents(store, options());
      expect(report.throughPosition).toBeGreaterThan(0);
      expect(await eventCount()).toBe(4);
      const archive = (await ArchiveReader.open(dir))!;
      const checkpoints = await store.archiveCheckpoints();
      expect((await verifyArchive(archive, checkpoints, await store.archiveProgress())).problems).toEqual([]);
      expect((await verify(store, { start: checkpoints })).differences).toEqual([]);
      expect(readdirSync(dir).sort()).toEqual(
        [...archive.manifest.files.map((f) => f.name), 'manifest.json'].sort(),
      );
    },
  );
});
