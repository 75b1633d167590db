/**
 * Reading a destination back, without writing to it: `acsync query`, `runs` and `status` go through this, for every
 * destination `sync` writes (the same URIs as ./index.ts). A reader takes no writer's lock and changes nothing, so it
 * may run beside a sync where the destination allows it (PostgreSQL and the lakes; a DuckDB file has one writer
 * and no reader meanwhile). Each kind lives in its own file: ./readback-sql.ts (DuckDB, PostgreSQL) and
 * ./readback-lake.ts (local and S3 lakes).
 */
import { ConfigError } from '../core/errors.js';
import { redactUri } from '../core/secrets.js';
import { splitLakeUri } from './lake-uri.js';
import { parsePostgresUri, postgresOptionsFromEnv } from './postgres-options.js';
import { LakeReader } from './readback-lake.js';
import { DuckDbReader, PostgresReader } from './readback-sql.js';
import type { DestinationReader } from './readback-common.js';

export type { DestinationReader, QueryResult } from './readback-common.js';

/** A reader for a destination URI, as `sync --dest` takes it. Nothing is opened yet. */
export function openReader(uri: string): DestinationReader {
  const value = uri.trim();
  if (value.startsWith('duckdb:')) return new DuckDbReader(value.slice('duckdb:'.length));
  if (/\.(duckdb|db)$/i.test(value) && !value.includes('://')) return new DuckDbReader(value);
  if (value.startsWith('parquet:')) {
    const { location } = splitLakeUri(value.slice('parquet:'.length), ['keep'], 'parquet:<dir>');
    if (!location) throw new ConfigError('the parquet destination needs a directory: --dest parquet:<dir>');
    return LakeReader.local(location, value);
  }
  if (value.startsWith('s3://')) return LakeReader.s3(value);
  if (/^postgres(ql)?:\/\//i.test(value)) return new PostgresReader(parsePostgresUri(value));
  if (value === 'postgres' || value === 'postgresql') return new PostgresReader(postgresOptionsFromEnv());
  throw new ConfigError(
    `unsupported destination "${redactUri(value)}": use duckdb:<file>, parquet:<dir>, s3://<bucket>/<prefix> or postgres://…, as sync --dest takes it`,
  );
}

/** Opens a reader, runs `work` with it, and closes it whatever happens. */
export async function withReader<T>(uri: string, work: (reader: DestinationReader) => Promise<T>): Promise<T> {
  const reader = openReader(uri);
  try {
    await reader.open();
    return await work(reader);
  } finally {
    await reader.close();
  }
}
