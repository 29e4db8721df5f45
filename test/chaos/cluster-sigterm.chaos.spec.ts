import { chaosTest } from './chaos-test.js';
import { clusterSigterm } from './cluster-scenarios.js';

chaosTest(clusterSigterm);
