import { expectInvariants } from '../chaos/report.js';
import { clusterJoin, clusterKill, clusterSigstop, clusterSigterm } from '../chaos/cluster-scenarios.js';
import { runScenario, summaryLine } from '../chaos/run-scenario.js';
import { shortScale } from '../chaos/scenarios.js';

// Three real instances in miniature (npm run test:chaos runs these and two more at full length):
// one frozen past its lease and woken, one killed, one stopped with SIGTERM, and a fourth joining,
// with the cluster checks.
// A freeze that lands inside an append is covered: the server ends the frozen session's transaction
// after half a lease (docs/reliability.md, "Three instances").
describe('active-active fault injection, short', () => {
  test.each(
    [clusterSigstop, clusterKill, clusterSigterm, clusterJoin].map(
      (scenario) => [scenario.name, scenario] as const,
    ),
  )(
    '%s: nothing accepted is lost, order is kept, no overlap but the allowed one',
    async (_name, scenario) => {
      const result = await runScenario(scenario, shortScale(scenario));
      process.stdout.write(summaryLine(result));
      expectInvariants(result);
    },
    150_000,
  );
});
