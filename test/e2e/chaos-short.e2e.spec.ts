import { expectInvariants } from '../chaos/report.js';
import { runScenario, summaryLine } from '../chaos/run-scenario.js';
import { SCENARIOS, shortScale } from '../chaos/scenarios.js';

// The chaos suite in miniature (npm run test:chaos runs it at full length and writes docs/reliability.md):
// each fault once or a few times over a short load, with the same invariants.
describe('fault injection, short', () => {
  test.each(SCENARIOS.map((scenario) => [scenario.name, scenario] as const))(
    '%s: nothing accepted is lost, order is kept',
    async (_name, scenario) => {
      const result = await runScenario(scenario, shortScale(scenario));
      process.stdout.write(summaryLine(result));
      expectInvariants(result);
    },
    150_000,
  );
});
