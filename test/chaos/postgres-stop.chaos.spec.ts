import { chaosTest } from './chaos-test.js';
import { postgresStop } from './scenarios.js';

chaosTest(postgresStop);
