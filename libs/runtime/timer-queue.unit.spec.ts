import { ManualClock } from '../../test/support/manual-clock.js';
import { TimerQueue } from './timer-queue.js';

function setup() {
  const clock = new ManualClock(1_000);
  const fired: string[] = [];
  const timers = new TimerQueue(clock, (key) => fired.push(`${key}@${clock.now()}`));
  return { clock, fired, timers };
}

test('fires each key at its time, in time order, with one armed timer', () => {
  const { clock, fired, timers } = setup();
  timers.schedule('c', 1_300);
  timers.schedule('a', 1_100);
  timers.schedule('b', 1_200);
  expect(clock.armed).toBe(1);
  clock.advance(150);
  expect(fired).toEqual(['a@1100']);
  clock.advance(1_000);
  expect(fired).toEqual(['a@1100', 'b@1200', 'c@1300']);
  expect(timers.size).toBe(0);
});

test('scheduling a key again replaces its time; cancel forgets it', () => {
  const { clock, fired, timers } = setup();
  timers.schedule('a', 1_100);
  timers.schedule('a', 1_500);
  timers.schedule('b', 1_200);
  timers.cancel('b');
  clock.advance(300);
  expect(fired).toEqual([]);
  clock.advance(300);
  expect(fired).toEqual(['a@1500']);
});

test('an earlier key re-arms the timer sooner', () => {
  const { clock, fired, timers } = setup();
  timers.schedule('late', 10_000);
  timers.schedule('soon', 1_010);
  clock.advance(20);
  expect(fired).toEqual(['soon@1010']);
});

test('10,000 keys in random order fire sorted', () => {
  const { clock, fired, timers } = setup();
  const times = Array.from({ length: 10_000 }, (_, i) => 2_000 + ((i * 7_919) % 10_000));
  times.forEach((at, i) => timers.schedule(`k${i}`, at));
  clock.advance(20_000);
  const firedAt = fired.map((entry) => Number(entry.split('@')[1]));
  expect(firedAt).toHaveLength(10_000);
  expect(firedAt).toEqual([...firedAt].sort((a, b) => a - b));
});

test('stop cancels everything', () => {
  const { clock, fired, timers } = setup();
  timers.schedule('a', 1_100);
  timers.stop();
  clock.advance(1_000);
  expect(fired).toEqual([]);
});
