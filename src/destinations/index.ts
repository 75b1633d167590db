/**
 * Destination URIs: `duckdb:<path>` (or a bare path ending in .duckdb / .db), the embedded default;
 * `parquet:<dir>[?keep=N]` and `s3://bucket/prefix[?keep=N&cache=<dir>]`, a Parquet lake;
 * `postgres://…` / `postgresql://…` (libpq's URI form, plus `?schema=`), or the bare word `postgres` for the
 * standard PG* environment variables.
 * Each destination lives in its own file and implements the contract of ../core/contract.ts. Only the chosen
 * destination's module is imported (DuckDB and pg each take a large share of a second to load).
 */
import { ConfigError } from '../core/errors.js';
import { destinationKind } from './kinds.js';
import { redactUri } from '../core/secrets.js';
import { postgresOptionsOf, type PostgresOptions } from './postgres-options.js';
import type { Destination } from '../core/contract.js';

export type { Destination } from '../core/contract.js';

export async function openDestination(uri: string): Promise<Destination> {
  const named = destinationKind(uri);
  switch (named?.kind) {
    case 'duckdb': return duckdb(named.target);
    case 'parquet': return (await import('./lake-uri.js')).parquetDestinationFromUri(named.target);
    case 's3': return (await import('./lake-uri.js')).s3DestinationFromUri(named.target);
    case 'postgres': return postgres(postgresOptionsOf(named.target));
    case undefined: throw new ConfigError(
      `unsupported destination "${redactUri(uri.trim())}": use duckdb:<file>, parquet:<dir>, s3://<bucket>/<prefix>, `
      + 'postgres://user:password@host:port/database[?schema=name] or postgres (from the PG* variables), '
      + 'e.g. --dest duckdb:activecampaign.duckdb',
    );
  }
}

async function duckdb(path: string): Promise<Destination> {
  if (!path) throw new ConfigError('the duckdb destination needs a file: --dest duckdb:<file>');
  const { DuckDbDestination } = await import('./duckdb.js');
  return new DuckDbDestination({ path });
}

async function postgres(options: PostgresOptions): Promise<Destination> {
  const { PostgresDestination } = await import('./postgres.js');
  return new PostgresDestination(options);
}
