import { Command, InvalidArgumentError, Option } from 'commander';
import {
  ArchiveRefusedError,
  type ArchiveReport,
  type ArchiveStep,
  type CompactMode,
} from '../../libs/archive/index.js';
import { parseDuration } from '../config/app-config.js';
import { runArchive } from '../core/archive-run.js';
import { CliError } from './cli-error.js';
import { withEventLog } from './event-log.js';
import { integerIn, isoTime, print } from './options.js';

interface ArchiveCommandOptions {
  before: string;
  dir?: string;
  json?: boolean;
  fileEvents: number;
  compact: CompactMode;
}

const EXAMPLES = `
Moves the events recorded before the cutoff out of the database into compressed files with one
manifest (HOOKPOST_ARCHIVE_DIR, default <data dir>/archive), leaving per-customer checkpoints, so
\`hookpost replay\` and the audit routes still answer for them. Refused, with nothing changed, for a
cutoff in the future, a cutoff past what the outbound feed has published, a directory that cannot be
written, and while another archive run is going. A run that was killed is finished by the next one.
On PostgreSQL the space the deleted rows leave then goes back to the disk while appends go on
(--compact: rows moved from the end of the table into it, the empty end cut off, the indexes
rebuilt concurrently once they outgrew the table).
Examples:
  hookpost archive --before 90d
  hookpost archive --before 2026-01-01T00:00:00Z --dir /mnt/cold/hookpost --json`;

/** `hookpost archive`: move old events out of the database into verified archive files. */
export function archiveCommand(): Command {
  return new Command('archive')
    .description('move the events recorded before a cutoff into compressed, checksummed archive files')
    .requiredOption('--before <iso-time|duration>', 'the cutoff: an ISO time, or an age such as 90d, 12h')
    .option('--dir <dir>', 'the archive directory (default HOOKPOST_ARCHIVE_DIR)')
    .option('--file-events <n>', 'most events per archive file', integerIn(1, 1_000_000), 100_000)
    .addOption(
      new Option(
        '--compact <when>',
        "give the deleted rows' space back to the disk, online (PostgreSQL): auto (indexes rebuilt when they outgrew the table), always (rebuilt every run), never",
      )
        .choices(['auto', 'always', 'never'])
        .default('auto'),
    )
    .option('--json', 'print the report as JSON')
    .addHelpText('after', EXAMPLES)
    .action(run);
}

function run(options: ArchiveCommandOptions): Promise<void> {
  const now = Date.now();
  const before = parseCutoff(options.before, now);
  return withEventLog(async (store, config) => {
    const report = await runArchive(store, config, {
      before,
      now,
      fileEvents: options.fileEvents,
      compact: options.compact,
      ...(options.dir === undefined ? {} : { dir: options.dir }),
      onStep: pauseHook(process.env.HOOKPOST_ARCHIVE_PAUSE_AT),
    }).catch((error: unknown) => {
      throw error instanceof ArchiveRefusedError ? new CliError(`archive refused: ${error.message}`) : error;
    });
    const dir = options.dir ?? config.archiveDir;
    print(
      options.json
        ? { before, dir, ...report }
        : report.events === 0
          ? `nothing to archive before ${new Date(before).toISOString()}`
          : `archived ${report.events.toLocaleString('en-US')} events into ${report.files.length} ${report.files.length === 1 ? 'file' : 'files'} in ${dir} (through position ${report.throughPosition}), ${(report.elapsedMs / 1000).toFixed(2)} s, ${report.eventsPerSecond.toLocaleString('en-US')} events/s${compactionText(report)}`,
      options.json,
    );
  });
}

function compactionText({ compaction }: ArchiveReport): string {
  if (compaction === null) {
    return '';
  }
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
  return `; events ${mb(compaction.bytesBefore)} -> ${mb(compaction.bytesAfter)} (${compaction.movedRows.toLocaleString('en-US')} rows moved${compaction.reindexed ? ', indexes rebuilt' : ''})`;
}

/** An ISO time, or an age (`90d`) counted back from now. */
function parseCutoff(value: string, now: number): number {
  const age = parseDuration(value);
  if (age !== null) {
    return now - age;
  }
  const at = isoTime(value);
  if (at === null) {
    throw new InvalidArgumentError('--before takes an ISO time like 2026-01-31T12:00:00Z or an age like 90d');
  }
  return at;
}

/**
 * HOOKPOST_ARCHIVE_PAUSE_AT=<step>[:<n>], for the crash test only: at the n-th time (default the
 * first) the run reaches that step it says so on stderr and waits for ever, to be killed with -9.
 */
function pauseHook(
  setting: string | undefined,
): ((step: ArchiveStep, detail: string) => Promise<void>) | undefined {
  if (!setting) {
    return undefined;
  }
  const [wanted, nth = '1'] = setting.split(':');
  let seen = 0;
  return (step, detail) => {
    if (step !== wanted || ++seen !== Number(nth)) {
      return Promise.resolve();
    }
    process.stderr.write(`archive paused at ${step} (${detail})\n`);
    return new Promise(() => setInterval(() => undefined, 60_000));
  };
}
