/**
 * `acsync query` (declared in ./commands/query.ts): SQL against the copy, read-only, where `sync` writes it: a
 * DuckDB file; a PostgreSQL schema, in a read-only transaction; a Parquet lake, local or on S3, through its views
 * (../destinations/readback.ts). Handy where the duckdb CLI or psql is not installed.
 */
import { withReader } from '../destinations/readback.js';
import { destinationOf, type DestinationFlags } from './reading.js';

export interface QueryFlags extends DestinationFlags {
  json?: boolean;
}

/** The rows on stdout as a table, or as JSON lines with `--json`. */
export async function runQuery(sql: string, flags: QueryFlags): Promise<number> {
  const { columns, rows } = await withReader(destinationOf(flags), (reader) => reader.query(sql));
  if (flags.json) {
    for (const row of rows) process.stdout.write(JSON.stringify(row) + '\n');
  } else {
    printTable(columns, rows);
  }
  return 0;
}

function printTable(columns: readonly string[], rows: readonly Record<string, unknown>[]): void {
  const cell = (v: unknown) => (v === null || v === undefined ? 'NULL' : String(v).replace(/\s+/g, ' ').slice(0, 60));
  // A loop, not Math.max(...rows): spreading a large result overflows the call stack.
  const widths = columns.map((c) => rows.reduce((width, r) => Math.max(width, cell(r[c]).length), c.length));
  const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))];
  process.stdout.write(out.join('\n') + `\n(${rows.length} rows)\n`);
}
