import type { Command } from 'commander';
import { runCli } from '../exit.js';
import { DEST_OPTION_HELP } from './dest-option.js';
import type { QueryFlags } from '../query.js';

/** Runs SQL against the copy, read-only, where `sync` writes it: DuckDB, PostgreSQL, a Parquet lake or S3. */
export function registerQuery(program: Command): void {
  program
    .command('query <sql>')
    .description('run a SQL query on the copy (read-only) and print the result')
    .option('--dest <uri>', DEST_OPTION_HELP)
    .option('--config <file>', 'JSON config file (default: ./acsync.json if present)')
    .option('--json', 'print rows as JSON lines')
    .action(async (sql: string, flags: QueryFlags) => {
      process.exitCode = await runCli('text', async () => (await import('../query.js')).runQuery(sql, flags));
    });
}
