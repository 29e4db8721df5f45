import { backoffDelay } from './backoff.js';
import { defaultDeliverySettings } from './settings.js';

describe('backoffDelay: the Passfort schedule', () => {
  const exponential = Array.from({ length: 12 }, (_, index) => [index + 1, 30_000 * 2 ** index] as const);

  test.each(exponential)('attempt %i waits %i ms (30 s * 2^(n-1))', (attempt, expected) => {
    expect(backoffDelay(attempt, defaultDeliverySettings)).toBe(expected);
  });

  test.each([13, 14, 50, 1000])('attempt %i waits a day', (attempt) => {
    expect(backoffDelay(attempt, defaultDeliverySettings)).toBe(86_400_000);
  });

  test('the last exponential delay is 30 s * 2^11 = 61,440 s', () => {
    expect(backoffDelay(12, defaultDeliverySettings)).toBe(61_440_000);
  });

  test('all three numbers come from settings', () => {
    const settings = { backoffBaseMs: 100, backoffAttempts: 3, backoffDailyMs: 5_000 };
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, settings))).toEqual([
      100, 200, 400, 5_000, 5_000,
    ]);
  });

  test.each([0, -1, 1.5, Number.NaN])('attempt %p is refused', (attempt) => {
    expect(() => backoffDelay(attempt, defaultDeliverySettings)).toThrow(RangeError);
  });
});
