import type { Clock } from '../../libs/runtime/clock.js';

/** A clock that moves only when told: time-dependent rules are tested without sleeping. */
export class ManualClock implements Clock {
  private timers: Array<{ at: number; callback: () => void; cancelled: boolean }> = [];

  constructor(private current = 0) {}

  now(): number {
    return this.current;
  }

  setTimer(callback: () => void, delayMs: number): { cancel(): void } {
    const timer = { at: this.current + Math.max(0, delayMs), callback, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  /** Moves time forward, firing every timer that falls due on the way, in time order. */
  advance(ms: number): void {
    const until = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) {
        break;
      }
      due.cancelled = true;
      this.current = Math.max(this.current, due.at);
      due.callback();
    }
    this.current = until;
    this.timers = this.timers.filter((t) => !t.cancelled);
  }

  /** Timers armed and not yet fired or cancelled. */
  get armed(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
