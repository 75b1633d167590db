/** The destinations the end-to-end suites run against, each with a way to read a table back as typed rows. */
import { join } from 'node:path';
import type { TableDef } from '../../src/catalog/index.js';
import type { TypedRow } from '../../src/core/contract.js';
import { readDuckDbTable } from './oracle.js';
import { readParquetTable } from './read-parquet.js';
import { startPostgres } from './postgres.js';
import { readPostgresTable } from './read-postgres.js';

export interface SyncTarget {
  /** The `--dest` the CLI is given. */
  readonly uri: string;
  read(table: TableDef): Promise<TypedRow[]>;
  cleanup(): Promise<void>;
}

export async function duckdbTarget(dir: string): Promise<SyncTarget> {
  const file = join(dir, 'copy.duckdb');
  return { uri: `duckdb:${file}`, read: (table) => readDuckDbTable(file, table), cleanup: async () => undefined };
}

export async function parquetTarget(dir: string): Promise<SyncTarget> {
  const lake = join(dir, 'lake');
  return { uri: `parquet:${lake}`, read: (table) => readParquetTable(lake, table), cleanup: async () => undefined };
}

export async function postgresTarget(): Promise<SyncTarget> {
  const server = await startPostgres();
  const uri = `${server.url}${server.url.includes('?') ? '&' : '?'}schema=activecampaign`;
  return { uri, read: (table) => readPostgresTable(server.url, table, 'activecampaign'), cleanup: () => server.stop() };
}
