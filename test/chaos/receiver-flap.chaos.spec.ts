import { chaosTest } from './chaos-test.js';
import { receiverFlap } from './scenarios.js';

chaosTest(receiverFlap);
