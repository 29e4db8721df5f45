import { chaosTest } from './chaos-test.js';
import { twoInstances } from './scenarios.js';

chaosTest(twoInstances);
