import { correctnessSuite } from './support/correctness-suite.js';
import { resumeSuite } from './support/resume-suite.js';
import { postgresTarget } from './support/targets.js';

correctnessSuite('postgres', postgresTarget);
resumeSuite('postgres', postgresTarget);
