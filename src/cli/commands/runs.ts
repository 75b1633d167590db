import type { Command } from 'commander';
import { runCli } from '../exit.js';
import { DEST_OPTION_HELP } from './dest-option.js';
import type { RunsFlags } from '../runs.js';

export function registerRuns(program: Command): void {
  program
    .command('runs')
    .description('list the syncs recorded in the destination, most recent first')
    .option('--dest <uri>', DEST_OPTION_HELP)
    .option('--config <file>', 'JSON config file (default: ./acsync.json if present)')
    .option('--limit <n>', 'at most this many runs (default 20)')
    .option('--json', 'print each run as a JSON line, with its tables')
    .action(async (flags: RunsFlags) => {
      process.exitCode = await runCli('text', async () => (await import('../runs.js')).runRuns(flags));
    });
}
