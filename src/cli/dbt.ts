import { writeFile } from 'node:fs/promises';
import { TABLES } from '../catalog/index.js';
import { DEFAULT_DEST } from '../core/defaults.js';
import { dbtSources } from '../dbt/sources.js';
import { tablesLocation } from '../destinations/kinds.js';
import { loadConfigFile } from './config.js';

export interface DbtFlags {
  dest?: string;
  config?: string;
  out?: string;
}

/** Writes the dbt sources of the copy at the destination `sync` writes to (--dest, ACSYNC_DEST, the config file). */
export async function runDbt(flags: DbtFlags): Promise<number> {
  const dest = flags.dest ?? process.env.ACSYNC_DEST ?? loadConfigFile(flags.config).dest ?? DEFAULT_DEST;
  const text = dbtSources(TABLES, tablesLocation(dest));
  if (flags.out === undefined) process.stdout.write(text);
  else await writeFile(flags.out, text);
  return 0;
}
