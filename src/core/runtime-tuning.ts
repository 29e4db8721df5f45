import type { DeliverySettings } from '../../libs/domain/index.js';

/**
 * Customers taking their first step (snapshot load, first read, first attempt) at once. 128, measured:
 * 32 made a start-up with 2,000 waiting customers 50% slower (docs/performance.md, H6), and an
 * unbounded number held 10,000 activations in memory at once in a burst (H5).
 */
export const ACTIVATION_PERMITS = 128;

/** A step that threw (NATS or the database down) is tried again after this, doubling up to 30 s. */
export const STEP_RETRY_MS = 1_000;

/** Fewest messages an actor keeps in memory: a single-message customer reads its stream once per 100 deliveries. */
const MIN_WINDOW_MESSAGES = 100;

/** Time to record the outcomes once the last in-flight request has ended (group commit, a slow database). */
const SHUTDOWN_RECORD_MARGIN_MS = 5_000;

/** Messages an actor keeps in memory: two batches, so the next one is there while one is in flight. */
export function windowSize(settings: DeliverySettings): number {
  return Math.max(settings.batchSize * 2, MIN_WINDOW_MESSAGES);
}

/**
 * How long a graceful stop waits for in-flight steps: the longest delivery deadline plus time to
 * record the outcome. A shorter wait would cut requests off and send them again after the restart.
 */
export function shutdownGraceMs(settings: DeliverySettings): number {
  return Math.max(settings.timeoutSingleMs, settings.timeoutBatchMs) + SHUTDOWN_RECORD_MARGIN_MS;
}

/** Time a stop has, past the in-flight steps' grace, to flush, commit and close its connections. */
const STOP_CLOSE_MARGIN_MS = 10_000;

/**
 * How long a whole stop may take before it gives up (logging what it left undone) and the process
 * exits non-zero: NATS or the database may stop answering in the middle of it.
 */
export function stopGraceMs(settings: DeliverySettings): number {
  return shutdownGraceMs(settings) + STOP_CLOSE_MARGIN_MS;
}
