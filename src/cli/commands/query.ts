import type { Command } from 'commander';
import { DEFAULT_DEST } from '../../core/defaults.js';
import { runCli } from '../exit.js';
import type { QueryFlags } from '../query.js';

/**
 * Runs SQL against the copy, read-only, where `sync` writes it (the same --dest, ACSYNC_DEST or config file): a
 * DuckDB file, or a Parquet lake through its views. Handy where the duckdb CLI is not installed.
 */
export function registerQuery(program: Command): void {
  program
    .command('query <sql>')
    .description('run a SQL query on the copy (read-only) and print the result')
    .option('--dest <uri>', `duckdb:<file> or parquet:<dir> (default: as sync: env ACSYNC_DEST, the config file, ${DEFAULT_DEST})`)
    .option('--config <file>', 'JSON config file (default: ./acsync.json if present)')
    .option('--json', 'print rows as JSON lines')
    .action(async (sql: string, flags: QueryFlags) => {
      process.exitCode = await runCli('text', async () => (await import('../query.js')).runQuery(sql, flags));
    });
}
