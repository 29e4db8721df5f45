import { ManualClock } from '../../test/support/manual-clock.js';
import { RETRY_BURST, RETRY_REFILL_MS, RetryThrottle } from './retry-throttle.js';

describe('RetryThrottle: a burst of Retries per customer, then one per refill interval', () => {
  test('the burst is taken at once, the next one waits for the refill, and says how long', () => {
    const clock = new ManualClock(1_000_000);
    const throttle = new RetryThrottle(clock);
    for (let i = 0; i < RETRY_BURST; i++) {
      expect(throttle.take('acme')).toBe(0);
    }
    expect(throttle.take('acme')).toBe(RETRY_REFILL_MS);
    clock.advance(RETRY_REFILL_MS - 1);
    expect(throttle.take('acme')).toBe(1);
    clock.advance(1);
    expect(throttle.take('acme')).toBe(0);
    expect(throttle.take('acme')).toBe(RETRY_REFILL_MS);
  });

  test('a refused Retry costs nothing, and a long pause refills no more than the burst', () => {
    const clock = new ManualClock();
    const throttle = new RetryThrottle(clock, 2, 1_000);
    expect([throttle.take('acme'), throttle.take('acme')]).toEqual([0, 0]);
    for (let i = 0; i < 50; i++) {
      expect(throttle.take('acme')).toBe(1_000);
    }
    clock.advance(1_000);
    expect(throttle.take('acme')).toBe(0);
    clock.advance(3_600_000);
    expect([throttle.take('acme'), throttle.take('acme'), throttle.take('acme')]).toEqual([0, 0, 1_000]);
  });

  test('each customer has its own allowance', () => {
    const clock = new ManualClock();
    const throttle = new RetryThrottle(clock, 1, 1_000);
    expect(throttle.take('acme')).toBe(0);
    expect(throttle.take('acme')).toBe(1_000);
    expect(throttle.take('globex')).toBe(0);
  });
});
