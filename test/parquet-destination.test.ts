/**
 * The Parquet lake destination on local directories and, through s3rver, on S3. The crash checks need a second
 * process: this file then runs itself as that process, in the mode named by ACSYNC_PARQUET_TEST_CHILD.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { ConfigError } from '../src/core/errors.js';
import { TABLES} from '../src/catalog/index.js';
import type { TableDef } from '../src/catalog/index.js';
import { openDestination } from '../src/destinations/index.js';
import type { Manifest } from '../src/destinations/lake-layout.js';
import { LocalLakeStore } from '../src/destinations/lake-store.js';
import { parquetDestinationFromUri, s3DestinationFromUri } from '../src/destinations/lake-uri.js';
import { ParquetDestination } from '../src/destinations/parquet.js';
import { S3LakeStore } from '../src/destinations/s3.js';
import type { RunRecord, TableState, TypedRow } from '../src/core/contract.js';
import { rowConverter } from '../src/engine/typing.js';
import { destinationContract } from './destination-contract.js';
import { currentFiles, queryParquet, readManifest, readParquetTable } from './support/read-parquet.js';
import { startS3 } from './support/s3.js';
import type { TestS3 } from './support/s3.js';
import { watchChild } from './support/child.js';
import { table } from './support/catalog.js';

const CHILD_MODE = process.env.ACSYNC_PARQUET_TEST_CHILD;

const contacts = table('contacts');
const fieldValues = table('contacts_custom_fields_data');
const convertContact = rowConverter(contacts);
const convertFieldValue = rowConverter(fieldValues);
const column = (def: TableDef, name: string) => def.columns.findIndex((c) => c.name === name);
const EMAIL = column(contacts, 'email');

/** A contacts row typed from an API-like record: every logical type is present. */
function contact(id: number, email = `c${id}@example.com`): TypedRow {
  return convertContact({
    id: String(id), email, email_empty: false, bounced_date: '2024-02-05', sentcnt: '14',
    udate: '2024-03-01T16:02:11-03:00', created_utc_timestamp: '2024-02-05 13:22:10.250',
  }, { timeZone: null }, []);
}

function fieldValue(id: number, contactId: number, value: string): TypedRow {
  return convertFieldValue({ id: String(id), contact: String(contactId), field: '3', value }, { timeZone: null }, []);
}

function fullState(runId: string, rows: number): TableState {
  return { mode: 'full', inProgress: { runId, mode: 'full', stream: '/contacts', position: { offset: rows, rows } } };
}

/** id and email of each contacts row of the published version. */
async function emails(dir: string): Promise<{ id: unknown; email: unknown }[]> {
  return (await readParquetTable(dir, contacts)).map((row) => ({ id: row[0], email: row[EMAIL] }));
}

async function ids(dir: string, def: TableDef = contacts): Promise<number[]> {
  return (await readParquetTable(dir, def)).map((row) => Number(row[0]));
}

function storedState(dir: string, name = 'contacts'): {
  state: TableState; version: number; staging: { id: string; batches: number } | null;
} {
  return JSON.parse(readFileSync(join(dir, '_acsync', 'state', `${name}.json`), 'utf8')) as ReturnType<typeof storedState>;
}

function localDestination(dir: string, keep?: number, partRows?: number): ParquetDestination {
  return new ParquetDestination({ store: new LocalLakeStore(dir), ...(keep !== undefined && { keep }), ...(partRows !== undefined && { partRows }) });
}

const contactTags = table('contacts_tags');
const convertContactTag = rowConverter(contactTags);

function contactTag(contactId: number, id: number, createdBy = `t${id}`): TypedRow {
  return convertContactTag({ contact: String(contactId), id: String(id), created_by: createdBy }, { timeZone: null }, []);
}

/** Per file of the current version, in manifest order: its rows' values of `columns`, as the file holds them. */
async function fileColumns(dir: string, def: TableDef, columns: string): Promise<Record<string, unknown>[][]> {
  const files: Record<string, unknown>[][] = [];
  for (const file of currentFiles(dir, def)) files.push(await queryParquet(`SELECT ${columns} FROM read_parquet('${file}')`));
  return files;
}

const here = fileURLToPath(import.meta.url);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Starts this file as a child process in `mode`; `waitFor` resolves with the first stdout line a predicate accepts. */
function child(mode: string, env: Record<string, string>) {
  const process_ = spawn(process.execPath, ['--import', 'tsx', here], {
    cwd: repoRoot,
    env: { ...process.env, ACSYNC_PARQUET_TEST_CHILD: mode, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const watched = watchChild(process_, `child ${mode}`);
  return { process: process_, waitFor: watched.waitFor, exited: watched.exited };
}

// ---------------------------------------------------------------------------------------------------
// Child process modes

async function runChild(mode: string): Promise<void> {
  const dir = process.env.ACSYNC_PARQUET_TEST_DIR!;
  const say = (line: string) => process.stdout.write(`${line}\n`);
  // `commit-then-idle`: commits a fixed number of batches, then waits to be killed.
  // `commit-forever`: commits batches until killed.
  const destination = localDestination(dir);
  await destination.open();
  say('open');
  const writer = await destination.beginTable(contacts, 'full', false);
  const batchRows = 500;
  const limit = mode === 'commit-then-idle' ? Number(process.env.ACSYNC_PARQUET_TEST_BATCHES) : Infinity;
  for (let batch = 0; batch < limit; batch++) {
    const rows = Array.from({ length: batchRows }, (_, i) => contact(batch * batchRows + i + 1));
    await writer.commit({ rows }, fullState('crash-run', (batch + 1) * batchRows));
    say(`committed ${batch + 1}`);
  }
  say('idle');
  setInterval(() => undefined, 60_000);
}

// ---------------------------------------------------------------------------------------------------

if (CHILD_MODE) {
  await runChild(CHILD_MODE);
} else {
  let workDir = '';
  let dirCounter = 0;
  const newDir = () => join(workDir, `lake${++dirCounter}`);

  before(() => {
    workDir = mkdtempSync(join(tmpdir(), 'acsync-parquet-'));
  });
  after(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  async function withLake<T>(dir: string, work: (destination: ParquetDestination) => Promise<T>, keep?: number, partRows?: number): Promise<T> {
    const destination = localDestination(dir, keep, partRows);
    await destination.open();
    try {
      return await work(destination);
    } finally {
      await destination.close();
    }
  }

  /** One complete full pass of `rows` in one batch. */
  async function fullPass(destination: ParquetDestination, rows: TypedRow[], def: TableDef = contacts): Promise<void> {
    const writer = await destination.beginTable(def, 'full', false);
    await writer.commit({ rows }, { mode: 'full' });
    await writer.finish({ mode: 'full' });
  }

  destinationContract('Parquet lake (local directory)', {
    async create() {
      const dir = newDir();
      return {
        destination: () => localDestination(dir),
        readTable: (t) => readParquetTable(dir, t),
        // The staging of a pass is its committed batch files: counted by distinct key, as a keyed staging table.
        async readStagingRowCount(t) {
          if (!existsSync(join(dir, '_acsync', 'state', `${t.name}.json`))) return null;
          const staging = storedState(dir, t.name).staging;
          if (!staging) return null;
          if (staging.batches === 0) return 0;
          const files = Array.from({ length: staging.batches },
            (_, i) => `'${join(dir, t.name, '_staging', staging.id, `batch-${String(i + 1).padStart(6, '0')}.parquet`)}'`);
          const key = t.primaryKey.map((k) => `"${k}"`).join(', ');
          const [count] = await queryParquet(`SELECT count(DISTINCT (${key}))::INTEGER AS n FROM read_parquet([${files.join(', ')}])`);
          return Number(count!.n);
        },
        async readRuns() {
          const runs = join(dir, '_acsync', 'runs');
          return readdirSync(runs).sort().map((name) => JSON.parse(readFileSync(join(runs, name), 'utf8')) as RunRecord);
        },
        uri: `parquet:${dir}`,
        async cleanup() {
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  });

  describe('files', () => {
    test('every catalog table gets an empty first version whose Parquet schema has the contract types, logical and converted, zstd', async () => {
      const dir = newDir();
      await withLake(dir, async (destination) => {
        for (const t of TABLES) await (await destination.beginTable(t, 'full', false)).abort();
      });
      const expected = {
        float: { type: 'DOUBLE', converted_type: null, logical_type: null },
        text: { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: 'StringType()' },
        boolean: { type: 'BOOLEAN', converted_type: null, logical_type: null },
        date: { type: 'INT32', converted_type: 'DATE', logical_type: 'DateType()' },
        timestamp: {
          type: 'INT64', converted_type: 'TIMESTAMP_MICROS',
          logical_type: 'TimestampType(isAdjustedToUTC=1, unit=TimeUnit(MILLIS=<null>, MICROS=MicroSeconds(), NANOS=<null>))',
        },
      };
      for (const t of TABLES) {
        const manifest = readManifest(dir, t);
        assert.ok(manifest, t.name);
        assert.equal(manifest.version, 1);
        assert.equal(manifest.rows, 0);
        assert.deepEqual(manifest.files, ['v000001/part-0000.parquet']);
        assert.deepEqual(manifest.primaryKey, t.primaryKey);
        assert.deepEqual(manifest.schema.map((c) => [c.name, c.type]), t.columns.map((c) => [c.name, c.type]));
        const [file] = currentFiles(dir, t);
        const schema = await queryParquet(`SELECT name, type, converted_type, logical_type FROM parquet_schema('${file}') WHERE name <> 'duckdb_schema'`);
        assert.deepEqual(schema, t.columns.map((c) => ({ name: c.name, ...expected[c.type] })), t.name);
      }
    });

    test('a published version holds every logical type exactly, in zstd row groups sorted by key', async () => {
      const dir = newDir();
      await withLake(dir, (destination) => fullPass(destination, [contact(2), contact(1)]));
      const [file] = currentFiles(dir, contacts);
      const codecs = await queryParquet(`SELECT DISTINCT compression FROM parquet_metadata('${file}')`);
      assert.deepEqual(codecs, [{ compression: 'ZSTD' }]);
      const [row] = await queryParquet(`SELECT id, email_empty, CAST(bounced_date AS VARCHAR) AS bounced, sentcnt,
        epoch_us(udate) AS udate, epoch_us(created_utc_timestamp) AS created, phone, typeof(udate) AS udate_type
        FROM read_parquet('${file}') LIMIT 1`);
      assert.deepEqual(row, {
        id: 1, email_empty: false, bounced: '2024-02-05', sentcnt: 14,
        udate: String(Date.parse('2024-03-01T19:02:11Z') * 1000),
        created: String(Date.parse('2024-02-05T13:22:10.250Z') * 1000), phone: null, udate_type: 'TIMESTAMP WITH TIME ZONE',
      });
      // The typed reader returns exactly the rows that were committed.
      assert.deepEqual(await readParquetTable(dir, contacts), [contact(1), contact(2)]);
    });

    test('an independent reader (hyparquet) finds the logical types and reads every value back', async () => {
      const dir = newDir();
      await withLake(dir, (destination) => fullPass(destination, [contact(2), contact(1)]));
      const file = await asyncBufferFromFile(currentFiles(dir, contacts)[0]!);
      const metadata = await parquetMetadataAsync(file);
      const logical = new Map(metadata.schema.map((element) => [element.name, element.logical_type?.type ?? null]));
      const expected = { float: null, boolean: null, text: 'STRING', date: 'DATE', timestamp: 'TIMESTAMP' } as const;
      assert.deepEqual(contacts.columns.map((c) => [c.name, logical.get(c.name)]), contacts.columns.map((c) => [c.name, expected[c.type]]));
      const rows = await parquetReadObjects({ file, compressors });
      const byId = rows.sort((a, b) => Number(a.id) - Number(b.id));
      assert.deepEqual(byId.map((row) => [row.id, row.email, row.bounced_date instanceof Date ? row.bounced_date.toISOString() : row.bounced_date]),
        [[1, 'c1@example.com', '2024-02-05T00:00:00.000Z'], [2, 'c2@example.com', '2024-02-05T00:00:00.000Z']]);
    });

    test('views.sql defines one view per table over its current files, usable from DuckDB', async () => {
      const dir = newDir();
      await withLake(dir, async (destination) => {
        await fullPass(destination, [contact(1), contact(2)]);
        await fullPass(destination, [contact(3), contact(4), contact(5)]);
        await fullPass(destination, [fieldValue(1, 3, 'x')], fieldValues);
      });
      const views = readFileSync(join(dir, '_acsync', 'views.sql'), 'utf8');
      assert.match(views, /older versions .* never with a glob over the folder/s, 'readers are told not to glob a table folder');
      const statements = views.split('\n').filter((line) => line.startsWith('CREATE'));
      assert.deepEqual(statements, [
        `CREATE OR REPLACE VIEW "contacts" AS SELECT * FROM read_parquet(['${join(dir, 'contacts', 'v000003', 'part-0000.parquet')}']);`,
        `CREATE OR REPLACE VIEW "contacts_custom_fields_data" AS SELECT * FROM read_parquet(['${join(dir, 'contacts_custom_fields_data', 'v000002', 'part-0000.parquet')}']);`,
      ]);
      const [counts] = await queryParquet(`${views}; SELECT (SELECT count(*) FROM contacts)::INTEGER AS contacts,
        (SELECT count(*) FROM contacts_custom_fields_data)::INTEGER AS values`);
      assert.deepEqual(counts, { contacts: 3, values: 1 });
    });

    test('versions beyond the keep count are deleted once the new manifest is published', async () => {
      const dir = newDir();
      await withLake(dir, async (destination) => {
        for (let pass = 1; pass <= 4; pass++) await fullPass(destination, [contact(pass)]);
      }, 2);
      // Version 1 is the empty table of the first beginTable; passes 1-4 made versions 2-5.
      assert.deepEqual(readdirSync(join(dir, 'contacts')).sort(), ['_current.json', 'v000004', 'v000005']);
      assert.equal(readManifest(dir, contacts)?.version, 5);
      assert.deepEqual(await ids(dir), [4]);
      await withLake(dir, (destination) => fullPass(destination, [contact(9)]));
      assert.deepEqual(readdirSync(join(dir, 'contacts')).sort(), ['_current.json', 'v000004', 'v000005', 'v000006'],
        'the default keeps 3');
    });

    test('run history and bookkeeping files', async () => {
      const dir = newDir();
      const tables = [{ table: 'contacts', mode: 'full' as const, status: 'success' as const, rows: 5, requests: 1, conversionErrors: 0 }];
      await withLake(dir, async (destination) => {
        await destination.recordRun({ runId: 'a', startedAt: '2024-03-01T10:00:00.000Z', endedAt: null, status: 'running', tables: [] });
        await destination.recordRun({ runId: 'a', startedAt: '2024-03-01T10:00:00.000Z', endedAt: '2024-03-01T10:05:30.250Z', status: 'success', tables });
        await assert.rejects(destination.recordRun({ runId: '../x', startedAt: '', endedAt: null, status: 'running', tables: [] }));
      });
      assert.deepEqual(JSON.parse(readFileSync(join(dir, '_acsync', 'runs', 'a.json'), 'utf8')), {
        runId: 'a', startedAt: '2024-03-01T10:00:00.000Z', endedAt: '2024-03-01T10:05:30.250Z', status: 'success', tables,
      });
      assert.deepEqual(readdirSync(join(dir, '_acsync')).sort(), ['runs'], 'the lock is released on close');
    });
  });

  describe('full mode', () => {
    test('batches are staged; finish publishes their union, the last row of a key winning, and the state', async () => {
      const dir = newDir();
      const final: TableState = { mode: 'full', lastFullAt: '2024-03-02T00:00:00.000Z' };
      await withLake(dir, async (destination) => {
        const writer = await destination.beginTable(contacts, 'full', false);
        await writer.commit({ rows: [contact(1), contact(2), contact(3, 'early@x')] }, fullState('r1', 3));
        await writer.commit({ rows: [contact(4, 'first@x'), contact(5), contact(4, 'last@x')] }, fullState('r1', 6));
        await writer.commit({ rows: [contact(3, 'late@x')] }, fullState('r1', 7));
        const staged = storedState(dir);
        assert.equal(staged.staging?.batches, 3);
        assert.deepEqual(readdirSync(join(dir, 'contacts', '_staging', staged.staging!.id)),
          ['batch-000001.parquet', 'batch-000002.parquet', 'batch-000003.parquet']);
        await writer.finish(final);
        assert.deepEqual((await destination.readState()).get('contacts'), final);
      });
      assert.deepEqual(await emails(dir), [
        { id: 1, email: 'c1@example.com' }, { id: 2, email: 'c2@example.com' }, { id: 3, email: 'late@x' },
        { id: 4, email: 'last@x' }, { id: 5, email: 'c5@example.com' },
      ]);
      assert.equal(readManifest(dir, contacts)?.rows, 5);
      assert.deepEqual(readManifest(dir, contacts)?.state, final);
      assert.deepEqual(storedState(dir), { ...storedState(dir), state: final, version: 2, staging: null });
      assert.equal(existsSync(join(dir, 'contacts', '_staging')), false);
    });

    test('a reader during a pass, and after it is aborted, sees only the previous version', async () => {
      const dir = newDir();
      await withLake(dir, async (destination) => {
        await fullPass(destination, [contact(1), contact(2)]);
        const second = await destination.beginTable(contacts, 'full', false);
        await second.commit({ rows: [contact(7), contact(8)] }, fullState('r2', 2));
        assert.deepEqual(await ids(dir), [1, 2]);
        await second.commit({ rows: [contact(9)] }, fullState('r2', 3));
        assert.deepEqual(await ids(dir), [1, 2]);
        await second.abort();
        assert.deepEqual(await ids(dir), [1, 2]);
        await assert.rejects(second.commit({ rows: [contact(10)] }, fullState('r2', 4)), /already finished or aborted/);
      });
      // The staged batches stay for a resume.
      assert.equal(storedState(dir).staging?.batches, 2);
      assert.equal(readManifest(dir, contacts)?.version, 2);
    });

    test('resume continues the staged batches of an interrupted pass; a re-read page does not duplicate', async () => {
      const dir = newDir();
      await withLake(dir, async (destination) => {
        const crashed = await destination.beginTable(contacts, 'full', false);
        await crashed.commit({ rows: [contact(1), contact(2), contact(3)] }, fullState('r1', 3));
      });
      await withLake(dir, async (destination) => {
        const state = (await destination.readState()).get('contacts');
        assert.equal(state?.inProgress?.position.rows, 3);
        const resumed = await destination.beginTable(contacts, 'full', true);
        await resumed.commit({ rows: [contact(3, 'changed@x'), contact(4)] }, fullState('r1', 5));
        await resumed.commit({ rows: [contact(5)] }, fullState('r1', 6));
        await resumed.finish({ mode: 'full' });
      });
      assert.deepEqual(await emails(dir), [
        { id: 1, email: 'c1@example.com' }, { id: 2, email: 'c2@example.com' }, { id: 3, email: 'changed@x' },
        { id: 4, email: 'c4@example.com' }, { id: 5, email: 'c5@example.com' },
      ]);
    });

    test('resume=false discards old staging and the promise to resume it; resume=true without staging starts fresh', async () => {
      const dir = newDir();
      await withLake(dir, async (destination) => {
        const crashed = await destination.beginTable(contacts, 'full', false);
        await crashed.commit({ rows: [contact(1), contact(2)] }, fullState('r1', 2));
        await crashed.abort();
        const incremental = await destination.beginTable(contacts, 'incremental', false);
        assert.equal(existsSync(join(dir, 'contacts', '_staging')), false);
        // Had the process died here, a later run must not believe the full pass's rows are staged.
        assert.equal((await destination.readState()).get('contacts')?.inProgress, undefined);
        assert.equal(storedState(dir).staging, null);
        await incremental.abort();

        const fresh = await destination.beginTable(contacts, 'full', false);
        await fresh.commit({ rows: [contact(9)] }, fullState('r2', 1));
        await fresh.finish({ mode: 'full' });
        const again = await destination.beginTable(contacts, 'full', true);
        await again.commit({ rows: [contact(10)] }, fullState('r3', 1));
        await again.finish({ mode: 'full' });
      });
      assert.deepEqual(await ids(dir), [10]);
    });

    test('a pass with no rows publishes an empty table', async () => {
      const dir = newDir();
      await withLake(dir, async (destination) => {
        await fullPass(destination, [contact(1)]);
        const writer = await destination.beginTable(contacts, 'full', false);
        await writer.commit({ rows: [] }, fullState('r2', 0));
        await writer.finish({ mode: 'full' });
      });
      assert.deepEqual(await ids(dir), []);
      assert.equal(readManifest(dir, contacts)?.version, 3);
    });
  });

  describe('incremental mode', () => {
    test('the new version is the previous one with the batches upserted by primary key', async () => {
      const dir = newDir();
      const state: TableState = { mode: 'incremental', cursor: '2024-03-01T19:02:11.000Z' };
      await withLake(dir, async (destination) => {
        await fullPass(destination, [contact(1), contact(2), contact(3)]);
        const writer = await destination.beginTable(contacts, 'incremental', false);
        await writer.commit({ rows: [contact(2, 'new2@x'), contact(4)] }, state);
        await writer.commit({ rows: [contact(4, 'new4@x')] }, state);
        assert.deepEqual(await ids(dir), [1, 2, 3], 'unpublished until finish');
        await writer.finish(state);
      });
      assert.deepEqual(await emails(dir), [
        { id: 1, email: 'c1@example.com' }, { id: 2, email: 'new2@x' }, { id: 3, email: 'c3@example.com' },
        { id: 4, email: 'new4@x' },
      ]);
    });

    test('replaceChildrenOf removes the earlier children of the listed parents, batch after batch', async () => {
      const dir = newDir();
      const state: TableState = { mode: 'incremental' };
      await withLake(dir, async (destination) => {
        await fullPass(destination, [fieldValue(11, 1, 'a'), fieldValue(12, 1, 'b'), fieldValue(21, 2, 'c'), fieldValue(31, 3, 'd'),
          fieldValue(41, 4, 'e')], fieldValues);
        const writer = await destination.beginTable(fieldValues, 'incremental', false);
        // Contact 1 now has 12 (changed) and 13; contact 2 has none left; contacts 3 and 4 are not on this page.
        await writer.commit({
          rows: [fieldValue(12, 1, 'b2'), fieldValue(13, 1, 'f'), fieldValue(51, 5, 'g')],
          replaceChildrenOf: { column: 'contact', ids: [1, 2, 5] },
        }, state);
        // A later page: value 51 moved to contact 4, whose other values are replaced; then contact 5 is re-read
        // with no values (51 belongs to 4 now, so it stays).
        await writer.commit({ rows: [fieldValue(51, 4, 'g2')], replaceChildrenOf: { column: 'contact', ids: [4] } }, state);
        await writer.commit({ rows: [], replaceChildrenOf: { column: 'contact', ids: [5] } }, state);
        await writer.finish(state);
      });
      const values = (await readParquetTable(dir, fieldValues)).map((row) => [row[0], row[column(fieldValues, 'contact')], row[column(fieldValues, 'value')]]);
      assert.deepEqual(values, [[12, 1, 'b2'], [13, 1, 'f'], [31, 3, 'd'], [51, 4, 'g2']]);
    });

    test('a pass that staged nothing keeps the version and stores the state', async () => {
      const dir = newDir();
      const state: TableState = { mode: 'incremental', cursor: '2024-04-01T00:00:00.000Z' };
      await withLake(dir, async (destination) => {
        await fullPass(destination, [contact(1)]);
        const writer = await destination.beginTable(contacts, 'incremental', false);
        await writer.commit({ rows: [] }, { ...state, inProgress: { runId: 'r', mode: 'incremental', stream: '/contacts', position: { lastId: 1 } } });
        await writer.finish(state);
        assert.deepEqual((await destination.readState()).get('contacts'), state);
      });
      assert.equal(readManifest(dir, contacts)?.version, 2);
      assert.deepEqual(await ids(dir), [1]);
    });

    test('a table whose published columns differ from the catalog is refused in incremental mode', async () => {
      const dir = newDir();
      await withLake(dir, (destination) => fullPass(destination, [contact(1)]));
      const path = join(dir, 'contacts', '_current.json');
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
      writeFileSync(path, JSON.stringify({ ...manifest, schema: manifest.schema.slice(1) }));
      await withLake(dir, async (destination) => {
        await assert.rejects(destination.beginTable(contacts, 'incremental', false), /run it once in full mode/);
        await fullPass(destination, [contact(2)]);
      });
      assert.deepEqual(await ids(dir), [2]);
    });

    test('rows without a key are skipped; several tables commit and finish at once', async () => {
      const dir = newDir();
      await withLake(dir, async (destination) => {
        const [a, b] = await Promise.all([
          destination.beginTable(contacts, 'full', false),
          destination.beginTable(fieldValues, 'full', false),
        ]);
        const keyless = contact(1);
        keyless[0] = null;
        await Promise.all([
          a.commit({ rows: [contact(1), keyless] }, fullState('r', 1)),
          b.commit({ rows: [fieldValue(1, 1, 'x')] }, { mode: 'full' }),
          a.commit({ rows: [contact(2)] }, fullState('r', 2)),
          b.commit({ rows: [fieldValue(2, 1, 'y')] }, { mode: 'full' }),
        ]);
        await Promise.all([a.finish({ mode: 'full' }), b.finish({ mode: 'full' })]);
      });
      assert.deepEqual(await ids(dir), [1, 2]);
      assert.deepEqual(await ids(dir, fieldValues), [1, 2]);
      const views = readFileSync(join(dir, '_acsync', 'views.sql'), 'utf8');
      assert.match(views, /VIEW "contacts" .*v000002/);
      assert.match(views, /VIEW "contacts_custom_fields_data" .*v000002/);
    });
  });

  describe('versions in parts', () => {
    /** The ids of each file, in file order: sorted within a file, and each file's above the previous file's. */
    function assertPartsInKeyOrder(files: number[][]): void {
      for (const ids of files) assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'a part is sorted by key');
      for (let i = 1; i < files.length; i++) assert.ok(files[i - 1]!.at(-1)! < files[i]![0]!, `part ${i} starts above part ${i - 1}`);
    }
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

    test('a table larger than a part is written in key ranges, one file each; an incremental pass splits the same way', async () => {
      const dir = newDir();
      const state: TableState = { mode: 'incremental' };
      await withLake(dir, async (destination) => {
        const writer = await destination.beginTable(contacts, 'full', false);
        await writer.commit({ rows: range(1, 60).map((id) => contact(id)) }, fullState('r1', 60));
        await writer.commit({ rows: range(5, 10).map((id) => contact(id, `again${id}@x`)) }, fullState('r1', 66));
        await writer.finish({ mode: 'full' });
      }, undefined, 10);
      const fullFiles = (await fileColumns(dir, contacts, 'id')).map((rows) => rows.map((row) => Number(row.id)));
      assert.ok(fullFiles.length >= 4, `60 rows in parts of about 10: ${fullFiles.length} files`);
      assertPartsInKeyOrder(fullFiles);
      assert.deepEqual(fullFiles.flat(), range(1, 60), 'every row in exactly one part');
      assert.equal(readManifest(dir, contacts)?.rows, 60);
      assert.deepEqual(await emails(dir), range(1, 60).map((id) => ({ id, email: id >= 5 && id <= 10 ? `again${id}@x` : `c${id}@example.com` })));

      await withLake(dir, async (destination) => {
        const writer = await destination.beginTable(contacts, 'incremental', false);
        await writer.commit({ rows: [contact(3, 'new3@x'), contact(30, 'new30@x'), ...range(61, 75).map((id) => contact(id))] }, state);
        await writer.commit({ rows: [contact(59, 'new59@x'), contact(30, 'newer30@x')] }, state);
        await writer.finish(state);
      }, undefined, 10);
      const files = (await fileColumns(dir, contacts, 'id')).map((rows) => rows.map((row) => Number(row.id)));
      assert.ok(files.length >= 5, `75 rows in parts of about 10: ${files.length} files`);
      assertPartsInKeyOrder(files);
      assert.deepEqual(files.flat(), range(1, 75));
      const changed = new Map([[3, 'new3@x'], [30, 'newer30@x'], [59, 'new59@x']]);
      assert.deepEqual(await emails(dir), range(1, 75).map((id) => ({
        id, email: changed.get(id) ?? (id >= 5 && id <= 10 ? `again${id}@x` : `c${id}@example.com`),
      })));
      assert.equal(readManifest(dir, contacts)?.rows, 75);
    });

    test('a composite key is split on its first column only: all rows of one first-key value stay in one part', async () => {
      const dir = newDir();
      const state: TableState = { mode: 'incremental' };
      // Eight tags per contact, parts of about 10 rows: every boundary falls inside a run of one contact's rows.
      const tags = range(1, 6).flatMap((c) => range(1, 8).map((j) => contactTag(c, c * 100 + j)));
      await withLake(dir, async (destination) => {
        await fullPass(destination, tags, contactTags);
        const writer = await destination.beginTable(contactTags, 'incremental', false);
        // Contact 2's tags are replaced by two; contact 7 is new.
        await writer.commit({ rows: [contactTag(2, 201, 'kept'), contactTag(2, 299), contactTag(7, 701)], replaceChildrenOf: { column: 'contact', ids: [2, 7] } }, state);
        await writer.finish(state);
      }, undefined, 10);
      const files = await fileColumns(dir, contactTags, 'contact, id, created_by');
      assert.ok(files.length >= 3, `${files.length} files`);
      const contactsPerFile = files.map((rows) => new Set(rows.map((row) => Number(row.contact))));
      for (let i = 0; i < contactsPerFile.length; i++) {
        for (let j = i + 1; j < contactsPerFile.length; j++) {
          for (const c of contactsPerFile[i]!) assert.ok(!contactsPerFile[j]!.has(c), `contact ${c} in parts ${i} and ${j}`);
        }
      }
      const expected = [
        ...range(1, 8).map((j) => [1, 100 + j, `t${100 + j}`]), [2, 201, 'kept'], [2, 299, 't299'],
        ...range(3, 6).flatMap((c) => range(1, 8).map((j) => [c, c * 100 + j, `t${c * 100 + j}`])), [7, 701, 't701'],
      ];
      assert.deepEqual(files.flat().map((row) => [Number(row.contact), Number(row.id), row.created_by]), expected);
    });
    test('a part reads the files its key range overlaps: files whose least or greatest key is a boundary stay in', async () => {
      const dir = newDir();
      const state: TableState = { mode: 'incremental' };
      const again = new Map<number, string>();
      await withLake(dir, async (destination) => {
        const writer = await destination.beginTable(contacts, 'full', false);
        // One row per batch: every part boundary is the least and the greatest key of some staged file.
        for (const id of range(1, 50)) await writer.commit({ rows: [contact(id)] }, fullState('r1', id));
        // A batch across every part: in each, its rows replace the earlier ones.
        const spread = range(1, 50).filter((id) => id % 7 === 0);
        for (const id of spread) again.set(id, `again${id}@x`);
        await writer.commit({ rows: spread.map((id) => contact(id, again.get(id))) }, fullState('r1', 51));
        await writer.finish({ mode: 'full' });
      }, undefined, 5);
      const fullFiles = (await fileColumns(dir, contacts, 'id')).map((rows) => rows.map((row) => Number(row.id)));
      assert.ok(fullFiles.length >= 8, `50 rows in parts of about 5: ${fullFiles.length} files`);
      assertPartsInKeyOrder(fullFiles);
      assert.deepEqual(await emails(dir), range(1, 50).map((id) => ({ id, email: again.get(id) ?? `c${id}@example.com` })));

      // Incremental: each previous part is a file whose first and last keys are boundaries of the new parts too.
      const firstOfParts = fullFiles.map((ids) => ids[0]!);
      const lastOfParts = fullFiles.map((ids) => ids.at(-1)!);
      await withLake(dir, async (destination) => {
        const writer = await destination.beginTable(contacts, 'incremental', false);
        for (const id of [...firstOfParts, ...lastOfParts, 51]) {
          again.set(id, `new${id}@x`);
          await writer.commit({ rows: [contact(id, again.get(id))] }, state);
        }
        await writer.finish(state);
      }, undefined, 5);
      const files = (await fileColumns(dir, contacts, 'id')).map((rows) => rows.map((row) => Number(row.id)));
      assertPartsInKeyOrder(files);
      assert.deepEqual(files.flat(), range(1, 51), 'every row in exactly one part');
      assert.deepEqual(await emails(dir), range(1, 51).map((id) => ({ id, email: again.get(id) ?? `c${id}@example.com` })));
    });
  });

  describe('memory', () => {
    test('a writer holds one batch at a time: its load table does not keep the rows of the batches it has staged', async () => {
      const dir = newDir();
      await withLake(dir, async (destination) => {
        const writer = await destination.beginTable(contacts, 'full', false);
        const batch = (n: number) => Array.from({ length: 2000 }, (_, i) => contact(n * 2000 + i + 1));
        await writer.commit({ rows: batch(0) }, fullState('r', 2000));
        const oneBatch = (await destination.duckdbMemory()).get('in_memory_table') ?? 0;
        for (let n = 1; n < 25; n++) await writer.commit({ rows: batch(n) }, fullState('r', (n + 1) * 2000));
        // 50,000 rows kept would be several MB; what one batch leaves is at most a block or two.
        const afterAll = (await destination.duckdbMemory()).get('in_memory_table') ?? 0;
        assert.ok(afterAll <= Math.max(oneBatch, 1024 * 1024), `the load table holds ${afterAll} bytes after 25 batches, ${oneBatch} after one`);
        await writer.finish({ mode: 'full' });
      });
      assert.equal(readManifest(dir, contacts)?.rows, 50_000);
    });
  });

  describe('crashes', () => {
    test('a process killed between commits leaves exactly the committed batches, and they resume', async () => {
      const dir = newDir();
      const worker = child('commit-then-idle', { ACSYNC_PARQUET_TEST_DIR: dir, ACSYNC_PARQUET_TEST_BATCHES: '3' });
      await worker.waitFor((line) => line === 'idle');
      worker.process.kill('SIGKILL');
      assert.equal(await worker.exited, 'SIGKILL');

      // The dead process's lock is stale and taken over.
      await withLake(dir, async (destination) => {
        const state = (await destination.readState()).get('contacts');
        assert.equal(state?.inProgress?.position.rows, 1500);
        const writer = await destination.beginTable(contacts, 'full', true);
        await writer.commit({ rows: [contact(1501)] }, fullState('crash-run', 1501));
        await writer.finish({ mode: 'full' });
      });
      assert.deepEqual(await ids(dir), Array.from({ length: 1501 }, (_, i) => i + 1));
    });

    test('a process killed while committing: the state counts exactly the batches on disk; leftovers are dropped', async () => {
      const dir = newDir();
      const worker = child('commit-forever', { ACSYNC_PARQUET_TEST_DIR: dir });
      await worker.waitFor((line) => line === 'committed 4');
      worker.process.kill('SIGKILL');
      assert.equal(await worker.exited, 'SIGKILL');

      const stored = storedState(dir);
      const committed = stored.state.inProgress?.position.rows ?? 0;
      assert.ok(committed >= 2000, `state says ${committed} rows`);
      assert.equal(stored.staging?.batches, committed / 500);
      const staging = join(dir, 'contacts', '_staging', stored.staging!.id);
      const counted = Array.from({ length: stored.staging!.batches }, (_, i) => `'${join(staging, `batch-${String(i + 1).padStart(6, '0')}.parquet`)}'`);
      const [staged] = await queryParquet(`SELECT count(*)::INTEGER AS n, max(id) AS top FROM read_parquet([${counted.join(', ')}])`);
      assert.deepEqual(staged, { n: committed, top: committed });
      // A file the kill interrupted (or one written but not yet counted) is ignored and removed on resume.
      writeFileSync(join(staging, `batch-${String(stored.staging!.batches + 1).padStart(6, '0')}.parquet`), 'partial');
      await withLake(dir, async (destination) => {
        const writer = await destination.beginTable(contacts, 'full', true);
        assert.equal(readdirSync(staging).length, stored.staging!.batches);
        await writer.finish({ mode: 'full' });
      });
      assert.deepEqual(await ids(dir), Array.from({ length: committed }, (_, i) => i + 1));
    });

    test('killed after the manifest but before the state file: the state and staging follow the manifest', async () => {
      const dir = newDir();
      const final: TableState = { mode: 'full', lastFullAt: '2024-03-02T00:00:00.000Z' };
      await withLake(dir, async (destination) => {
        await fullPass(destination, [contact(1)]);
        const writer = await destination.beginTable(contacts, 'full', false);
        await writer.commit({ rows: [contact(2), contact(3)] }, fullState('r2', 2));
        // What the disk holds just before finish: the state file naming the staged batch, and the batch.
        const stateFile = join(dir, '_acsync', 'state', 'contacts.json');
        const before = readFileSync(stateFile);
        const staging = join(dir, 'contacts', '_staging');
        cpSync(staging, `${staging}.copy`, { recursive: true });
        await writer.finish(final);
        // Put the state file and staging back as if the process had died right after the manifest's rename.
        writeFileSync(stateFile, before);
        cpSync(`${staging}.copy`, staging, { recursive: true });
        rmSync(`${staging}.copy`, { recursive: true });
      });
      await withLake(dir, async (destination) => {
        assert.deepEqual((await destination.readState()).get('contacts'), final, 'the pass is complete, nothing to resume');
        // Even asked to resume, the finished pass's batches are not reused.
        const writer = await destination.beginTable(contacts, 'full', true);
        await writer.commit({ rows: [contact(4)] }, fullState('r3', 1));
        await writer.finish({ mode: 'full' });
      });
      assert.deepEqual(await ids(dir), [4]);
    });
  });

  describe('opening and URIs', () => {
    test('a second writer of the same lake gets a one-line lock error', async () => {
      const dir = newDir();
      await withLake(dir, async () => {
        await assert.rejects(localDestination(dir).open(), (error: Error) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.message, `another acsync process (pid ${process.pid}) is writing the Parquet lake ${dir}; wait for it to finish, then retry`);
          return true;
        });
      });
      await withLake(dir, async (destination) => assert.equal((await destination.readState()).size, 0));
    });

    test('a missing parent directory or a file in the way is a ConfigError; nothing is created', async () => {
      const missing = join(workDir, 'no-such-dir', 'lake');
      await assert.rejects(localDestination(missing).open(), (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.message, `cannot create the Parquet lake ${missing}: the directory ${dirname(missing)} does not exist; create it or choose another directory with --dest parquet:<dir>`);
        return true;
      });
      assert.equal(existsSync(dirname(missing)), false);
      const file = join(workDir, 'plain.txt');
      writeFileSync(file, 'x');
      await assert.rejects(localDestination(file).open(), (error: Error) => error instanceof ConfigError && /is not a directory/.test(error.message));
    });

    test('parquet: URIs with their options', async () => {
      const lake = await openDestination('parquet:./lake?keep=5');
      assert.ok(lake instanceof ParquetDestination);
      assert.equal(lake.keep, 5);
      assert.equal(lake.description, 'Parquet lake ./lake');
      assert.equal(parquetDestinationFromUri('/data/lake').keep, 3);
      await assert.rejects(openDestination('parquet:lake?keep=0'), (error: Error) => error instanceof ConfigError && /keep=0/.test(error.message));
      await assert.rejects(openDestination('parquet:lake?keep=two'), ConfigError);
      await assert.rejects(openDestination('parquet:lake?kep=2'), /unknown option "kep"/);
      await assert.rejects(openDestination('parquet:'), /needs a directory/);
      const s3 = await openDestination('s3://my-bucket/some/prefix/?keep=4&cache=/tmp/x');
      assert.ok(s3 instanceof ParquetDestination && s3.store instanceof S3LakeStore);
      assert.equal(s3.description, 'Parquet lake s3://my-bucket/some/prefix');
      assert.equal(s3.keep, 4);
      assert.equal(s3.store.root, '/tmp/x');
      await assert.rejects(openDestination('s3://'), /does not name an S3 bucket/);
      await assert.rejects(openDestination('s3://Bad_Bucket/x'), ConfigError);
    });
  });

  describe('S3', () => {
    let s3: TestS3;
    let bucketCounter = 0;
    const newBucket = async () => {
      const name = `lake-${++bucketCounter}`;
      await s3.createBucket(name);
      return name;
    };
    before(async () => {
      s3 = await startS3();
    });
    after(async () => {
      await s3.close();
    });

    /** A destination on `s3://bucket/acs` with a cache of its own (a machine of its own). */
    function s3Lake(bucket: string, published?: string[]): ParquetDestination {
      const cacheDir = mkdtempSync(join(workDir, 'cache-'));
      class RecordingStore extends S3LakeStore {
        override async publish(paths: readonly string[]): Promise<void> {
          await super.publish(paths);
          published?.push(...paths);
        }
      }
      return new ParquetDestination({ store: new RecordingStore({ bucket, prefix: 'acs', cacheDir, env: s3.env }) });
    }

    const mirror = (bucket: string): Promise<string> => s3.mirror(bucket, 'acs/', workDir);

    test('round trip: data before manifest before state; state read from the bucket; resume and incremental on another machine', async () => {
      const bucket = await newBucket();
      const published: string[] = [];
      const first = s3Lake(bucket, published);
      await first.open();
      try {
        await fullPass(first, [contact(1), contact(2)]);
        const crashed = await first.beginTable(contacts, 'full', false);
        await crashed.commit({ rows: [contact(3), contact(4)] }, fullState('r2', 2));
        await crashed.commit({ rows: [contact(5)] }, fullState('r2', 3));
        await crashed.abort();
      } finally {
        await first.close();
      }
      // The first pass's finish: its data, then its manifest, then its state.
      const data = published.indexOf('contacts/v000002/part-0000.parquet');
      const manifest = published.indexOf('contacts/_current.json', data);
      const state = published.indexOf('_acsync/state/contacts.json', manifest);
      assert.ok(data >= 0 && manifest > data && state > manifest, published.join(' '));
      // Each batch of the interrupted pass is uploaded before the state that counts it.
      for (const name of ['batch-000001.parquet', 'batch-000002.parquet']) {
        const batch = published.findLastIndex((p) => p.endsWith(name));
        assert.ok(batch > state && published.indexOf('_acsync/state/contacts.json', batch) > batch, name);
      }

      const keys = await s3.keys(bucket);
      assert.ok(keys.includes('acs/contacts/v000002/part-0000.parquet'));
      assert.equal(keys.filter((k) => k.includes('/_staging/')).length, 2, 'the interrupted pass left its two batches');
      assert.deepEqual(await ids(await mirror(bucket)), [1, 2]);

      // Another machine (an empty cache) reads the state from the bucket and finishes the pass.
      const second = s3Lake(bucket);
      await second.open();
      try {
        assert.equal((await second.readState()).get('contacts')?.inProgress?.position.rows, 3);
        const resumed = await second.beginTable(contacts, 'full', true);
        await resumed.commit({ rows: [contact(6)] }, fullState('r2', 4));
        await resumed.finish({ mode: 'full', lastFullAt: '2024-03-02T00:00:00.000Z' });
        await second.recordRun({ runId: 'r2', startedAt: '2024-03-02T00:00:00.000Z', endedAt: null, status: 'running', tables: [] });
      } finally {
        await second.close();
      }
      assert.deepEqual(await ids(await mirror(bucket)), [3, 4, 5, 6]);

      // A third machine runs an incremental pass: it needs the previous version, which it downloads.
      const third = s3Lake(bucket);
      await third.open();
      try {
        assert.equal((await third.readState()).get('contacts')?.lastFullAt, '2024-03-02T00:00:00.000Z');
        const writer = await third.beginTable(contacts, 'incremental', false);
        await writer.commit({ rows: [contact(4, 'new4@x'), contact(7)] }, { mode: 'incremental' });
        await writer.finish({ mode: 'incremental', cursor: '2024-03-03T00:00:00.000Z' });
      } finally {
        await third.close();
      }
      const lake = await mirror(bucket);
      assert.deepEqual(await emails(lake), [
        { id: 3, email: 'c3@example.com' }, { id: 4, email: 'new4@x' }, { id: 5, email: 'c5@example.com' },
        { id: 6, email: 'c6@example.com' }, { id: 7, email: 'c7@example.com' },
      ]);
      const finalKeys = await s3.keys(bucket);
      assert.deepEqual(finalKeys.filter((k) => k.includes('/contacts/')), [
        'acs/contacts/_current.json', 'acs/contacts/v000002/part-0000.parquet', 'acs/contacts/v000003/part-0000.parquet',
        'acs/contacts/v000004/part-0000.parquet',
      ], 'staging removed; v1 pruned by the keep count');
      assert.ok(finalKeys.includes('acs/_acsync/runs/r2.json'));
      assert.match(await s3.getText(bucket, 'acs/_acsync/views.sql'),
        /CREATE OR REPLACE VIEW "contacts" AS SELECT \* FROM read_parquet\(\['s3:\/\/lake-\d+\/acs\/contacts\/v000004\/part-0000\.parquet'\]\);/);
    });

    test('a stale cached file is replaced by the bucket copy', async () => {
      const bucket = await newBucket();
      const cacheDir = mkdtempSync(join(workDir, 'cache-'));
      const lake = () => new ParquetDestination({ store: new S3LakeStore({ bucket, prefix: 'acs', cacheDir, env: s3.env }) });
      const first = lake();
      await first.open();
      await fullPass(first, [contact(1)]).finally(() => first.close());
      // The cached copy of the current version no longer matches what the bucket holds.
      const cached = join(cacheDir, 'contacts', 'v000002', 'part-0000.parquet');
      const other = join(workDir, `other-${bucket}`);
      await withLake(other, (destination) => fullPass(destination, [contact(8), contact(9)]));
      cpSync(currentFiles(other, contacts)[0]!, cached);
      const second = lake();
      await second.open();
      try {
        const writer = await second.beginTable(contacts, 'incremental', false);
        await writer.commit({ rows: [contact(2)] }, { mode: 'incremental' });
        await writer.finish({ mode: 'incremental' });
      } finally {
        await second.close();
      }
      assert.deepEqual(await ids(await mirror(bucket)), [1, 2]);
    });

    test('a missing bucket and refused credentials are one-line ConfigErrors without secrets', async () => {
      await assert.rejects(s3DestinationFromUri(`s3://no-such-bucket/acs?cache=${mkdtempSync(join(workDir, 'cache-'))}`, s3.env).open(), (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.message, `the S3 bucket "no-such-bucket" does not exist at ${s3.endpoint}; create it or fix --dest s3://<bucket>/<prefix>`);
        return true;
      });
      const bucket = await newBucket();
      const secret = 'wJalrXUtnFEMI-not-a-real-secret';
      const env = { ...s3.env, AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN', AWS_SECRET_ACCESS_KEY: secret };
      const cacheDir = mkdtempSync(join(workDir, 'cache-'));
      await assert.rejects(s3DestinationFromUri(`s3://${bucket}/acs?cache=${cacheDir}`, env).open(), (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.message.split('\n').length, 1);
        assert.match(error.message, new RegExp(`^S3 refused access to the bucket "${bucket}" at ${s3.endpoint} \\(HTTP 403\\): check AWS_ACCESS_KEY_ID`));
        assert.ok(!error.message.includes(secret));
        return true;
      });
      // The failed open released the cache's lock.
      assert.equal(existsSync(join(cacheDir, '_acsync', 'lock')), false);
    });

    test('openDestination reads the AWS variables of the environment', async () => {
      const bucket = await newBucket();
      const saved = { ...process.env };
      Object.assign(process.env, s3.env);
      try {
        const destination = await openDestination(`s3://${bucket}/acs?cache=${mkdtempSync(join(workDir, 'cache-'))}`);
        await destination.open();
        try {
          await fullPass(destination as ParquetDestination, [contact(1)]);
        } finally {
          await destination.close();
        }
      } finally {
        for (const name of Object.keys(s3.env)) {
          if (saved[name] === undefined) delete process.env[name];
          else process.env[name] = saved[name];
        }
      }
      assert.deepEqual(await ids(await mirror(bucket)), [1]);
    });
  });
}
