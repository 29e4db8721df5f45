/** Writes the results: latest.json, the markdown table, and an SVG chart of each figure against its goal. */
import { meets, type Figure, type Goal } from './figures.js';
import { round } from './stats.js';

/** Where and on what the run happened. */
export type Machine = Record<string, string | number>;

/** One row of latest.json (the issue's shape, plus the samples and the goal in words). */
export interface ResultRow {
  name: string;
  value: number | null;
  unit: string;
  /** The goal's number (a floor for rates, a ceiling for times and sizes); null for the limits. */
  limit: number | null;
  /** value divided by the limit figure it is compared with (B1: Hookpost / BullMQ). */
  ratio: number | null;
  goal: string | null;
  ratioOf: string | null;
  ratioGoal: string | null;
  met: boolean | null;
  label: string;
  samples: number[];
  note?: string;
  notMeasured?: string;
  cpuMsPer1000?: Record<string, number>;
}

const goalText = (goal: Goal | undefined, unit = ''): string | null =>
  goal === undefined ? null : `${goal.op} ${goal.value.toLocaleString('en')}${unit === '' ? '' : ` ${unit}`}`;

/** The JSON rows; `met` is false when either the figure or its ratio misses its goal. */
export function resultRows(figures: readonly Figure[]): ResultRow[] {
  return figures.map((f) => {
    const valueMet = meets(f.value, f.goal);
    const ratioMet = f.ratio === undefined ? null : meets(f.ratio.value, f.ratio.goal);
    const checks = [valueMet, ratioMet].filter((m): m is boolean => m !== null);
    return {
      name: f.name,
      value: Number.isFinite(f.value) ? round(f.value) : null,
      unit: f.unit,
      limit: f.goal?.value ?? null,
      ratio: f.ratio === undefined ? null : round(f.ratio.value),
      goal: goalText(f.goal, f.unit),
      ratioOf: f.ratio?.of ?? null,
      ratioGoal: goalText(f.ratio?.goal),
      met: f.notMeasured !== undefined ? null : checks.length === 0 ? null : checks.every(Boolean),
      label: f.label,
      samples: f.samples.map(round),
      ...(f.note === undefined ? {} : { note: f.note }),
      ...(f.notMeasured === undefined ? {} : { notMeasured: f.notMeasured }),
      ...(f.cpuMsPer1000 === undefined ? {} : { cpuMsPer1000: { ...f.cpuMsPer1000 } }),
    };
  });
}

const fmt = (value: number | null): string => (value === null ? '—' : value.toLocaleString('en'));

/** "0.14 of L2 fetch", or "0.85 = H2 / B1" for an inverted ratio. */
const ratioText = (ratio: number | null, of: string | null): string =>
  `${fmt(ratio)} ${of?.includes(' / ') ? '=' : 'of'} ${of ?? ''}`;

/** "hookpost 339, nats-server 13 (sum 352)", or "—" where the workload did not meter CPU. */
function cpuText(cpu: Record<string, number> | undefined): string {
  if (cpu === undefined) {
    return '—';
  }
  const entries = Object.entries(cpu);
  const sum = entries.reduce((total, [, ms]) => total + ms, 0);
  return `${entries.map(([name, ms]) => `${name} ${fmt(round(ms))}`).join(', ')} (sum ${fmt(round(sum))})`;
}

/** The markdown table of a run. */
export function markdownTable(
  rows: readonly ResultRow[],
  machine: Machine,
  runs: number,
  quick: boolean,
): string {
  const lines = [
    `Run ${String(machine.date)}${quick ? ' (quick)' : ''}: each figure is the median of its runs (${runs}; H5, H6 and H7 at most 3, H5 2 in a quick run), all samples in the last column. Machine: ${String(machine.cpu)}, ${String(machine.cores)} cores, ${String(machine.memoryGiB)} GiB; Node ${String(machine.node)}, nats-server ${String(machine.natsServer)} (${String(machine.natsSetup)}), ${String(machine.postgres)}, Redis ${String(machine.redis)}.`,
    '',
    '| name | workload | median | goal | ratio | ratio goal | met | CPU ms per 1,000 messages | runs |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const median =
      row.notMeasured !== undefined ? `not measured: ${row.notMeasured}` : `${fmt(row.value)} ${row.unit}`;
    const ratio = row.ratio === null ? '—' : ratioText(row.ratio, row.ratioOf);
    const met = row.met === null ? '—' : row.met ? 'yes' : '**no**';
    const note = row.note === undefined ? '' : ` (${row.note})`;
    lines.push(
      `| ${row.name} | ${row.label}${note} | ${median} | ${row.goal ?? '—'} | ${ratio} | ${row.ratioGoal ?? '—'} | ${met} | ${cpuText(row.cpuMsPer1000)} | ${row.samples.map(fmt).join(', ')} |`,
    );
  }
  return lines.join('\n');
}

/** How good a figure is against one goal: 1 = exactly the goal, higher is better. */
function score(value: number, goal: Goal): number {
  if (!Number.isFinite(value) || value <= 0) {
    return goal.op === '<=' && value <= 0 && Number.isFinite(value) ? 3 : 0;
  }
  return goal.op === '>=' ? value / goal.value : goal.value / value;
}

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A horizontal bar per goal (a figure's own, and its ratio's), scaled so the goal sits at one
 * line: the bar's length is how far the figure is from its goal (longer is better, capped at 3x).
 */
export function svgChart(rows: readonly ResultRow[], figures: readonly Figure[], title: string): string {
  const bars: Array<{ label: string; text: string; score: number; met: boolean }> = [];
  figures.forEach((f, index) => {
    const row = rows[index];
    if (row === undefined || f.notMeasured !== undefined) {
      return;
    }
    if (f.goal !== undefined) {
      const s = score(f.value, f.goal);
      bars.push({
        label: f.name,
        text: `${fmt(row.value)} ${f.unit} (goal ${row.goal ?? ''})`,
        score: s,
        met: s >= 1,
      });
    }
    if (f.ratio?.goal !== undefined) {
      const s = score(f.ratio.value, f.ratio.goal);
      bars.push({
        label: `${f.name} ratio`,
        text: `${ratioText(row.ratio, f.ratio.of)} (goal ${row.ratioGoal ?? ''})`,
        score: s,
        met: s >= 1,
      });
    }
  });
  const width = 900;
  const left = 130;
  const barArea = 420;
  const rowHeight = 28;
  const top = 50;
  const height = top + bars.length * rowHeight + 40;
  const cap = 3;
  const x = (s: number) => left + (Math.min(s, cap) / cap) * barArea;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`,
    `<text x="10" y="40" fill="#555">bar = figure relative to its goal (goal line at 1x, longer is better, capped at ${cap}x)</text>`,
  ];
  bars.forEach((bar, i) => {
    const y = top + i * rowHeight;
    parts.push(
      `<text x="10" y="${y + 17}">${escape(bar.label)}</text>`,
      `<rect x="${left}" y="${y + 4}" width="${Math.max(1, x(bar.score) - left).toFixed(1)}" height="18" fill="${bar.met ? '#3a9d5d' : '#d2453d'}"/>`,
      `<text x="${left + barArea + 10}" y="${y + 17}">${escape(bar.text)}</text>`,
    );
  });
  const goalX = x(1);
  parts.push(
    `<line x1="${goalX}" y1="${top}" x2="${goalX}" y2="${top + bars.length * rowHeight}" stroke="black" stroke-dasharray="4 3"/>`,
    `<text x="${goalX - 12}" y="${top + bars.length * rowHeight + 16}">goal</text>`,
    '</svg>',
  );
  return parts.join('\n');
}
