import { chaosTest } from './chaos-test.js';
import { clusterJoin } from './cluster-scenarios.js';

chaosTest(clusterJoin);
