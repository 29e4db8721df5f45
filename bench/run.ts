/**
 * `npm run bench [-- --quick] [-- --only H1,H2] [-- --runs N] [-- --profile] [-- --alloc-profile] [-- --env K=V,...] [-- --nats single|always|r3]`: the harness.
 * Starts its own receiver process, and per workload a private nats-server, a fresh PostgreSQL
 * database and Hookpost as a separate process; measures the limits (L1, L2), Hookpost (H1-H7) and
 * the BullMQ baseline (B1); writes bench/results/latest.json, a chart, and (full run) the table
 * in BENCHMARKS.md. Each figure is the median of several runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import * as prettier from 'prettier';
import { natsServerBin } from '../test/support/nats-server.js';
import { adminUrl } from '../test/support/postgres.js';
import type { BenchContext, Figure } from './support/figures.js';
import { startBenchReceiver } from './support/receiver.js';
import { markdownTable, resultRows, svgChart, type Machine } from './support/report.js';
import { nowMs } from './support/stats.js';
import { NATS_SETUPS, type NatsSetup } from './support/world.js';
import { measureB1, measureB1Pair } from './workloads/bullmq.js';
import { measureH1, measureH2 } from './workloads/backlog.js';
import { measureH3 } from './workloads/ingest.js';
import { measureH4 } from './workloads/latency.js';
import { measureL1, measureL2 } from './workloads/limits.js';
import { measureH8 } from './workloads/instances.js';
import { measureH5 } from './workloads/memory.js';
import { measureH6, measureH6Pair } from './workloads/recovery.js';
import { measureH7 } from './workloads/replay.js';
import { measureH9 } from './workloads/archive.js';

const WORKLOADS: Array<[string, (ctx: BenchContext) => Promise<Figure[]>]> = [
  ['L1', measureL1],
  ['L2', measureL2],
  ['H1', measureH1],
  ['H2', measureH2],
  ['B1', measureB1],
  ['H3', measureH3],
  ['H4', measureH4],
  ['H5', measureH5],
  ['H6', measureH6],
  ['H6-2', measureH6Pair],
  ['H7', measureH7],
  ['H8', measureH8],
  ['B1-2', measureB1Pair],
  ['H9', measureH9],
];

const TABLE_START = '<!-- bench:table:start -->';
const TABLE_END = '<!-- bench:table:end -->';

function option(name: string): string | undefined {
  const args = process.argv.slice(2);
  const inline = args.find((arg) => arg.startsWith(`--${name}=`));
  if (inline !== undefined) {
    return inline.slice(name.length + 3);
  }
  const index = args.indexOf(`--${name}`);
  return index === -1 ? undefined : args[index + 1];
}

/** How each `--nats` setup is named in the table's header. */
const NATS_SETUP_TEXT: Record<NatsSetup, string> = {
  single: 'one node, default sync',
  always: 'one node, sync_interval: always',
  r3: '3-node cluster, streams R3, sync_interval: always',
};

/** `--nats`: which NATS the workloads run on (see NATS_SETUPS). */
function natsSetup(value: string | undefined): NatsSetup {
  const setup = value ?? 'single';
  if (!(NATS_SETUPS as readonly string[]).includes(setup)) {
    throw new Error(`--nats must be one of ${NATS_SETUPS.join(', ')}, got ${setup}`);
  }
  return setup as NatsSetup;
}

async function machine(): Promise<Machine> {
  // The binary every workload's private server runs (startNatsServer uses the same one).
  const nats = spawnSync(natsServerBin(), ['-v'], { encoding: 'utf8' });
  const client = new pg.Client({ connectionString: adminUrl() });
  const postgres = await client
    .connect()
    .then(() => client.query<{ server_version: string }>('SHOW server_version'))
    .then((result) => `PostgreSQL ${result.rows[0]?.server_version.split(' ')[0] ?? '?'}`)
    .finally(() => client.end().catch(() => undefined));
  const r = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  const redis = await r
    .connect()
    .then(async () => /redis_version:(\S+)/.exec(await r.info('server'))?.[1] ?? '?')
    .catch(() => 'not running')
    .finally(() => r.disconnect());
  return {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    natsServer: /v[\d.]+/.exec(nats.stdout)?.[0] ?? 'unknown',
    postgres,
    redis,
  };
}

/** A workload that fails leaves its figures 'not measured' with the error, and the run goes on. */
async function measureOrExplain(
  name: string,
  measure: (ctx: BenchContext) => Promise<Figure[]>,
  ctx: BenchContext,
): Promise<Figure[]> {
  try {
    return await measure(ctx);
  } catch (error) {
    const reason = `failed: ${error instanceof Error ? error.message : String(error)}`;
    ctx.log(`${name} ${reason}`);
    return [{ name, label: name, value: NaN, unit: '', samples: [], notMeasured: reason }];
  }
}

async function main(): Promise<void> {
  // dist/bench/run.js -> the repository root, where dist/src/main.js and BENCHMARKS.md are.
  const root = fileURLToPath(new URL('../../', import.meta.url));
  process.chdir(root);
  const quick = process.argv.includes('--quick');
  const only = option('only')
    ?.split(',')
    .map((name) => name.trim().toUpperCase());
  const runs = Number(option('runs') ?? (quick ? 3 : 5));
  const profileDir = `${root}bench/results/profiles`; // alloc-sampler.ts writes there too
  const cpuProfile = process.argv.includes('--profile');
  const allocProfile = process.argv.includes('--alloc-profile');
  if (cpuProfile || allocProfile) {
    mkdirSync(profileDir, { recursive: true });
  }
  const started = nowMs();
  const log = (message: string) =>
    process.stdout.write(`[${((nowMs() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
  const receiver = await startBenchReceiver();
  const figures = new Map<string, Figure>();
  const ordered: Figure[] = [];
  const ctx: BenchContext = {
    quick,
    runs,
    receiver,
    nodeArgs: [
      ...(cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      ...(allocProfile ? [`--import=${root}dist/bench/support/alloc-sampler.js`] : []),
      ...(option('node-args')?.split(' ').filter(Boolean) ?? []),
    ],
    env: Object.fromEntries(
      (option('env')?.split(',').filter(Boolean) ?? []).map((pair) => {
        const at = pair.indexOf('=');
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
    ),
    nats: natsSetup(option('nats')),
    figures,
    log,
  };
  const info: Machine = { ...(await machine()), natsSetup: NATS_SETUP_TEXT[ctx.nats] };
  log(
    `machine: ${JSON.stringify(info)}; ${quick ? 'quick' : 'full'} run, ${runs} runs per figure, NATS ${ctx.nats}`,
  );
  try {
    for (const [name, measure] of WORKLOADS) {
      if (only !== undefined && !only.includes(name)) {
        continue;
      }
      log(`${name}...`);
      for (const result of await measureOrExplain(name, measure, ctx)) {
        figures.set(result.name, result);
        ordered.push(result);
        log(
          `${result.name}: ${result.notMeasured ?? `${result.value.toFixed(2)} ${result.unit}`}${result.ratio ? ` (ratio ${result.ratio.value.toFixed(2)} of ${result.ratio.of})` : ''}`,
        );
      }
    }
  } finally {
    await receiver.close();
  }
  const rows = resultRows(ordered);
  const table = markdownTable(rows, info, runs, quick);
  mkdirSync('bench/results', { recursive: true });
  const json = `${JSON.stringify({ machine: { ...info, quick, runs }, results: rows }, null, 2)}\n`;
  if (only !== undefined) {
    writeFileSync('bench/results/partial.json', json);
  } else {
    writeFileSync('bench/results/latest.json', json);
    const title = `Hookpost benchmarks (${quick ? 'quick' : 'full'} run, ${info.date})`;
    writeFileSync(
      quick ? 'bench/results/chart-quick.svg' : 'bench/results/chart.svg',
      svgChart(rows, ordered, title),
    );
    if (!quick) {
      writeFileSync('bench/results/full.json', json);
      const doc = readFileSync('BENCHMARKS.md', 'utf8');
      const from = doc.indexOf(TABLE_START);
      const to = doc.indexOf(TABLE_END);
      if (from !== -1 && to > from) {
        const updated = `${doc.slice(0, from + TABLE_START.length)}\n${table}\n${doc.slice(to)}`;
        // Formatted with the repository's Prettier settings, so `prettier --check` stays green.
        const options = (await prettier.resolveConfig('BENCHMARKS.md')) ?? {};
        writeFileSync('BENCHMARKS.md', await prettier.format(updated, { ...options, parser: 'markdown' }));
      }
    }
  }
  process.stdout.write(`\n${table}\n\nfinished in ${((nowMs() - started) / 1000).toFixed(0)} s\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  },
);
