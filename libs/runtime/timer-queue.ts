import TinyQueue from 'tinyqueue';
import type { Clock } from './clock.js';

interface Entry {
  readonly key: string;
  readonly at: number;
}

function emptyHeap(): TinyQueue<Entry> {
  return new TinyQueue<Entry>([], (a, b) => a.at - b.at);
}

/**
 * One timer for all waiting customers: a min-heap of wake-up times and a single armed timer for
 * the earliest. Scheduling a key again replaces its earlier time; the entry it replaces stays in
 * the heap and is dropped when it reaches the top.
 */
export class TimerQueue {
  private heap = emptyHeap();
  private readonly scheduled = new Map<string, number>();
  private armed: { at: number; cancel(): void } | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (key: string) => void,
  ) {}

  /** Wakes `key` at `at` (epoch ms); replaces any earlier schedule of the same key. */
  schedule(key: string, at: number): void {
    this.scheduled.set(key, at);
    this.heap.push({ key, at });
    this.arm();
  }

  /** Forgets `key`'s wake-up (stale heap entries are dropped lazily). */
  cancel(key: string): void {
    this.scheduled.delete(key);
  }

  get size(): number {
    return this.scheduled.size;
  }

  /** Cancels the armed timer; nothing fires afterwards. */
  stop(): void {
    this.armed?.cancel();
    this.armed = null;
    this.scheduled.clear();
    this.heap = emptyHeap();
  }

  /** Fires every due key; called by the timer, and callable by tests after moving a manual clock. */
  fireDue(): void {
    this.armed = null;
    const now = this.clock.now();
    for (let top = this.heap.peek(); top !== undefined && top.at <= now; top = this.heap.peek()) {
      this.heap.pop();
      if (this.scheduled.get(top.key) === top.at) {
        this.scheduled.delete(top.key);
        this.onDue(top.key);
      }
    }
    this.arm();
  }

  private arm(): void {
    this.dropStale();
    const top = this.heap.peek();
    if (top === undefined || (this.armed !== null && this.armed.at <= top.at)) {
      return;
    }
    this.armed?.cancel();
    const timer = this.clock.setTimer(() => this.fireDue(), top.at - this.clock.now());
    this.armed = { at: top.at, cancel: () => timer.cancel() };
  }

  private dropStale(): void {
    for (
      let top = this.heap.peek();
      top !== undefined && this.scheduled.get(top.key) !== top.at;
      top = this.heap.peek()
    ) {
      this.heap.pop();
    }
  }
}
