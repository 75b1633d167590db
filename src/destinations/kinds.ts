/**
 * Which destination a URI names (./uri-kind.ts, re-exported) and where a reader of the copy finds its tables.
 */
import { basename, extname } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { redactUri } from '../core/secrets.js';
import { postgresOptionsOf } from './postgres-options.js';
import { destinationKind } from './uri-kind.js';

export { destinationKind, type DestinationKind } from './uri-kind.js';

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
      const options = postgresOptionsOf(named.target);
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
