import { writeFile } from 'node:fs/promises';
import { TABLES } from '../catalog/index.js';
import { dbtSources } from '../dbt/sources.js';
import { tablesLocation } from '../destinations/kinds.js';
import { destinationOf, type DestinationFlags } from './reading.js';

export interface DbtFlags extends DestinationFlags {
  out?: string;
}

/** Writes the dbt sources of the copy at the destination `sync` writes to (--dest, ACSYNC_DEST, the config file). */
export async function runDbt(flags: DbtFlags): Promise<number> {
  const text = dbtSources(TABLES, tablesLocation(destinationOf(flags)));
  if (flags.out === undefined) process.stdout.write(text);
  else await writeFile(flags.out, text);
  return 0;
}
