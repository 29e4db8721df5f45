import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Full collections at most this often. */
const MIN_INTERVAL_MS = 10_000;

/**
 * Returns a function that runs one full garbage collection soon (at most every 10 s) if the
 * process is still idle then (`isIdle`). The host calls it when its last actor leaves memory:
 * after a burst V8 keeps the heap it grew to (up to ~4x the live data) as long as the process
 * allocates little, so an idle service would hold hundreds of MB of garbage (bench H5, see
 * docs/performance.md). Setting `--expose-gc` at run time only adds the `gc` function.
 */
export function memoryReleaser(isIdle: () => boolean): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  let last = -Infinity;
  let pending: NodeJS.Timeout | null = null;
  return () => {
    if (gc === undefined || pending !== null) {
      return;
    }
    pending = setTimeout(
      () => {
        pending = null;
        if (isIdle()) {
          last = Date.now();
          gc();
        }
      },
      Math.max(0, last + MIN_INTERVAL_MS - Date.now()),
    );
    pending.unref();
  };
}
