import { chaosTest } from './chaos-test.js';
import { hookpostKill } from './scenarios.js';

chaosTest(hookpostKill);
