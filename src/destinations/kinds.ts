/**
 * Which destination a URI names, told from its form alone (nothing opened, nothing loaded): the one place that
 * reads the URI forms listed in ./index.ts; and where a reader of the copy finds its tables.
 */
import { basename, extname } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { redactUri } from '../core/secrets.js';
import { parsePostgresUri, postgresOptionsFromEnv } from './postgres-options.js';

export type DestinationKind = 'duckdb' | 'parquet' | 's3' | 'postgres';

/** The kind of destination and the rest of the URI (the file, folder or URI itself), or undefined if unknown. */
export function destinationKind(uri: string): { readonly kind: DestinationKind; readonly target: string } | undefined {
  const value = uri.trim();
  if (value.startsWith('duckdb:')) return { kind: 'duckdb', target: value.slice('duckdb:'.length) };
  if (/\.(duckdb|db)$/i.test(value) && !value.includes('://')) return { kind: 'duckdb', target: value };
  if (value.startsWith('parquet:')) return { kind: 'parquet', target: value.slice('parquet:'.length) };
  if (value.startsWith('s3://')) return { kind: 's3', target: value };
  if (/^postgres(ql)?:\/\//i.test(value) || value === 'postgres' || value === 'postgresql') return { kind: 'postgres', target: value };
  return undefined;
}

/** Where a reader (dbt, a BI tool) finds the tables of the copy at `uri`: the database (catalog) and schema. */
export interface TablesLocation {
  readonly database?: string | undefined;
  readonly schema: string;
  /** What a reader must do first for the tables to exist there (a Parquet lake's views). */
  readonly note?: string | undefined;
}

export function tablesLocation(uri: string): TablesLocation {
  const named = destinationKind(uri);
  switch (named?.kind) {
    // DuckDB names an attached file's catalog after the file.
    case 'duckdb': return { database: basename(named.target, extname(named.target)), schema: 'main' };
    case 'postgres': {
      const options = /:\/\//.test(named.target) ? parsePostgresUri(named.target) : postgresOptionsFromEnv();
      return { database: options.database, schema: options.schema };
    }
    case 'parquet':
    case 's3': return {
      schema: 'main',
      note: "The tables are the views that the lake's _acsync/views.sql creates over its current files: run it in the DuckDB session first (with dbt-duckdb, in on-run-start).",
    };
    case undefined: throw new ConfigError(`unsupported destination "${redactUri(uri)}": use duckdb:<file>, parquet:<dir>, s3://<bucket>/<prefix> or postgres://…`);
  }
}
