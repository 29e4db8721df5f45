import type { DeliverySettings } from './settings.js';

type BackoffSettings = Pick<DeliverySettings, 'backoffBaseMs' | 'backoffAttempts' | 'backoffDailyMs'>;

/**
 * How long to wait after the `attempt`-th consecutive failure before the next try:
 * base * 2^(attempt-1) for attempts 1..backoffAttempts, then the daily delay.
 */
export function backoffDelay(attempt: number, settings: BackoffSettings): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  }
  if (attempt > settings.backoffAttempts) {
    return settings.backoffDailyMs;
  }
  return settings.backoffBaseMs * 2 ** (attempt - 1);
}
