/**
 * Preloaded into each Hookpost process by `npm run bench -- --alloc-profile` (`--import`): samples
 * every allocation, collected ones included, which Node's own `--heap-prof` leaves out (it keeps
 * what is still live at exit). The profile goes to bench/results/profiles/ when the process exits
 * (Hookpost's stop on SIGTERM ends in an exit); a process killed with SIGKILL (H6) writes none.
 * Open it in Chrome DevTools' Memory tab, or sum `selfSize` per call frame.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { fileURLToPath } from 'node:url';

const out = fileURLToPath(
  new URL(`../../../bench/results/profiles/alloc-${process.pid}.heapprofile`, import.meta.url),
);
const session = new Session();
session.connect();
session.post('HeapProfiler.startSampling', {
  samplingInterval: 16_384,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});

// No signal handler of its own: one would keep a SIGTERM from ending the process before Hookpost's
// handlers are installed. An in-process inspector session answers within post(), so the file is
// written before the exit completes.
process.on('exit', () => {
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error === null) {
      writeFileSync(out, JSON.stringify(result.profile));
    } else {
      process.stderr.write(`alloc-sampler: no profile: ${error.message}\n`);
    }
  });
});
