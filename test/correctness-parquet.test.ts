import { correctnessSuite } from './support/correctness-suite.js';
import { parquetTarget } from './support/targets.js';

correctnessSuite('parquet', parquetTarget);
