/** Where the runtime gets the time and sets its one timer; tests pass a manual clock. */
export interface Clock {
  now(): number;
  setTimer(callback: () => void, delayMs: number): { cancel(): void };
}

/** The real clock. Timers are unref'd: a waiting customer must not keep the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    // setTimeout caps at 2^31-1 ms (~24.8 days); longer waits are re-armed by the caller.
    const handle = setTimeout(callback, Math.min(Math.max(delayMs, 0), 2 ** 31 - 1));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};
