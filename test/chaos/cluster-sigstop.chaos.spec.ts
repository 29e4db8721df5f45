import { chaosTest } from './chaos-test.js';
import { clusterSigstop } from './cluster-scenarios.js';

chaosTest(clusterSigstop);
