/**
 * `acsync query`: runs SQL against the copy, read-only (declared in ./commands/query.ts), a DuckDB file or a Parquet
 * lake through its views.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DEST } from '../core/defaults.js';
import { ConfigError } from '../core/errors.js';
import { redactUri } from '../core/secrets.js';
import { loadConfigFile } from './config.js';

export interface QueryFlags {
  dest?: string;
  config?: string;
  json?: boolean;
}

/** `acsync query <sql>`: the rows on stdout as a table, or as JSON lines with `--json`. */
export async function runQuery(sql: string, flags: QueryFlags): Promise<number> {
  const dest = flags.dest ?? process.env.ACSYNC_DEST ?? loadConfigFile(flags.config).dest ?? DEFAULT_DEST;
  const { columns, rows } = await readQuery(dest, sql);
  if (flags.json) {
    for (const row of rows) process.stdout.write(JSON.stringify(row) + '\n');
  } else {
    printTable(columns, rows);
  }
  return 0;
}

async function readQuery(dest: string, sql: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
  const instance = await openForQuery(dest.trim());
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Record<string, unknown>[] };
  } catch (error) {
    throw new ConfigError(`query failed: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A DuckDB file opened read-only, or an in-memory DuckDB with a lake's views. */
async function openForQuery(dest: string): Promise<DuckDBInstance> {
  if (dest.startsWith('parquet:')) {
    const lake = dest.slice('parquet:'.length).replace(/\?.*$/, '');
    const views = join(lake, '_acsync', 'views.sql');
    if (!existsSync(views)) throw new ConfigError(`no Parquet lake at ${lake} (no _acsync/views.sql): run acsync sync --dest ${dest} first`);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(readFileSync(views, 'utf8'));
    } finally {
      connection.closeSync();
    }
    return instance;
  }
  if (/^(postgres(ql)?:\/\/|s3:\/\/)/i.test(dest) || dest === 'postgres' || dest === 'postgresql') {
    throw new ConfigError(`query reads a DuckDB file or a local Parquet lake; query ${redactUri(dest)} with its own client (psql, or DuckDB over the lake's views.sql)`);
  }
  const path = dest.replace(/^duckdb:/, '');
  if (!existsSync(path)) throw new ConfigError(`no DuckDB file at ${path}: run acsync sync (or acsync demo) first`);
  try {
    return await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  } catch (error) {
    const message = (error as Error).message;
    // DuckDB lets one process write a file, and nobody read it meanwhile.
    if (/lock/i.test(message)) {
      const pid = /PID (\d+)/.exec(message)?.[1];
      throw new ConfigError(`${path} is in use by another process${pid ? ` (PID ${pid})` : ''}, such as a sync still running: query it when that ends`);
    }
    throw new ConfigError(`cannot open ${path}: ${message.split('\n')[0]}`);
  }
}

function printTable(columns: string[], rows: Record<string, unknown>[]): void {
  const cell = (v: unknown) => (v === null || v === undefined ? 'NULL' : String(v).replace(/\s+/g, ' ').slice(0, 60));
  // A loop, not Math.max(...rows): spreading a large result overflows the call stack.
  const widths = columns.map((c) => rows.reduce((width, r) => Math.max(width, cell(r[c]).length), c.length));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))];
  process.stdout.write(out.join('\n') + `\n(${rows.length} rows)\n`);
}
