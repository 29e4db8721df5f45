import { chaosTest } from './chaos-test.js';
import { natsKill } from './scenarios.js';

chaosTest(natsKill);
