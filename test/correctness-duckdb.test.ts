import { correctnessSuite } from './support/correctness-suite.js';
import { duckdbTarget } from './support/targets.js';

correctnessSuite('duckdb', duckdbTarget);
