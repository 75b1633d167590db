import type { Command } from 'commander';
import { DEFAULT_DEST } from '../core/defaults.js';
import { withReader } from '../destinations/readback.js';
import { loadConfigFile } from './config.js';
import { runCli } from './exit.js';

export interface DestinationFlags {
  dest?: string;
  config?: string;
}

interface QueryFlags extends DestinationFlags {
  json?: boolean;
}

/** The destination a reading command looks at: where `sync` writes (--dest, ACSYNC_DEST, the config file). */
export function destinationOf(flags: DestinationFlags): string {
  return flags.dest ?? process.env.ACSYNC_DEST ?? loadConfigFile(flags.config).dest ?? DEFAULT_DEST;
}

/** The --dest option of the reading commands, described alike. */
export const DEST_OPTION_HELP = `duckdb:<file>, postgres://…, parquet:<dir> or s3://<bucket>/<prefix> (default: as sync: env ACSYNC_DEST, the config file, ${DEFAULT_DEST})`;

/**
 * Runs SQL against the copy, read-only, where `sync` writes it (the same --dest, ACSYNC_DEST or config file): a
 * DuckDB file; a PostgreSQL schema, in a read-only transaction; a Parquet lake, local or on S3, through its
 * views (../destinations/readback.ts). Handy where the duckdb CLI or psql is not installed.
 */
export function registerQuery(program: Command): void {
  program
    .command('query <sql>')
    .description('run a SQL query on the copy (read-only) and print the result')
    .option('--dest <uri>', DEST_OPTION_HELP)
    .option('--config <file>', 'JSON config file (default: ./acsync.json if present)')
    .option('--json', 'print rows as JSON lines')
    .action(async (sql: string, flags: QueryFlags) => {
      process.exitCode = await runCli('text', async () => {
        const { columns, rows } = await withReader(destinationOf(flags), (reader) => reader.query(sql));
        if (flags.json) {
          for (const row of rows) process.stdout.write(JSON.stringify(row) + '\n');
        } else {
          printTable(columns, rows);
        }
        return 0;
      });
    });
}

function printTable(columns: readonly string[], rows: readonly Record<string, unknown>[]): void {
  const cell = (v: unknown) => (v === null || v === undefined ? 'NULL' : String(v).replace(/\s+/g, ' ').slice(0, 60));
  // A loop, not Math.max(...rows): spreading a large result overflows the call stack.
  const widths = columns.map((c) => rows.reduce((width, r) => Math.max(width, cell(r[c]).length), c.length));
  const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))];
  process.stdout.write(out.join('\n') + `\n(${rows.length} rows)\n`);
}
