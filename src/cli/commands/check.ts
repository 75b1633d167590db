import type { Command } from 'commander';
import type { SyncFlags } from '../config.js';
import { runCli } from '../exit.js';
import { connectionOptions } from './sync.js';

export function registerCheck(program: Command): void {
  connectionOptions(
    program
      .command('check')
      .description('check the URL and key, and which tables the key may read (exit 0 only if all of them)')
      .option('--tables <list>', 'only these tables')
      .option('--exclude <list>', 'every table but these'),
  ).action(async (flags: SyncFlags & { logFormat?: string }) => {
    process.exitCode = await runCli(flags.logFormat, async (logger) => (await import('../check.js')).runCheck(flags, logger));
  });
}
