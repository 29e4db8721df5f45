import type { Clock } from './clock.js';

interface Entry {
  readonly key: string;
  readonly at: number;
}

/**
 * One timer for all waiting customers: a binary min-heap of wake-up times and a single armed
 * timer for the earliest. Scheduling a key again replaces its earlier time.
 */
export class TimerQueue {
  private readonly heap: Entry[] = [];
  private readonly scheduled = new Map<string, number>();
  private armed: { at: number; cancel(): void } | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (key: string) => void,
  ) {}

  /** Wakes `key` at `at` (epoch ms); replaces any earlier schedule of the same key. */
  schedule(key: string, at: number): void {
    this.scheduled.set(key, at);
    this.push({ key, at });
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
    this.heap.length = 0;
  }

  /** Fires every due key; called by the timer, and callable by tests after moving a manual clock. */
  fireDue(): void {
    this.armed = null;
    const now = this.clock.now();
    for (let top = this.heap[0]; top !== undefined && top.at <= now; top = this.heap[0]) {
      this.pop();
      if (this.scheduled.get(top.key) === top.at) {
        this.scheduled.delete(top.key);
        this.onDue(top.key);
      }
    }
    this.arm();
  }

  private arm(): void {
    this.dropStale();
    const top = this.heap[0];
    if (top === undefined || (this.armed !== null && this.armed.at <= top.at)) {
      return;
    }
    this.armed?.cancel();
    const timer = this.clock.setTimer(() => this.fireDue(), top.at - this.clock.now());
    this.armed = { at: top.at, cancel: () => timer.cancel() };
  }

  private dropStale(): void {
    for (
      let top = this.heap[0];
      top !== undefined && this.scheduled.get(top.key) !== top.at;
      top = this.heap[0]
    ) {
      this.pop();
    }
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent]!.at <= entry.at) {
        break;
      }
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) {
      return;
    }
    // Sift the former last entry down from the root.
    let index = 0;
    for (;;) {
      const left = index * 2 + 1;
      const child = left + 1 < heap.length && heap[left + 1]!.at < heap[left]!.at ? left + 1 : left;
      if (child >= heap.length || heap[child]!.at >= last.at) {
        break;
      }
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = last;
  }
}
