/**
 * Destination URIs: `duckdb:<path>` (or a bare path ending in .duckdb / .db), the embedded default;
 * `parquet:<dir>[?keep=N]` and `s3://bucket/prefix[?keep=N&cache=<dir>]`, a Parquet lake.
 * Each destination lives in its own file and implements the contract of ./types.ts.
 */
import { ConfigError } from '../activecampaign/errors.js';
import { DuckDbDestination } from './duckdb.js';
import { parquetDestinationFromUri } from './parquet.js';
import { s3DestinationFromUri } from './s3.js';
import type { Destination } from './types.js';

export type { Destination } from './types.js';

export function openDestination(uri: string): Destination {
  const value = uri.trim();
  if (value.startsWith('duckdb:')) return duckdb(value.slice('duckdb:'.length));
  if (/\.(duckdb|db)$/i.test(value) && !value.includes('://')) return duckdb(value);
  if (value.startsWith('parquet:')) return parquetDestinationFromUri(value.slice('parquet:'.length));
  if (value.startsWith('s3://')) return s3DestinationFromUri(value);
  throw new ConfigError(
    `unsupported destination "${value}": use duckdb:<file>, parquet:<dir> or s3://<bucket>/<prefix>, e.g. --dest duckdb:activecampaign.duckdb`,
  );
}

function duckdb(path: string): Destination {
  if (!path) throw new ConfigError('the duckdb destination needs a file: --dest duckdb:<file>');
  return new DuckDbDestination({ path });
}
