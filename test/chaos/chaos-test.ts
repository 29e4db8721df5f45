import { expectInvariants, recordResult } from './report.js';
import { runScenario, summaryLine } from './run-scenario.js';
import { fullScale } from './scenarios.js';
import type { Scenario } from './run-scenario.js';

/** Generous: the load phase, the drain, starting and stopping services, on a busy 2-core machine. */
const TIMEOUT_MS = 420_000;

/**
 * Declares the full-suite test of one scenario: run it, print its counts, store them in
 * docs/reliability.{json,md} (before asserting, so a failing run is on record too), check the invariants.
 */
export function chaosTest(scenario: Scenario): void {
  test(
    `${scenario.title}: nothing accepted is lost, order is kept`,
    async () => {
      const result = await runScenario(scenario, fullScale(scenario));
      process.stdout.write(summaryLine(result));
      await recordResult(result);
      expectInvariants(result);
    },
    TIMEOUT_MS,
  );
}
