/**
 * `acsync dbt`: the sources file names every table and column of the catalog with its description and carries
 * the key and relationship tests; each test, compiled as dbt's generic tests compile, runs on a real copy of the
 * simulator in DuckDB and the key tests pass.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { parse } from 'yaml';
import { TABLES } from '../src/catalog/index.js';
import { tablesLocation } from '../src/destinations/kinds.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { runCli } from './support/cli.js';

interface ColumnEntry { name: string; description?: string; quote?: boolean; data_tests?: (string | Record<string, Record<string, unknown>>)[] }
interface TableEntry { name: string; description: string; data_tests?: Record<string, Record<string, unknown>>[]; columns: ColumnEntry[] }
interface Sources { version: number; sources: { name: string; database?: string; schema: string; tables: TableEntry[] }[] }

const dir = mkdtempSync(join(tmpdir(), 'acsync-dbt-'));
const file = join(dir, 'acme.duckdb');
const out = join(dir, 'sources.yml');
let sim: Simulator;
let sources: Sources;

before(async () => {
  sim = await startSimulator({ seed: 11, contacts: 120, rateLimit: 0 });
  const synced = await runCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${file}`]);
  assert.equal(synced.code, 0, synced.stderr);
  const written = await runCli(['dbt', '--dest', `duckdb:${file}`, '--out', out]);
  assert.equal(written.code, 0, written.stderr);
  sources = parse(readFileSync(out, 'utf8')) as Sources;
});
after(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The SQL of a dbt generic test: the rows it finds are failures. */
function failingRowsSql(table: string, column: string | undefined, test: string | Record<string, Record<string, unknown>>): string {
  const from = `main.${table}`;
  if (test === 'not_null') return `SELECT * FROM ${from} WHERE "${column}" IS NULL`;
  if (test === 'unique') return `SELECT "${column}" FROM ${from} WHERE "${column}" IS NOT NULL GROUP BY 1 HAVING count(*) > 1`;
  if (typeof test === 'string') throw new Error(`unknown test ${test}`);
  if (test.unique) {
    const expression = String(test.unique.column_name);
    return `SELECT ${expression} FROM ${from} WHERE ${expression} IS NOT NULL GROUP BY 1 HAVING count(*) > 1`;
  }
  if (test.relationships) {
    const parent = /^source\('activecampaign', '(\w+)'\)$/.exec(String(test.relationships.to))?.[1];
    assert.ok(parent, `relationships.to names a source table: ${String(test.relationships.to)}`);
    return `SELECT child."${column}" FROM ${from} AS child LEFT JOIN main.${parent} AS parent
      ON child."${column}" = parent.${String(test.relationships.field)}
      WHERE child."${column}" IS NOT NULL AND parent.${String(test.relationships.field)} IS NULL`;
  }
  throw new Error(`unknown test ${JSON.stringify(test)}`);
}

describe('acsync dbt', () => {
  test('one source at the DuckDB file\'s catalog, every table and column with its description', () => {
    assert.equal(sources.version, 2);
    const [source] = sources.sources;
    assert.ok(source);
    assert.deepEqual([source.name, source.database, source.schema], ['activecampaign', 'acme', 'main']);
    assert.deepEqual(source.tables.map((t) => t.name), TABLES.map((t) => t.name));
    for (const table of TABLES) {
      const entry: TableEntry = source.tables.find((t) => t.name === table.name)!;
      assert.equal(entry.description, table.description);
      assert.deepEqual(entry.columns.map((c) => [c.name, c.description]), table.columns.map((c) => [c.name, c.description]));
    }
  });

  test('keys are tested unique and not null; every foreign key is a relationships test (a warning)', () => {
    const source = sources.sources[0]!;
    for (const table of TABLES) {
      const entry: TableEntry = source.tables.find((t) => t.name === table.name)!;
      const testsOf = (name: string) => entry.columns.find((c) => c.name === name)?.data_tests ?? [];
      for (const key of table.primaryKey) assert.ok(testsOf(key).includes('not_null'), `${table.name}.${key} not_null`);
      if (table.primaryKey.length === 1) assert.ok(testsOf(table.primaryKey[0]!).includes('unique'), `${table.name} unique`);
      else assert.equal(entry.data_tests?.length, 1, `${table.name} has one unique test over its composite key`);
      for (const key of table.foreignKeys) {
        const relationship = testsOf(key.column).find((t) => typeof t !== 'string' && t.relationships?.to === `source('activecampaign', '${key.table}')`);
        assert.ok(relationship, `${table.name}.${key.column} → ${key.table}`);
        assert.deepEqual((relationship as Record<string, Record<string, unknown>>).relationships!.config, { severity: 'warn' });
      }
    }
  });

  test('every test compiles to SQL that runs on the copy, and the key tests find nothing', async () => {
    const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    let relationships = 0;
    try {
      for (const table of sources.sources[0]!.tables) {
        const runs: [string | undefined, string | Record<string, Record<string, unknown>>][] = [
          ...(table.data_tests ?? []).map((t) => [undefined, t] as [undefined, typeof t]),
          ...table.columns.flatMap((c) => (c.data_tests ?? []).map((t) => [c.name, t] as [string, typeof t])),
        ];
        for (const [column, dbtTest] of runs) {
          const failures = (await connection.runAndReadAll(failingRowsSql(table.name, column, dbtTest))).getRows().length;
          if (typeof dbtTest !== 'string' && dbtTest.relationships) relationships += 1;
          else assert.equal(failures, 0, `${table.name}.${column ?? '(key)'} ${JSON.stringify(dbtTest)}`);
        }
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    assert.equal(relationships, TABLES.reduce((n, t) => n + t.foreignKeys.length, 0));
  });

  test('PostgreSQL and lake destinations name their database and schema; an unknown one is a one-line error', async () => {
    assert.deepEqual(tablesLocation('postgres://u@db.example:5432/warehouse?schema=activecampaign'), { database: 'warehouse', schema: 'activecampaign' });
    assert.equal(tablesLocation('parquet:lake').schema, 'main');
    assert.match(tablesLocation('s3://bucket/prefix').note ?? '', /views\.sql/);
    const result = await runCli(['dbt', '--dest', 'ftp://nowhere']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unsupported destination/);
  });
});
