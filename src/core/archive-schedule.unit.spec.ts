import { ManualClock } from '../../test/support/manual-clock.js';
import { ArchiveSchedule } from './archive-schedule.js';

const DAY = 86_400_000;

describe('ArchiveSchedule', () => {
  const warnings: unknown[][] = [];
  const logger = { info: () => undefined, warn: (...args: unknown[]) => void warnings.push(args) };

  test('runs a minute after start, then daily, and never after stop', async () => {
    const clock = new ManualClock(0);
    const runs: number[] = [];
    const schedule = new ArchiveSchedule(clock, () => Promise.resolve(void runs.push(clock.now())), logger);
    schedule.start();
    clock.advance(59_999);
    expect(runs).toEqual([]);
    clock.advance(1);
    clock.advance(DAY);
    clock.advance(DAY);
    expect(runs).toEqual([60_000, 60_000 + DAY, 60_000 + 2 * DAY]);
    await schedule.stop();
    clock.advance(3 * DAY);
    expect(runs).toHaveLength(3);
    expect(clock.armed).toBe(0);
  });

  test('a failed run is logged and the next day runs again', async () => {
    const clock = new ManualClock(0);
    let calls = 0;
    const schedule = new ArchiveSchedule(
      clock,
      () => (++calls === 1 ? Promise.reject(new Error('disk full')) : Promise.resolve()),
      logger,
    );
    schedule.start();
    clock.advance(60_000);
    await schedule.stop().then(() => schedule.start()); // settles the failed run
    expect(warnings).toEqual([[{ err: 'Error: disk full' }, expect.any(String)]]);
    clock.advance(60_000);
    expect(calls).toBe(2);
  });
});
