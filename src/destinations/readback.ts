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
import { postgresOptionsOf } from './postgres-options.js';
import { LakeReader } from './readback-lake.js';
import { DuckDbReader, PostgresReader } from './readback-sql.js';
import { destinationKind } from './uri-kind.js';
import type { DestinationReader } from './readback-common.js';

export type { DestinationReader, QueryResult } from './readback-common.js';

/** A reader for a destination URI, as `sync --dest` takes it. Nothing is opened yet. */
export function openReader(uri: string): DestinationReader {
  const value = uri.trim();
  const destination = destinationKind(value);
  switch (destination?.kind) {
    case 'duckdb':
      return new DuckDbReader(destination.target);
    case 'parquet': {
      const { location } = splitLakeUri(destination.target, ['keep'], 'parquet:<dir>');
      if (!location) throw new ConfigError('the parquet destination needs a directory: --dest parquet:<dir>');
      return LakeReader.local(location, value);
    }
    case 's3':
      return LakeReader.s3(value);
    case 'postgres':
      return new PostgresReader(postgresOptionsOf(destination.target));
    default:
      throw new ConfigError(
        `unsupported destination "${redactUri(value)}": use duckdb:<file>, parquet:<dir>, s3://<bucket>/<prefix> or postgres://…, as sync --dest takes it`,
      );
  }
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
