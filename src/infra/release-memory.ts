import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Full collections at most this often. */
const MIN_INTERVAL_MS = 10_000;
/** How long the process must have been idle before the collection: the last steps' writes settle. */
const SETTLE_MS = 5_000;
/** A second collection this long after the first, if still idle: background work (queued purges) ends. */
const FOLLOW_UP_MS = 30_000;

type Gc = () => void;

/**
 * The `gc` function: the one `--expose-gc` installs when the process was started with it, else the
 * one V8 installs in contexts created after the flag is set at run time. Node documents
 * `setFlagsFromString` as "use with care" (flags changed after start-up may do nothing); this flag
 * only adds a function to new contexts and changes nothing else, and a failure leaves no `gc`, so
 * no collection is forced (memory is then given back only as V8 sees fit).
 */
function findGc(): Gc | undefined {
  const exposed = (globalThis as { gc?: Gc }).gc;
  if (typeof exposed === 'function') {
    return exposed;
  }
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as Gc | undefined;
  } catch {
    return undefined;
  }
}

/**
 * One full, compacting collection. A plain full GC frees the garbage but V8 keeps every old-space
 * page that still holds a live object, and after a burst the few survivors are spread over nearly
 * all of them (measured: 168 MiB of old space kept for 15 MiB of live data; compacted, 16 MiB).
 * The flag is read by V8 when a full GC starts; it is set only around this synchronous call, on the
 * main thread, so no other collection compacts everything.
 */
function compactingGc(gc: Gc): void {
  try {
    setFlagsFromString('--compact-on-every-full-gc');
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/**
 * Returns a function that runs a full compacting garbage collection soon (SETTLE_MS, at most every
 * 10 s) if the process is still idle then (`isIdle`), and once more FOLLOW_UP_MS later if it still
 * is. The host calls it when its last actor leaves memory: after a burst V8 keeps the heap it grew
 * to (several times the live data) as long as the process allocates little, so an idle service
 * would hold hundreds of MB of garbage (bench H5, see docs/performance.md).
 */
export function memoryReleaser(isIdle: () => boolean): () => void {
  const gc = findGc();
  let last = -Infinity;
  let pending: NodeJS.Timeout | null = null;
  const schedule = (delay: number, followUp: boolean): void => {
    pending = setTimeout(
      () => {
        pending = null;
        if (gc === undefined || !isIdle()) {
          return;
        }
        last = Date.now();
        compactingGc(gc);
        if (followUp) {
          schedule(FOLLOW_UP_MS, false);
        }
      },
      Math.max(delay, last + MIN_INTERVAL_MS - Date.now()),
    );
    pending.unref();
  };
  return () => {
    if (gc !== undefined && pending === null) {
      schedule(SETTLE_MS, true);
    }
  };
}
