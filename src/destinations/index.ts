/**
 * Destination URIs: `duckdb:<path>` (or a bare path ending in .duckdb / .db), the embedded default;
 * `parquet:<dir>[?keep=N]` and `s3://bucket/prefix[?keep=N&cache=<dir>]`, a Parquet lake;
 * `postgres://…` / `postgresql://…` (libpq's URI form, plus `?schema=`), or the bare word `postgres` for the
 * standard PG* environment variables.
 * Each destination lives in its own file and implements the contract of ../core/contract.ts.
 */
import { ConfigError } from '../core/errors.js';
import { DuckDbDestination } from './duckdb.js';
import { destinationKind } from './kinds.js';
import { parquetDestinationFromUri, s3DestinationFromUri } from './lake-uri.js';
import { redactUri } from '../core/secrets.js';
import { PostgresDestination } from './postgres.js';
import { parsePostgresUri, postgresOptionsFromEnv } from './postgres-options.js';
import type { Destination } from '../core/contract.js';

export type { Destination } from '../core/contract.js';

export function openDestination(uri: string): Destination {
  const named = destinationKind(uri);
  switch (named?.kind) {
    case 'duckdb': return duckdb(named.target);
    case 'parquet': return parquetDestinationFromUri(named.target);
    case 's3': return s3DestinationFromUri(named.target);
    case 'postgres':
      return new PostgresDestination(/:\/\//.test(named.target) ? parsePostgresUri(named.target) : postgresOptionsFromEnv());
    case undefined: throw new ConfigError(
      `unsupported destination "${redactUri(uri.trim())}": use duckdb:<file>, parquet:<dir>, s3://<bucket>/<prefix>, `
      + 'postgres://user:password@host:port/database[?schema=name] or postgres (from the PG* variables), '
      + 'e.g. --dest duckdb:activecampaign.duckdb',
    );
  }
}

function duckdb(path: string): Destination {
  if (!path) throw new ConfigError('the duckdb destination needs a file: --dest duckdb:<file>');
  return new DuckDbDestination({ path });
}
