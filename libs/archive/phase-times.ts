import { performance } from 'node:perf_hooks';

/** The stages of an archive run, timed for the report (H9 reads them to find the limit). */
export type ArchivePhase = 'read' | 'encode' | 'check' | 'write' | 'commit' | 'compact';

/**
 * Milliseconds spent in each stage. The stages of different files overlap (the next file is read
 * and written while the one before is committed), so the sum can exceed the run's elapsed time.
 */
export class PhaseTimes {
  private readonly ms: Record<ArchivePhase, number> = {
    read: 0,
    encode: 0,
    check: 0,
    write: 0,
    commit: 0,
    compact: 0,
  };

  async time<T>(phase: ArchivePhase, work: () => T | Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.ms[phase] += performance.now() - started;
    }
  }

  rounded(): Record<ArchivePhase, number> {
    const entries = Object.entries(this.ms).map(([phase, ms]) => [phase, Math.round(ms)]);
    return Object.fromEntries(entries) as Record<ArchivePhase, number>;
  }
}
