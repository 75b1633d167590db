/** What the commands that read a copy (query, runs, status) share: which destination they look at. */
import { DEFAULT_DEST } from '../core/defaults.js';
import { loadConfigFile } from './config.js';

export interface DestinationFlags {
  dest?: string;
  config?: string;
}

/** The destination a reading command looks at: where `sync` writes (--dest, ACSYNC_DEST, the config file). */
export function destinationOf(flags: DestinationFlags): string {
  return flags.dest ?? process.env.ACSYNC_DEST ?? loadConfigFile(flags.config).dest ?? DEFAULT_DEST;
}

/** The --dest option of the reading commands, described alike. */
export const DEST_OPTION_HELP = `duckdb:<file>, postgres://…, parquet:<dir> or s3://<bucket>/<prefix> (default: as sync: env ACSYNC_DEST, the config file, ${DEFAULT_DEST})`;
