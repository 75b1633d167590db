import type { Command } from 'commander';
import { runCli } from '../exit.js';
import { DEST_OPTION_HELP } from './dest-option.js';
import type { StatusFlags } from '../status.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show, per table, the last successful sync, rows, cursor and what the next sync does')
    .option('--dest <uri>', DEST_OPTION_HELP)
    .option('--config <file>', 'JSON config file (default: ./acsync.json if present)')
    .option('--json', 'print the status as one JSON object')
    .action(async (flags: StatusFlags) => {
      process.exitCode = await runCli('text', async () => (await import('../status.js')).runStatus(flags));
    });
}
