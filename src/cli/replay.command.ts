import { Command, InvalidArgumentError, Option } from 'commander';
import {
  archivedLog,
  ArchiveReader,
  verifyArchive,
  type ArchiveVerifyReport,
} from '../../libs/archive/index.js';
import type { EventStore } from '../../libs/event-store/index.js';
import { rebuild, statusAsOf, verify, type ReplayProgress } from '../../libs/replay/index.js';
import type { AppConfig } from '../config/app-config.js';
import { CliError } from './cli-error.js';
import { withEventLog } from './event-log.js';
import { customerOption, integerIn, isoTime, print } from './options.js';
import { ProgressLine } from './progress.js';
import { asOfText, verifyText } from './replay-output.js';

interface ReplayOptions {
  verify?: boolean;
  rebuild?: boolean;
  asOf?: number;
  customer?: string;
  json?: boolean;
  pageSize: number;
  archive?: string;
}

const EXAMPLES = `
Exactly one of --verify, --rebuild or --as-of. Exit 1 when a projection differs (verify) or a stored
event fails its schema (any mode). Only version and state are derived from the log; pending is the
queue's and is kept by --rebuild. Examples:
  hookpost replay --verify
  hookpost replay --rebuild --customer acme
  hookpost replay --as-of 2026-01-31T12:00:00Z --customer acme
After \`hookpost archive\`, verify and rebuild start each customer from its checkpoint; with the
archive directory present, verify also checks every archive file against the manifest and the
checkpoints (exit 1 naming a file that changed), and --as-of before the archived events' time reads
the files.`;

/** `hookpost replay`: audit the event log against the stored projections, rebuild them, or look back in time. */
export function replayCommand(): Command {
  return new Command('replay')
    .description("read the event log in order, validate every event and fold it with the service's rules")
    .addOption(
      new Option(
        '--verify',
        'compare every stored projection with the fold; print a difference per customer',
      ).conflicts(['rebuild', 'asOf']),
    )
    .addOption(
      new Option('--rebuild', 'rewrite the projections that differ (stop the service first)').conflicts(
        'asOf',
      ),
    )
    .addOption(
      new Option('--as-of <iso-time>', "print each customer's status as it was at that time").argParser(
        parseTime,
      ),
    )
    .addOption(customerOption('only this customer'))
    .option('--json', 'print the report as JSON (no progress)')
    .option('--page-size <n>', 'events per read', integerIn(1, 100_000), 10_000)
    .option('--archive <dir>', 'the archive directory (default HOOKPOST_ARCHIVE_DIR)')
    .addHelpText('after', EXAMPLES)
    .action(run);
}

async function run(options: ReplayOptions): Promise<void> {
  if (!options.verify && !options.rebuild && options.asOf === undefined) {
    throw new CliError(
      'replay needs one of --verify, --rebuild or --as-of <iso-time> (see hookpost replay --help)',
    );
  }
  const progress = options.json ? null : new ProgressLine();
  try {
    await withEventLog((store, config) => replay(store, config, options, progress));
  } finally {
    progress?.done();
  }
}

async function replay(
  store: EventStore,
  config: AppConfig,
  options: ReplayOptions,
  progress: ProgressLine | null,
): Promise<void> {
  const foldOptions = {
    pageSize: options.pageSize,
    ...(options.customer === undefined ? {} : { customerId: options.customer }),
    onProgress: (at: ReplayProgress) => progress?.update(progressText(at)),
  };
  const archiveDir = options.archive ?? config.archiveDir;
  const archive = await ArchiveReader.open(archiveDir);
  if (options.asOf !== undefined) {
    const { source, start } = await asOfSource(store, archive, archiveDir, options.asOf, options.customer);
    const report = await statusAsOf(source, options.asOf, config.delivery, { ...foldOptions, start });
    progress?.done();
    print(options.json ? report : asOfText(report), options.json);
    process.exitCode = report.summary.invalid > 0 ? 1 : 0;
    return;
  }
  const mode = options.rebuild ? 'rebuild' : 'verify';
  const start = await store.archiveCheckpoints(options.customer);
  const report =
    mode === 'rebuild'
      ? await rebuild(store, { delivery: config.delivery, now: Date.now }, { ...foldOptions, start })
      : await verify(store, { ...foldOptions, start });
  progress?.done();
  if (options.customer !== undefined && report.summary.customers === 0) {
    throw new CliError(`customer ${options.customer} has no events and no projection`);
  }
  const archived = mode === 'verify' ? await checkArchive(store, archive, start, options.customer) : null;
  print(
    options.json
      ? { ...report, archive: archived }
      : [verifyText(mode, report), ...archiveLines(archived, start.size, archiveDir)].join('\n'),
    options.json,
  );
  const failed =
    report.summary.invalid > 0 ||
    (mode === 'verify' && report.summary.differences > 0) ||
    (archived?.problems.length ?? 0) > 0;
  process.exitCode = failed ? 1 : 0;
}

/**
 * Where --as-of reads: the archive then the database when the archive is there; without it the
 * checkpoints stand in for the archived events, which is right only for a time after all of them.
 */
async function asOfSource(
  store: EventStore,
  archive: ArchiveReader | null,
  archiveDir: string,
  asOf: number,
  customerId: string | undefined,
) {
  const progress = await store.archiveProgress();
  if (progress.throughPosition === 0) {
    return { source: store, start: undefined };
  }
  if (archive !== null) {
    return { source: archivedLog(archive, store, progress.throughPosition), start: undefined };
  }
  if (asOf < progress.lastAt) {
    throw new CliError(
      `--as-of ${new Date(asOf).toISOString()} is before archived events (up to ${new Date(progress.lastAt).toISOString()}) and ${archiveDir} has no archive manifest: pass --archive DIR`,
    );
  }
  return { source: store, start: await store.archiveCheckpoints(customerId) };
}

async function checkArchive(
  store: EventStore,
  archive: ArchiveReader | null,
  checkpoints: Awaited<ReturnType<EventStore['archiveCheckpoints']>>,
  customerId: string | undefined,
): Promise<ArchiveVerifyReport | null> {
  return archive === null
    ? null
    : verifyArchive(archive, checkpoints, await store.archiveProgress(), customerId);
}

function archiveLines(report: ArchiveVerifyReport | null, checkpoints: number, dir: string): string[] {
  if (report === null) {
    return checkpoints === 0
      ? []
      : [`archive not checked: no manifest in ${dir} (${checkpoints} customers start from checkpoints)`];
  }
  return [
    ...report.problems,
    `archive verify: ${report.files.toLocaleString('en-US')} files, ${report.events.toLocaleString('en-US')} events, ${report.problems.length} ${report.problems.length === 1 ? 'problem' : 'problems'}`,
  ];
}

const progressText = ({ events, customers, elapsedMs }: ReplayProgress) =>
  `replay: ${events.toLocaleString('en-US')} events, ${customers.toLocaleString('en-US')} ` +
  `${customers === 1 ? 'customer' : 'customers'}, ` +
  `${Math.round(events / Math.max(elapsedMs / 1000, 0.001)).toLocaleString('en-US')} events/s`;

function parseTime(value: string): number {
  const at = isoTime(value);
  if (at === null) {
    throw new InvalidArgumentError('an ISO time like 2026-01-31T12:00:00Z');
  }
  return at;
}
