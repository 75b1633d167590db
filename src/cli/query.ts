import type { Command } from 'commander';
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { runCli } from './exit.js';

/** Runs SQL against the DuckDB copy, read-only: handy where the duckdb CLI is not installed. */
export function registerQuery(program: Command): void {
  program
    .command('query <sql>')
    .description('run a SQL query on the DuckDB copy (read-only) and print the result')
    .option('--dest <uri>', 'DuckDB destination', 'duckdb:activecampaign.duckdb')
    .option('--json', 'print rows as JSON lines')
    .action(async (sql: string, flags: { dest: string; json?: boolean }) => {
      process.exitCode = await runCli('text', async () => {
        const path = flags.dest.replace(/^duckdb:/, '');
        if (!existsSync(path)) throw new ConfigError(`no DuckDB file at ${path}: run acsync sync (or acsync demo) first`);
        const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
        const connection = await instance.connect();
        try {
          const reader = await connection.runAndReadAll(sql);
          const rows = reader.getRowObjectsJson();
          if (flags.json) {
            for (const row of rows) process.stdout.write(JSON.stringify(row) + '\n');
          } else {
            printTable(reader.columnNames(), rows as Record<string, unknown>[]);
          }
          return 0;
        } catch (error) {
          throw new ConfigError(`query failed: ${(error as Error).message.split('\n')[0]}`);
        } finally {
          connection.closeSync();
          instance.closeSync();
        }
      });
    });
}

function printTable(columns: string[], rows: Record<string, unknown>[]): void {
  const cell = (v: unknown) => (v === null || v === undefined ? 'NULL' : String(v).replace(/\s+/g, ' ').slice(0, 60));
  // A loop, not Math.max(...rows): spreading a large result overflows the call stack.
  const widths = columns.map((c) => rows.reduce((width, r) => Math.max(width, cell(r[c]).length), c.length));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))];
  process.stdout.write(out.join('\n') + `\n(${rows.length} rows)\n`);
}
