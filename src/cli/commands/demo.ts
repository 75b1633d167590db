import type { Command } from 'commander';
import { DEFAULT_DEST } from '../../core/defaults.js';
import type { DemoFlags } from '../demo.js';
import { runCli } from '../exit.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('sync a simulated ActiveCampaign account into a DuckDB file, then show queries to try')
    .option('--dest <uri>', `destination (default ${DEFAULT_DEST})`)
    .option('--contacts <n>', 'size of the simulated account', '1000')
    .option('--unthrottled', 'lift the simulated 5 requests/s limit (faster, less realistic)')
    .option('--log-format <format>', 'text or json', 'text')
    .action(async (flags: DemoFlags & { logFormat?: string }) => {
      process.exitCode = await runCli(flags.logFormat, async (logger) => (await import('../demo.js')).runDemo(flags, logger));
    });
}
