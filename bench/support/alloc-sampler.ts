/**
 * Preloaded into each Hookpost process by `npm run bench -- --alloc-profile` (`--import`): samples
 * every allocation, collected ones included, which Node's own `--heap-prof` leaves out (it keeps
 * what is still live at exit). The profile goes to bench/results/profiles/ as the process stops;
 * open it in Chrome DevTools' Memory tab, or sum `selfSize` per call frame.
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

let written = false;
function write(): void {
  if (written) {
    return;
  }
  written = true;
  // The inspector session answers synchronously within the process, so the file is written before exit.
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error === null) {
      writeFileSync(out, JSON.stringify(result.profile));
    }
  });
}
// Prepended: Hookpost's own handlers stop the process; the sample is taken before they run.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.prependListener(signal, write);
}
process.on('exit', write);
