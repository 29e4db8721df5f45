import { chaosTest } from './chaos-test.js';
import { natsNodeKill } from './scenarios.js';

chaosTest(natsNodeKill);
