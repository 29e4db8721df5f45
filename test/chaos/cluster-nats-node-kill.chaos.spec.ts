import { chaosTest } from './chaos-test.js';
import { clusterNatsNodeKill } from './cluster-scenarios.js';

chaosTest(clusterNatsNodeKill);
