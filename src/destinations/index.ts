/**
 * Destination URIs: `duckdb:<path>` (or a bare path ending in .duckdb / .db), the embedded default.
 * Each destination lives in its own file and implements the contract of ./types.ts.
 */
import { ConfigError } from '../activecampaign/errors.js';
import { DuckDbDestination } from './duckdb.js';
import type { Destination } from './types.js';

export type { Destination } from './types.js';

export function openDestination(uri: string): Destination {
  const value = uri.trim();
  if (value.startsWith('duckdb:')) return duckdb(value.slice('duckdb:'.length));
  if (/\.(duckdb|db)$/i.test(value) && !value.includes('://')) return duckdb(value);
  throw new ConfigError(
    `unsupported destination "${value}": use duckdb:<file>, e.g. --dest duckdb:activecampaign.duckdb`,
  );
}

function duckdb(path: string): Destination {
  if (!path) throw new ConfigError('the duckdb destination needs a file: --dest duckdb:<file>');
  return new DuckDbDestination({ path });
}
