import { correctnessSuite } from './support/correctness-suite.js';
import { resumeSuite } from './support/resume-suite.js';
import { duckdbTarget } from './support/targets.js';

correctnessSuite('duckdb', duckdbTarget);
resumeSuite('duckdb', duckdbTarget);
