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
