/** The delivery rules' numbers, all taken from configuration (docs/contract.md, "Settings"). */
export interface DeliverySettings {
  /** First retry delay; attempt n waits base * 2^(n-1). */
  readonly backoffBaseMs: number;
  /** Attempts on the exponential schedule before the daily delay applies. */
  readonly backoffAttempts: number;
  /** Delay of every attempt after the exponential ones. */
  readonly backoffDailyMs: number;
  /** Messages per batched request. */
  readonly batchSize: number;
  /** Longest wait before a partial batch is sent. */
  readonly batchIntervalMs: number;
  /** Response deadline with batching off. */
  readonly timeoutSingleMs: number;
  /** Response deadline with batching on. */
  readonly timeoutBatchMs: number;
  /** A head failing this long records QueueStalled (0 = never). */
  readonly stallAlertMs: number;
}

/** Passfort's schedule: 30 s doubling for 12 attempts, then daily; batches of 100 within 10 s; alert after 15 min. */
export const defaultDeliverySettings: DeliverySettings = {
  backoffBaseMs: 30_000,
  backoffAttempts: 12,
  backoffDailyMs: 86_400_000,
  batchSize: 100,
  batchIntervalMs: 10_000,
  timeoutSingleMs: 10_000,
  timeoutBatchMs: 5_000,
  stallAlertMs: 900_000,
};
