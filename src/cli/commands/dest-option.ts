import { DEFAULT_DEST } from '../../core/defaults.js';

/** The --dest option of the commands that read a copy (query, runs, status), described alike. */
export const DEST_OPTION_HELP = `duckdb:<file>, postgres://…, parquet:<dir> or s3://<bucket>/<prefix> (default: as sync: env ACSYNC_DEST, the config file, ${DEFAULT_DEST})`;
