import { correctnessSuite } from './support/correctness-suite.js';
import { resumeSuite } from './support/resume-suite.js';
import { parquetTarget } from './support/targets.js';

correctnessSuite('parquet', parquetTarget);
resumeSuite('parquet', parquetTarget);
