import { performance } from 'node:perf_hooks';
import { mkdir, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArchiveChunk, CompactionReport, EventStore, RawStoredEvent } from '../event-store/index.js';
import { ArchiveRefusedError } from './archive-errors.js';
import { ARCHIVE_FILE_PATTERN, archiveFileName, readArchiveFile, writeArchiveFile } from './archive-file.js';
import { decodeLine, encodeLine } from './archive-line.js';
import { planChunks } from './checkpoint-fold.js';
import { TEMPORARY_SUFFIX } from './durable-write.js';
import { PhaseTimes, type ArchivePhase } from './phase-times.js';
import {
  readManifest,
  versionRanges,
  writeManifest,
  type ArchiveFileEntry,
  type ArchiveManifest,
} from './manifest.js';

/** What the archiver uses of the event store. */
export type ArchiveStore = Pick<
  EventStore,
  | 'logId'
  | 'readLog'
  | 'archiveLines'
  | 'settledPosition'
  | 'archiveProgress'
  | 'archiveCheckpoints'
  | 'firstPositionFrom'
  | 'commitArchiveChunk'
  | 'compactEvents'
>;

/**
 * Whether a run ends by giving the deleted rows' space back to the disk (PostgreSQL): 'auto' on
 * every run (little work when there is none to give back, and a run after one killed mid-way
 * finishes it), rebuilding the indexes when they outgrew the table; 'always' also rebuilds them;
 * 'never' leaves the space to the next appends, as a plain VACUUM does.
 */
export type CompactMode = 'auto' | 'always' | 'never';

/** One archive run at a time per database (a PostgreSQL advisory lock, or a lock file beside SQLite). */
export interface ArchiveLock {
  /** The lock, or null when another run holds it. */
  tryAcquire(): Promise<{ release(): Promise<void> } | null>;
}

/** The named points of a run, where a crash test pauses the process (HOOKPOST_ARCHIVE_PAUSE_AT). */
export type ArchiveStep = 'file-written' | 'manifest-written' | 'chunk-committed';

export interface ArchiveOptions {
  readonly dir: string;
  /** Archive the events recorded before this time (epoch ms). */
  readonly before: number;
  readonly now: number;
  /**
   * Every event at or below this position has been published by the outbound feed (the store's
   * feedSentThrough of the relay's checkpoint); null when the feed is off.
   */
  readonly publishedThrough: number | null;
  readonly lock: ArchiveLock;
  /** Most events per archive file; default 100,000. */
  readonly fileEvents?: number;
  /** Most events deleted per transaction; default 5,000 (a SQLite write holds appends up meanwhile). */
  readonly chunkEvents?: number;
  readonly onStep?: (step: ArchiveStep, detail: string) => Promise<void>;
  /** Default 'auto'. */
  readonly compact?: CompactMode;
}

/** What a run did. */
export interface ArchiveReport {
  /** Events deleted from the database by this run (a file a crashed run left is finished first). */
  readonly events: number;
  /** Files this run wrote or finished. */
  readonly files: readonly string[];
  /** Every event at or below this position is in the archive now. */
  readonly throughPosition: number;
  readonly elapsedMs: number;
  readonly eventsPerSecond: number;
  /** Milliseconds in each stage; stages of successive files overlap (see PhaseTimes). */
  readonly phasesMs: Readonly<Record<ArchivePhase, number>>;
  /** What the compaction did; null when none ran (SQLite, or 'never'). */
  readonly compaction: CompactionReport | null;
}

/** Rows per read: a default-sized file in one query (round trips cost more than the rows' memory). */
const READ_PAGE = 100_000;

/**
 * Moves the events recorded before `before` out of the database into compressed files in `dir`.
 * Each file is written, fsynced and read back against its checksum, and listed in the manifest,
 * before any of its rows is deleted; deletion and checkpoints then commit together, a chunk at a
 * time. So after a crash every event is in the database or in a verified, listed file, and the
 * next run finishes a file whose rows were not all deleted yet.
 */
export async function archiveEvents(store: ArchiveStore, options: ArchiveOptions): Promise<ArchiveReport> {
  const started = performance.now();
  if (options.before > options.now) {
    throw new ArchiveRefusedError(
      `the cutoff ${new Date(options.before).toISOString()} is in the future: only past events can be archived`,
    );
  }
  const held = await options.lock.tryAcquire();
  if (held === null) {
    throw new ArchiveRefusedError(
      'another archive run holds the archive lock for this database; try again when it has finished',
    );
  }
  try {
    await assertWritable(options.dir);
    const logId = await store.logId();
    const manifest = (await readManifest(options.dir)) ?? { format: 1, logId, files: [] };
    if (manifest.logId !== logId) {
      throw new ArchiveRefusedError(
        `${options.dir} holds the archive of another database (log ${manifest.logId}, this one is ${logId})`,
      );
    }
    const progress = await store.archiveProgress();
    // Positions commit out of order on PostgreSQL: only a settled prefix is final (an event still
    // being committed below the end would be missed by the archive and by replay for good).
    const settled = await store.settledPosition();
    const firstKept = await store.firstPositionFrom(options.before, progress.throughPosition);
    const end = firstKept === null ? settled : Math.min(firstKept - 1, settled);
    if (options.publishedThrough !== null && end > options.publishedThrough) {
      throw new ArchiveRefusedError(
        `the cutoff is past what the outbound feed has published (position ${options.publishedThrough}, the cutoff needs ${end}): an event the feed has not sent is never archived; try again when the feed has caught up`,
      );
    }
    await removeLeftovers(options.dir, manifest);
    const run = new ArchiveRun(store, options, manifest, progress.throughPosition);
    await run.finishPending();
    await run.archiveThrough(end);
    const compaction = await run.compact(options.compact ?? 'auto');
    const elapsedMs = performance.now() - started;
    return {
      events: run.events,
      files: run.files,
      throughPosition: run.through,
      elapsedMs: Math.round(elapsedMs),
      eventsPerSecond: elapsedMs > 0 ? Math.round(run.events / (elapsedMs / 1000)) : 0,
      phasesMs: run.phases.rounded(),
      compaction,
    };
  } finally {
    await held.release();
  }
}

/** One run's work after the checks: the files, the deletions and the checkpoints. */
class ArchiveRun {
  events = 0;
  readonly files: string[] = [];
  readonly phases = new PhaseTimes();
  private checkpoints: Awaited<ReturnType<ArchiveStore['archiveCheckpoints']>> | null = null;

  constructor(
    private readonly store: ArchiveStore,
    private readonly options: ArchiveOptions,
    private manifest: ArchiveManifest,
    /** The database's archived-through position: every event above it is still in `events`. */
    public through: number,
  ) {}

  /** A file a crashed run listed but did not finish deleting: checked again, then its rows go. */
  async finishPending(): Promise<void> {
    for (const entry of this.manifest.files.filter((file) => file.lastPosition > this.through)) {
      const { rows, lines } = await readArchiveFile(this.options.dir, entry);
      const left = rows.findIndex((row) => row.position > this.through);
      await this.settle(entry.name, rows.slice(left), lines.slice(left));
    }
  }

  /**
   * Archives the events after `through` up to `end`, one file at a time, as a pipeline: while one
   * file's rows are deleted (PostgreSQL's work), the next file's rows are already read, checked,
   * compressed and written (this process's). Files are still listed and committed in order, each
   * only after its own file is verified and the one before it is committed.
   */
  async archiveThrough(end: number): Promise<void> {
    const fileEvents = this.options.fileEvents ?? 100_000;
    const listedEnd = this.manifest.files.at(-1)?.lastPosition ?? 0;
    // The position the rows being read follow: the first chunk of their file deletes from there.
    let after = Math.max(this.through, listedEnd);
    let reading = after < end ? this.readRows(after, end, fileEvents) : Promise.resolve(NO_ROWS);
    let settling: Promise<void> = Promise.resolve();
    try {
      for (;;) {
        const { rows, lines } = await reading;
        const first = rows[0];
        const last = rows.at(-1);
        if (first === undefined || last === undefined) {
          break;
        }
        const fileAfter = after;
        after = last.position;
        reading = after < end ? this.readRows(after, end, fileEvents) : Promise.resolve(NO_ROWS);
        reading.catch(() => undefined); // awaited on the next turn; an error meanwhile must not go unhandled
        const name = archiveFileName(first.position, last.position);
        // Planned (and every event checked) before the file exists; committed only once it is listed.
        const chunks = await this.phases.time('check', async () =>
          planChunks(rows, lines, await this.loadCheckpoints(), fileAfter, this.chunkEvents),
        );
        const written = await this.phases.time('write', () =>
          writeArchiveFile(this.options.dir, name, lines),
        );
        await settling; // the file before is committed: crash points stay in file order
        await this.options.onStep?.('file-written', name);
        settling = this.listAndCommit(
          {
            name,
            firstPosition: first.position,
            lastPosition: last.position,
            events: rows.length,
            customers: versionRanges(rows),
            ...written,
            createdAt: new Date(this.options.now).toISOString(),
          },
          chunks,
        );
        settling.catch(() => undefined); // awaited on the next turn or below
      }
    } finally {
      // Nothing of this run may go on after it returns (the lock is released then).
      await Promise.allSettled([reading, settling]);
    }
    await settling;
  }

  /** The deleted rows' space back to the disk, after the last deletion (the lock still held). */
  compact(mode: CompactMode): Promise<CompactionReport | null> {
    if (mode === 'never') {
      return Promise.resolve(null);
    }
    return this.phases.time('compact', () => this.store.compactEvents(mode === 'always' ? 'always' : 'auto'));
  }

  private async listAndCommit(entry: ArchiveFileEntry, chunks: ArchiveChunk[]): Promise<void> {
    await this.list(entry);
    await this.options.onStep?.('manifest-written', entry.name);
    await this.commit(entry.name, chunks);
  }

  private get chunkEvents(): number {
    return this.options.chunkEvents ?? 5_000;
  }

  private async settle(name: string, rows: RawStoredEvent[], lines: string[]): Promise<void> {
    if (rows.length > 0) {
      await this.commit(
        name,
        await planChunks(rows, lines, await this.loadCheckpoints(), this.through, this.chunkEvents),
      );
    }
  }

  private async commit(name: string, chunks: ArchiveChunk[]): Promise<void> {
    for (const chunk of chunks) {
      await this.phases.time('commit', () => this.store.commitArchiveChunk(chunk));
      this.through = chunk.throughPosition;
      this.events += chunk.events;
      await this.options.onStep?.('chunk-committed', name);
    }
    this.files.push(name);
  }

  private async loadCheckpoints() {
    this.checkpoints ??= await this.store.archiveCheckpoints();
    return this.checkpoints;
  }

  private async list(entry: ArchiveFileEntry): Promise<void> {
    this.manifest = { ...this.manifest, files: [...this.manifest.files, entry] };
    await writeManifest(this.options.dir, this.manifest);
  }

  /** Up to `limit` events after `after` and at or below `end`, in position order, with their lines. */
  private async readRows(after: number, end: number, limit: number): Promise<RowsAndLines> {
    let read: RowsAndLines = NO_ROWS;
    for (let from = after; read.rows.length < limit;) {
      const size = Math.min(READ_PAGE, limit - read.rows.length);
      const page = await this.readPage(from, end, size);
      read =
        read.rows.length === 0
          ? page
          : { rows: read.rows.concat(page.rows), lines: read.lines.concat(page.lines) };
      const last = page.rows.at(-1);
      if (last === undefined || page.rows.length < size) {
        break;
      }
      from = last.position;
    }
    return read;
  }

  /**
   * One read: the lines as PostgreSQL builds them, decoded to rows for the fold (cheaper than pg
   * parsing rows and encoding them here, H9); on SQLite the rows, encoded here.
   */
  private async readPage(after: number, end: number, size: number): Promise<RowsAndLines> {
    const text = await this.phases.time('read', () => this.store.archiveLines(after, end, size));
    if (text !== null) {
      const lines = text === '' ? [] : text.split('\n');
      return { lines, rows: await this.phases.time('encode', () => lines.map(decodeLine)) };
    }
    const page = await this.phases.time('read', () => this.store.readLog(after, size));
    const rows = page.filter((row) => row.position <= end);
    return { rows, lines: await this.phases.time('encode', () => rows.map(encodeLine)) };
  }
}

interface RowsAndLines {
  readonly rows: RawStoredEvent[];
  /** Each row's archive line, as it goes into the file. */
  readonly lines: string[];
}

const NO_ROWS: RowsAndLines = { rows: [], lines: [] };

/** Refuses a directory that cannot be created or written, before anything changes. */
async function assertWritable(dir: string): Promise<void> {
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, '');
    await unlink(probe);
  } catch (error) {
    throw new ArchiveRefusedError(
      `cannot write to the archive directory ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
}

/** A file of ours the manifest does not list (a crash before listing it) holds nothing deleted: it goes. */
async function removeLeftovers(dir: string, manifest: ArchiveManifest): Promise<void> {
  const listed = new Set(manifest.files.map((file) => file.name));
  for (const name of await readdir(dir)) {
    const ours = ARCHIVE_FILE_PATTERN.test(name) || name.endsWith(TEMPORARY_SUFFIX);
    if (ours && !listed.has(name)) {
      await rm(join(dir, name), { force: true });
    }
  }
}
