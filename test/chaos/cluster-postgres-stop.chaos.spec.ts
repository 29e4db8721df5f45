import { chaosTest } from './chaos-test.js';
import { clusterPostgresStop } from './cluster-scenarios.js';

chaosTest(clusterPostgresStop);
