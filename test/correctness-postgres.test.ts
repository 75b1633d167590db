import { correctnessSuite } from './support/correctness-suite.js';
import { postgresTarget } from './support/targets.js';

correctnessSuite('postgres', postgresTarget);
