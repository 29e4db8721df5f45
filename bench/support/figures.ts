import type { BenchReceiver } from './receiver.js';
import type { NatsSetup } from './world.js';
import { median } from './stats.js';

/** A goal: the figure must be at least (>=) or at most (<=) this. */
export interface Goal {
  readonly op: '>=' | '<=';
  readonly value: number;
}

/** One measured figure: the median of its runs' samples, with its goal and its ratio to a limit. */
export interface Figure {
  /** Row id in the table, e.g. 'H1' or 'L1 64 in flight'. */
  readonly name: string;
  readonly label: string;
  /** Median of samples; NaN when not measured. */
  readonly value: number;
  readonly unit: string;
  readonly samples: readonly number[];
  readonly goal?: Goal;
  /** value / (the limit's value), and the goal for that ratio. */
  readonly ratio?: { readonly of: string; readonly value: number; readonly goal?: Goal };
  /** Why there is no value (e.g. the command does not exist yet). */
  readonly notMeasured?: string;
  readonly note?: string;
  /**
   * CPU milliseconds per 1,000 messages by process (`hookpost`, `nats-server`, `postgres`,
   * `receiver`; `worker`, `redis` for BullMQ; `bench` for the benchmark's own client): the median
   * over the runs.
   */
  readonly cpuMsPer1000?: Readonly<Record<string, number>>;
}

/** What every workload gets from the harness. */
export interface BenchContext {
  readonly quick: boolean;
  /** Runs per figure (the median is reported). */
  readonly runs: number;
  readonly receiver: BenchReceiver;
  /** Node flags for the Hookpost process (e.g. --cpu-prof). */
  readonly nodeArgs: string[];
  /** Extra Hookpost settings (`--env HOOKPOST_EVENTS_FEED=false`); a workload's own settings win. */
  readonly env: Readonly<Record<string, string>>;
  /** The NATS every workload runs on (`--nats single|always|r3`, default single). */
  readonly nats: NatsSetup;
  /** Figures measured so far, by name (for ratios to the limits). */
  readonly figures: Map<string, Figure>;
  log(message: string): void;
}

/** Builds a figure from its samples (the median). */
export function figure(
  fields: Omit<Figure, 'value' | 'samples' | 'ratio'> & {
    samples: readonly number[];
    ratioTo?: { figure: Figure | undefined; goal?: Goal; invert?: boolean };
  },
): Figure {
  const { ratioTo, ...rest } = fields;
  const value = median(fields.samples);
  const base = ratioTo?.figure?.value;
  const ratio =
    ratioTo?.figure !== undefined && base !== undefined && Number.isFinite(base) && base !== 0
      ? {
          of: ratioTo.invert ? `${ratioTo.figure.name} / ${fields.name}` : ratioTo.figure.name,
          value: ratioTo.invert ? base / value : value / base,
          ...(ratioTo.goal === undefined ? {} : { goal: ratioTo.goal }),
        }
      : undefined;
  return { ...rest, value, ...(ratio === undefined ? {} : { ratio }) };
}

/** Whether a value meets a goal (undefined goal: nothing to meet). */
export function meets(value: number, goal: Goal | undefined): boolean | null {
  if (goal === undefined) {
    return null;
  }
  if (!Number.isFinite(value)) {
    return false;
  }
  return goal.op === '>=' ? value >= goal.value : value <= goal.value;
}
