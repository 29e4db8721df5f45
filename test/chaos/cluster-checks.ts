import type { RecordedRequest } from '../support/receiver.js';
import type { EventWrite } from './event-writers.js';
import { customerOf } from './invariants.js';

/** An instance frozen (SIGSTOP) past its lease and woken again (SIGCONT). */
export interface PauseRecord {
  instance: string;
  pausedAt: number;
  resumedAt: number;
  /** Partitions it held when frozen that another instance held when it woke: it must leave them alone. */
  lost: number[];
}

/** What a cluster scenario's injector notes for the checks and the report. */
export interface ClusterNotes {
  /** Instances a fault hit (killed or frozen): overlap with one of their requests is allowed. */
  faulted: string[];
  pauses: PauseRecord[];
  /** The ownership change measured: a takeover or a rebalance, how long it took (null: never) and the limit. */
  handover?: { what: string; ms: number | null; limitMs: number };
  /** Readable observations (what the database showed during the fault, say). */
  evidence: string[];
  /** The longest time between two heartbeats (ownership turns) of each instance, as PostgreSQL saw them. */
  heartbeatGapMs: Record<string, number>;
}

/** The cluster invariants, judged on the receiver's record and the log's writers. */
export interface ClusterCheck {
  instances: number;
  /** Requests that arrived while an earlier one of the same customer was not answered yet. */
  overlaps: number;
  /** Of those, overlaps with a request of the faulted instance (the one it had in flight). */
  allowedOverlaps: number;
  /** Requests whose sender could not be told (the connection closed before the look). */
  unknownSenders: number;
  /** Requests per instance. */
  perInstance: Record<string, number>;
  /** Requests the woken instance sent, after it woke, for partitions it had lost (and not taken back). */
  lateSends: number;
  /** The most of those for one customer (1 = the request it had in flight when frozen). */
  lateSendsPerCustomerMax: number;
  /** The first few late sends, readable. */
  lateSamples: string[];
  /** Log rows it inserted after it woke for partitions it had lost (and not taken back). Must be 0. */
  staleCommits: number;
  /**
   * While an instance was frozen: the longest time without a successful request from the others
   * (from the freeze, between them, to the wake). Near the whole pause: they were held up too.
   */
  othersLongestGapMs: number | null;
  handover: NonNullable<ClusterNotes['handover']> | null;
  evidence: string[];
  heartbeatGapMs: Record<string, number>;
  problems: string[];
}

const MAX_PROBLEMS = 20;

/** Judges overlap over every request; late sends and stale commits when an instance was frozen. */
export function checkCluster(input: {
  instances: number;
  requests: readonly RecordedRequest[];
  answeredAt(request: RecordedRequest): number;
  succeeded(request: RecordedRequest): boolean;
  senderOf(request: RecordedRequest): string | null;
  writes: readonly EventWrite[];
  partitionOf(customerId: string): number;
  /** When the frozen instance took each partition back after it woke (from its log). */
  retakenAt(pause: PauseRecord): ReadonlyMap<number, number>;
  notes: ClusterNotes;
}): ClusterCheck {
  const problems: string[] = [];
  const problem = (text: string) => problems.length < MAX_PROBLEMS && problems.push(text);
  const perInstance: Record<string, number> = {};
  input.requests.forEach((request) => {
    const sender = input.senderOf(request) ?? 'unknown';
    perInstance[sender] = (perInstance[sender] ?? 0) + 1;
  });
  const overlap = findOverlaps(input, input.notes.faulted, problem);
  const retaken = new Map(input.notes.pauses.map((pause) => [pause, input.retakenAt(pause)]));
  /** The pause after which `instance` had no business with the customer at `at`, if any. */
  const lostAt = (instance: string | null, customerId: string, at: number): PauseRecord | undefined =>
    input.notes.pauses.find((pause) => {
      const partition = input.partitionOf(customerId);
      const back = retaken.get(pause)?.get(partition);
      return (
        pause.instance === instance &&
        at >= pause.resumedAt &&
        pause.lost.includes(partition) &&
        (back === undefined || back > at)
      );
    });
  const late = input.requests.filter(
    (request) => lostAt(input.senderOf(request), customerOf(request), request.receivedAt) !== undefined,
  );
  const lateByCustomer = new Map<string, number>();
  late.forEach((request) => {
    lateByCustomer.set(customerOf(request), (lateByCustomer.get(customerOf(request)) ?? 0) + 1);
  });
  const lateSamples = late
    .slice(0, MAX_PROBLEMS)
    .map(
      (request) =>
        `#${request.seq} ${customerOf(request)} by ${input.senderOf(request)} at ${request.receivedAt}`,
    );
  const stale = input.writes.filter((write) => lostAt(write.writer, write.customerId, write.insertedAt));
  stale.forEach((write) =>
    problem(`${write.writer} committed log position ${write.position} (${write.customerId}) after it woke`),
  );
  const othersGaps = input.notes.pauses.map((pause) => {
    const times = input.requests
      .filter((r) => r.receivedAt >= pause.pausedAt && r.receivedAt <= pause.resumedAt)
      .filter((r) => input.senderOf(r) !== pause.instance && input.succeeded(r))
      .map((r) => r.receivedAt)
      .sort((a, b) => a - b);
    const marks = [pause.pausedAt, ...times, pause.resumedAt];
    return Math.max(...marks.slice(1).map((at, index) => at - marks[index]!));
  });
  return {
    instances: input.instances,
    othersLongestGapMs: othersGaps.length === 0 ? null : Math.max(...othersGaps),
    overlaps: overlap.overlaps,
    allowedOverlaps: overlap.allowed,
    unknownSenders: perInstance.unknown ?? 0,
    perInstance,
    lateSends: late.length,
    lateSendsPerCustomerMax: Math.max(0, ...lateByCustomer.values()),
    lateSamples,
    staleCommits: stale.length,
    handover: input.notes.handover ?? null,
    evidence: input.notes.evidence,
    heartbeatGapMs: input.notes.heartbeatGapMs,
    problems,
  };
}

/**
 * Per customer, in arrival order: a request that arrives before the answer to an earlier one has
 * left overlaps it (both were in flight at once). Allowed when either was sent by `faulted`.
 */
export function findOverlaps(
  input: {
    requests: readonly RecordedRequest[];
    answeredAt(request: RecordedRequest): number;
    senderOf(request: RecordedRequest): string | null;
  },
  faulted: readonly string[],
  problem: (text: string) => void = () => undefined,
): { overlaps: number; allowed: number } {
  const busy = new Map<string, { until: number; request: RecordedRequest }>();
  let overlaps = 0;
  let allowed = 0;
  const ordered = [...input.requests].sort((a, b) => a.receivedAt - b.receivedAt || a.seq - b.seq);
  for (const request of ordered) {
    const customerId = customerOf(request);
    const earlier = busy.get(customerId);
    if (earlier !== undefined && request.receivedAt < earlier.until) {
      overlaps += 1;
      const senders = [input.senderOf(earlier.request), input.senderOf(request)];
      if (senders.some((sender) => sender !== null && faulted.includes(sender))) {
        allowed += 1;
      } else {
        problem(
          `${customerId}: #${request.seq} (${senders[1] ?? '?'}) arrived while #${earlier.request.seq} (${senders[0] ?? '?'}) was in flight`,
        );
      }
    }
    const until = input.answeredAt(request);
    if (earlier === undefined || until > earlier.until) {
      busy.set(customerId, { until, request });
    }
  }
  return { overlaps, allowed };
}

/** When `instance` acquired each partition at or after `since`, from its JSON log lines. */
export function acquiredSince(logs: string, since: number): Map<number, number> {
  const at = new Map<number, number>();
  for (const line of logs.split('\n')) {
    if (!line.includes('"partitions acquired"')) {
      continue;
    }
    try {
      const entry = JSON.parse(line) as { time?: number; partitions?: number[] };
      if (typeof entry.time === 'number' && entry.time >= since) {
        (entry.partitions ?? []).forEach((partition) => at.has(partition) || at.set(partition, entry.time!));
      }
    } catch {
      // not a log line of ours (a partial line at the end of a frozen process's output)
    }
  }
  return at;
}
