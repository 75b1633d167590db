import type { Command } from 'commander';
import { DEFAULT_DEST } from '../../core/defaults.js';
import type { DbtFlags } from '../dbt.js';
import { runCli } from '../exit.js';

export function registerDbt(program: Command): void {
  program
    .command('dbt')
    .description('write dbt sources (sources.yml) for the copy: tables, columns, descriptions, key and relationship tests')
    .option('--dest <uri>', `the destination the copy is in (default: as sync: env ACSYNC_DEST, the config file, ${DEFAULT_DEST})`)
    .option('--config <file>', 'JSON config file (default: ./acsync.json if present)')
    .option('--out <file>', 'write to this file instead of stdout (e.g. models/sources.yml)')
    .action(async (flags: DbtFlags) => {
      process.exitCode = await runCli('text', async () => (await import('../dbt.js')).runDbt(flags));
    });
}
