/**
 * The Parquet correctness checks with versions written in many small parts: each table larger than 100 rows is
 * merged one key range at a time, and incremental passes split multi-part versions again.
 */
import { correctnessSuite } from './support/correctness-suite.js';
import { parquetTarget } from './support/targets.js';

// Read by the sync processes the suite starts (they inherit this environment).
process.env.ACSYNC_LAKE_PART_ROWS = '100';

correctnessSuite('parquet in parts of about 100 rows', parquetTarget);
