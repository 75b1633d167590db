import type { Command } from 'commander';

export function registerDiscover(program: Command): void {
  program
    .command('discover')
    .description('list the 33 tables with their columns, types, keys and replication modes')
    .option('--json', 'print the catalog as JSON')
    .action(async (flags: { json?: boolean }) => (await import('../discover.js')).runDiscover(flags));
}
