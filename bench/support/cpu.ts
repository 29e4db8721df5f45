import { readdirSync, readFileSync } from 'node:fs';
import { median } from './stats.js';
import type { World } from './world.js';

/** CPU seconds (user + system) a process has used so far, from /proc (0 when it is gone). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** Pids whose command line contains `needle` (e.g. a database name: its PostgreSQL backends). */
export function pidsMatching(needle: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    });
}

/** CPU used by groups of processes between start() and stop(), in seconds per group. */
export function cpuMeter(groups: Record<string, () => number[]>): { stop(): Record<string, number> } {
  const before = new Map<string, Map<number, number>>();
  for (const [name, pids] of Object.entries(groups)) {
    before.set(name, new Map(pids().map((pid) => [pid, cpuSeconds(pid)])));
  }
  return {
    stop() {
      const used: Record<string, number> = {};
      for (const [name, pids] of Object.entries(groups)) {
        const start = before.get(name) ?? new Map<number, number>();
        used[name] = pids().reduce((sum, pid) => sum + cpuSeconds(pid) - (start.get(pid) ?? 0), 0);
      }
      return used;
    },
  };
}

/** CPU seconds per group turned into milliseconds per 1,000 messages, rounded. */
export function perThousand(used: Record<string, number>, messages: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(used).map(([name, seconds]) => [name, Math.round((seconds * 1_000_000) / messages)]),
  );
}

/** The median of each process's figure over several runs (a process missing from a run is skipped there). */
export function medianCpu(runs: readonly Record<string, number>[]): Record<string, number> {
  const names = [...new Set(runs.flatMap((run) => Object.keys(run)))];
  return Object.fromEntries(
    names.map((name) => [name, median(runs.flatMap((run) => (name in run ? [run[name]!] : [])))]),
  );
}

/** A meter over a world's processes: Hookpost, the receiver, nats-server (every node) and PostgreSQL. */
export function worldCpuMeter(world: World, receiverPid: number): { stop(): Record<string, number> } {
  return cpuMeter({
    hookpost: () => [world.hookpost.pid()],
    receiver: () => [receiverPid],
    'nats-server': () => pidsMatching(world.nats.storeDir),
    postgres: () => pidsMatching(world.db.name),
  });
}
