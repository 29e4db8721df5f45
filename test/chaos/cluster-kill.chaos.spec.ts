import { chaosTest } from './chaos-test.js';
import { clusterKill } from './cluster-scenarios.js';

chaosTest(clusterKill);
