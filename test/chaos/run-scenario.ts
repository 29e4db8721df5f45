import { setTimeout as sleep } from 'node:timers/promises';
import { compareFeed, logEntries, readFeed, waitForFeed, type FeedCheck } from '../support/event-feed.js';
import { partitionOf } from '../../libs/ownership/index.js';
import type { Answer } from './chaos-receiver.js';
import { acquiredSince, checkCluster, type ClusterCheck, type ClusterNotes } from './cluster-checks.js';
import { eventWrites, watchHeartbeats } from './event-writers.js';
import { checkDeliveries, firstSuccessTimes, type DeliveryCheck, type FaultWindow } from './invariants.js';
import { LoadGenerator, type LoadStats } from './load.js';
import { seededRandom } from './random.js';
import {
  customersNotEmpty,
  replayVerify,
  startWorld,
  waitUntilDelivered,
  type ReplayVerify,
  type World,
  type WorldOptions,
} from './world.js';

/** How big a run is: the full chaos suite or the short variant inside `npm test`. */
export interface Scale {
  variant: 'full' | 'short';
  customers: number;
  /** Messages per second while faults are injected. */
  rate: number;
  /** How long the load (and the fault injection) lasts. */
  loadMs: number;
}

/** One fault as injected: when it started and when it was healed (ms since the epoch). */
export interface FaultRecord extends FaultWindow {
  kind: string;
}

/** What a scenario's injector gets: the world, the end of the load phase, a fault log, a seeded random. */
export interface InjectContext {
  readonly until: number;
  readonly scale: Scale;
  readonly random: () => number;
  fault(kind: string, start: number, healedAt: number): void;
  /** What a cluster scenario notes for its checks (faulted instances, pauses, handover times). */
  readonly notes: ClusterNotes;
}

/** A fault-injection scenario: how to build its world and how to hurt it while the load runs. */
export interface Scenario {
  name: string;
  title: string;
  /** How the fault is injected, for the report. */
  injection: string;
  world?: Omit<WorldOptions, 'customers'>;
  /** A graceful change only (a join): not one duplicate, not one overlap. */
  graceful?: boolean;
  /** Injects faults until `ctx.until` and leaves everything healed. */
  inject(world: World, ctx: InjectContext): Promise<void>;
}

/** Milliseconds summarised (null when there was nothing to measure). */
export interface Spread {
  median: number | null;
  p99: number | null;
  max: number | null;
}

/** Everything a run measured; the report and the assertions read this. */
export interface ScenarioResult {
  name: string;
  title: string;
  injection: string;
  variant: Scale['variant'];
  ranAt: string;
  customers: number;
  batchingCustomers: number;
  loadMs: number;
  rate: number;
  load: LoadStats;
  check: DeliveryCheck;
  faults: number;
  /** How long each fault lasted (injected to healed). */
  outageMs: Spread;
  /** From healed to the receiver's next success: deliveries resume. */
  resumeMs: Spread;
  /** From healed until every message accepted before it was delivered: the backlog is caught up. */
  recoveryMs: Spread;
  /** Publish ack to first successful delivery, over every accepted message. */
  latencyMs: Spread;
  /** From the end of the load to the last accepted message delivered (null: it never finished). */
  drainMs: number | null;
  drainError: string | null;
  /** Customers whose status did not come back to empty (a stuck customer). */
  notEmpty: string[];
  replay: ReplayVerify['outcome'];
  replayOutput: string;
  /** The outbound event feed against the log (absent in results recorded before the feed existed). */
  feed?: FeedCheck;
  feedError?: string | null;
  answers: Record<Answer, number>;
  followedRedirects: number;
  /** Several watched instances: overlap, the frozen instance's sends and commits, the handover time. */
  cluster?: ClusterCheck;
  /** The scenario allows no duplicate and no overlap at all. */
  graceful?: boolean;
}

const DRAIN_TIMEOUT_MS = 120_000;

function spread(values: number[]): Spread {
  if (values.length === 0) {
    return { median: null, p99: null, max: null };
  }
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * q))]!;
  return { median: at(0.5), p99: at(0.99), max: sorted.at(-1)! };
}

/** Delivery times against publish acks: latency per message, resume and catch-up per fault. */
function timings(world: World, load: LoadGenerator, faults: readonly FaultRecord[]) {
  const succeeded = (request: Parameters<World['receiver']['succeeded']>[0]) =>
    world.receiver.succeeded(request);
  const firsts = firstSuccessTimes(world.receiver.receiver.requests, succeeded);
  const delivered: Array<{ ackedAt: number; at: number }> = [];
  for (const [customerId, acks] of load.ackTimes()) {
    for (const [id, ackedAt] of acks) {
      const at = firsts.get(customerId)?.get(id);
      if (at !== undefined) {
        delivered.push({ ackedAt, at });
      }
    }
  }
  const successes = world.receiver.receiver.requests.filter(succeeded).map((request) => request.receivedAt);
  const resume = faults.flatMap((fault) => {
    const next = successes.find((at) => at >= fault.healedAt);
    return next === undefined ? [] : [next - fault.healedAt];
  });
  const recovery = faults.map((fault) =>
    delivered
      .filter((message) => message.ackedAt <= fault.healedAt)
      .reduce((latest, message) => Math.max(latest, message.at - fault.healedAt), 0),
  );
  const latency = delivered.map((message) => Math.max(0, message.at - message.ackedAt));
  return { resumeMs: spread(resume), recoveryMs: spread(recovery), latencyMs: spread(latency) };
}

/**
 * Runs one scenario: start the world, publish a load while the scenario injects faults, stop the
 * load, wait for every accepted message, check the invariants, stop Hookpost and replay --verify.
 */
export async function runScenario(scenario: Scenario, scale: Scale): Promise<ScenarioResult> {
  const world = await startWorld({ customers: scale.customers, ...scenario.world });
  try {
    const faults: FaultRecord[] = [];
    const notes: ClusterNotes = { faulted: [], pauses: [], evidence: [], heartbeatGapMs: {} };
    const heartbeats = world.senders === null ? null : watchHeartbeats(world.databaseUrl, world.namespace);
    const load = new LoadGenerator({
      client: world.client,
      namespace: world.namespace,
      customers: world.customers,
      rate: scale.rate,
    });
    load.start();
    const until = Date.now() + scale.loadMs;
    await scenario.inject(world, {
      until,
      scale,
      random: seededRandom(scale.loadMs),
      fault: (kind, start, healedAt) => faults.push({ kind, start, healedAt }),
      notes,
    });
    await sleep(Math.max(0, until - Date.now()));
    await load.stop();
    notes.heartbeatGapMs = Object.fromEntries((await heartbeats?.stop()) ?? []);
    const accepted = load.accepted();
    let drainMs: number | null = null;
    let drainError: string | null = null;
    try {
      drainMs = await waitUntilDelivered(world, accepted, DRAIN_TIMEOUT_MS);
    } catch (error) {
      drainError = String(error);
    }
    const notEmpty = await customersNotEmpty(world.services[0]!, drainError === null ? 15_000 : 0);
    const check = checkDeliveries({
      requests: world.receiver.receiver.requests,
      accepted,
      succeeded: (request) => world.receiver.succeeded(request),
      answeredAt: (request) => world.receiver.answeredAt(request),
      faults,
    });
    const cluster = await checkWatched(world, notes);
    const { feed, feedError } = await checkFeed(world);
    for (const service of world.services) {
      await service.stop();
    }
    const replay = await replayVerify(world);
    return {
      name: scenario.name,
      title: scenario.title,
      injection: scenario.injection,
      variant: scale.variant,
      ranAt: new Date().toISOString(),
      customers: world.customers.length,
      batchingCustomers: world.batching.size,
      loadMs: scale.loadMs,
      rate: scale.rate,
      load: load.stats,
      check,
      faults: faults.length,
      outageMs: spread(faults.map((fault) => fault.healedAt - fault.start)),
      ...timings(world, load, faults),
      drainMs,
      drainError,
      notEmpty,
      replay: replay.outcome,
      replayOutput: replay.output.slice(-2_000),
      feed,
      feedError,
      answers: world.receiver.counts(),
      followedRedirects: world.receiver.followedRedirects(),
      ...(cluster === null ? {} : { cluster }),
      ...(scenario.graceful === true ? { graceful: true } : {}),
    };
  } finally {
    await world.close();
  }
}

/** The cluster checks of a watched world (null for the others). */
async function checkWatched(world: World, notes: ClusterNotes): Promise<ClusterCheck | null> {
  if (world.senders === null) {
    return null;
  }
  await world.senders.settled();
  const view = await world.services[0]!.api('GET', '/v1/cluster');
  const partitions = (view.body as { partitions: number }).partitions;
  const logsOf = (instance: string) => world.services[world.instanceIds.indexOf(instance)]?.logs() ?? '';
  return checkCluster({
    instances: world.services.length,
    requests: world.receiver.receiver.requests,
    answeredAt: (request) => world.receiver.answeredAt(request),
    succeeded: (request) => world.receiver.succeeded(request),
    senderOf: (request) => world.senders!.senderOf(request),
    writes: await eventWrites(world.databaseUrl),
    partitionOf: (customerId) => partitionOf(customerId, partitions),
    retakenAt: (pause) => acquiredSince(logsOf(pause.instance), pause.resumedAt),
    notes,
  });
}

/** Waits for the outbound feed to catch up with the log, then compares them. */
async function checkFeed(world: World): Promise<{ feed: FeedCheck | undefined; feedError: string | null }> {
  try {
    await waitForFeed(world.client, world.namespace, world.databaseUrl, 30_000);
    const feed = compareFeed(
      await logEntries(world.databaseUrl),
      await readFeed(world.client, world.namespace),
    );
    return { feed, feedError: null };
  } catch (error) {
    return { feed: undefined, feedError: String(error) };
  }
}

/** One line per scenario for the test output. */
export function summaryLine(result: ScenarioResult): string {
  const c = result.check;
  const ms = (value: number | null) => (value === null ? 'n/a' : `${value} ms`);
  return (
    `[chaos ${result.variant}] ${result.name}: published ${c.published}, delivered ${c.delivered}, ` +
    `lost ${c.lost}, order violations ${c.orderViolations + c.firstSuccessInversions}, ` +
    `duplicates ${c.duplicates} (unexplained ${c.unexplainedDuplicates}), requests ${c.requests} ` +
    `(failed ${c.failedRequests}), faults ${result.faults}, recovery max ${ms(result.recoveryMs.max)}, ` +
    `latency p99 ${ms(result.latencyMs.p99)} max ${ms(result.latencyMs.max)}, ` +
    `drain ${ms(result.drainMs)}, stuck ${result.notEmpty.length}, replay --verify ${result.replay}, ` +
    `feed ${feedLine(result)}${clusterSummary(result.cluster)}\n`
  );
}

/** `, overlaps …` for a watched world. */
function clusterSummary(cluster: ClusterCheck | undefined): string {
  if (cluster === undefined) {
    return '';
  }
  const handover = cluster.handover === null ? 'n/a' : `${cluster.handover.ms ?? 'never'} ms`;
  return (
    `, overlaps ${cluster.overlaps} (allowed ${cluster.allowedOverlaps}), late sends ${cluster.lateSends}, ` +
    `stale commits ${cluster.staleCommits}, handover ${handover}, senders ${JSON.stringify(cluster.perInstance)}, ` +
    `longest heartbeat gaps ${JSON.stringify(cluster.heartbeatGapMs)}, ` +
    `others' longest gap while one was frozen ${cluster.othersLongestGapMs ?? 'n/a'} ms, ` +
    `seen: ${cluster.evidence.join('; ')}`
  );
}

/** `N events: M missing, D duplicates, O out of order` (or why it could not be checked). */
export function feedLine(result: ScenarioResult): string {
  const { feed } = result;
  if (feed === undefined) {
    return result.feedError ?? 'not checked';
  }
  return `${feed.events} events: ${feed.missing} missing, ${feed.duplicates} duplicates, ${feed.outOfOrder} out of order`;
}
