/**
 * The DuckDB destination against real database files in a temporary directory: the shared destination
 * contract (./destination-contract.ts), then what is DuckDB's own (physical types, the file lock, file
 * checks). Some checks need a second process (the file lock, an unprivileged user): this file then runs
 * itself as that process, in the mode named by ACSYNC_DUCKDB_TEST_CHILD.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DuckDBDateValue, DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { ConfigError } from '../src/core/errors.js';
import { TABLES} from '../src/catalog/index.js';
import type { TableDef } from '../src/catalog/index.js';
import { DuckDbDestination } from '../src/destinations/duckdb.js';
import { ChunkBuilder, appendChunks } from '../src/destinations/duckdb-chunks.js';
import { columnList, commentStatements, createTableSql, quoteIdentifier, stagingName } from '../src/destinations/sql.js';
import type { RunRecord, TableState, TypedRow, TypedValue } from '../src/core/contract.js';
import { rowConverter } from '../src/engine/typing.js';
import { destinationContract } from './destination-contract.js';
import { watchChild } from './support/child.js';
import { table } from './support/catalog.js';

const CHILD_MODE = process.env.ACSYNC_DUCKDB_TEST_CHILD;

const contacts = table('contacts');
const convertContact = rowConverter(contacts);

/** A contacts row typed from an API-like record. */
function contact(id: number, email = `c${id}@example.com`): TypedRow {
  return convertContact({
    id: String(id), email, email_empty: false, bounced_date: '2024-02-05', sentcnt: '14',
    udate: '2024-03-01T16:02:11-03:00', created_utc_timestamp: '2024-02-05 13:22:10.250',
  }, { timeZone: null }, []);
}

function fullState(runId: string, rows: number): TableState {
  return { mode: 'full', inProgress: { runId, mode: 'full', stream: '/contacts', position: { offset: rows, rows } } };
}

/** Runs queries on a database file with a connection of its own (the destination must be closed). */
async function inspect<T>(path: string, work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJson();
}

/** The PRIMARY KEY constraints of a table, as lists of column names. */
async function primaryKeyConstraints(connection: DuckDBConnection, name: string): Promise<Record<string, unknown>[]> {
  return rows(connection, `SELECT constraint_column_names AS names FROM duckdb_constraints()
    WHERE database_name = current_database() AND table_name = '${name}' AND constraint_type = 'PRIMARY KEY'`);
}

async function tableExists(connection: DuckDBConnection, name: string): Promise<boolean> {
  const found = await connection.runAndReadAll(
    'SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = $1', [name]);
  return Number(found.getRows()[0]![0]) === 1;
}

/** A DuckDB value as the typed value the destination was given (timestamps µs, dates day numbers). */
function typedValue(value: DuckDBValue): TypedValue {
  if (value instanceof DuckDBTimestampValue) return value.micros;
  if (value instanceof DuckDBDateValue) return value.days;
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  throw new Error(`unexpected DuckDB value ${String(value)}`);
}

/** The rows of a table ordered by primary key, typed like `TypedRow`; [] if the table does not exist. */
async function readDuckDbTable(path: string, table: TableDef, name = table.name): Promise<TypedRow[]> {
  return inspect(path, async (c) => {
    if (!(await tableExists(c, name))) return [];
    const reader = await c.runAndReadAll(
      `SELECT ${columnList(table)} FROM ${quoteIdentifier(name)} ORDER BY ${table.primaryKey.map(quoteIdentifier).join(', ')}`);
    return reader.getRows().map((row) => row.map(typedValue));
  });
}

async function emails(path: string, name = 'contacts'): Promise<Record<string, unknown>[]> {
  return inspect(path, (c) => rows(c, `SELECT id, email FROM "${name}" ORDER BY id`));
}

function isoOf(value: DuckDBValue): string {
  if (!(value instanceof DuckDBTimestampValue)) throw new Error(`not a timestamp: ${String(value)}`);
  return new Date(Number(value.micros / 1000n)).toISOString();
}

function fileDigest(path: string): { sha1: string; mtimeMs: number; size: number } {
  const stat = statSync(path);
  return { sha1: createHash('sha1').update(readFileSync(path)).digest('hex'), mtimeMs: stat.mtimeMs, size: stat.size };
}

const here = fileURLToPath(import.meta.url);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Starts this file as a child process in `mode`; resolves each stdout line through `onLine`. */
function child(mode: string, env: Record<string, string>, options: { uid?: number; gid?: number } = {}) {
  const process_ = spawn(process.execPath, ['--import', 'tsx', here], {
    cwd: repoRoot,
    env: { ...process.env, ACSYNC_DUCKDB_TEST_CHILD: mode, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
  const watched = watchChild(process_, `child ${mode}`);
  return { process: process_, ...watched };
}

// ---------------------------------------------------------------------------------------------------
// Child process modes

async function runChild(mode: string): Promise<void> {
  const path = process.env.ACSYNC_DUCKDB_TEST_PATH!;
  const say = (line: string) => process.stdout.write(`${line}\n`);
  if (mode !== 'try-open') throw new Error(`unknown child mode ${mode}`);
  // Gives up at once: the wait itself is tested end to end (test/waits.test.ts).
  const destination = new DuckDbDestination({ path, lockWaitMs: 0 });
  try {
    await destination.open();
    say(JSON.stringify({ opened: true }));
    await destination.close();
  } catch (error) {
    say(JSON.stringify({ opened: false, name: (error as Error).name, message: (error as Error).message }));
  }
}

// ---------------------------------------------------------------------------------------------------

if (CHILD_MODE) {
  await runChild(CHILD_MODE);
} else {
  let workDir = '';
  let fileCounter = 0;
  const newPath = () => join(workDir, `db${++fileCounter}.duckdb`);

  before(() => {
    workDir = mkdtempSync(join(tmpdir(), 'acsync-duckdb-'));
  });
  after(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  /** Opens a destination on a new file, runs `work`, closes it. */
  async function withDestination<T>(path: string, work: (destination: DuckDbDestination) => Promise<T>): Promise<T> {
    const destination = new DuckDbDestination({ path });
    await destination.open();
    try {
      return await work(destination);
    } finally {
      await destination.close();
    }
  }

  destinationContract('DuckDB', {
    async create() {
      const path = newPath();
      return {
        destination: () => new DuckDbDestination({ path }),
        readTable: (t) => readDuckDbTable(path, t),
        readStagingRowCount: (t) => inspect(path, async (c) => {
          if (!(await tableExists(c, stagingName(t)))) return null;
          const [row] = await rows(c, `SELECT count(*)::INTEGER AS n FROM ${quoteIdentifier(stagingName(t))}`);
          return Number(row!.n);
        }),
        readRuns: () => inspect(path, async (c) => {
          const reader = await c.runAndReadAll('SELECT run_id, started_at, ended_at, status, tables FROM _acsync_runs ORDER BY run_id');
          return reader.getRows().map(([runId, startedAt, endedAt, status, tables]): RunRecord => ({
            runId: String(runId),
            startedAt: isoOf(startedAt!),
            endedAt: endedAt === null ? null : isoOf(endedAt!),
            status: String(status) as RunRecord['status'],
            tables: JSON.parse(String(tables)) as RunRecord['tables'],
          }));
        }),
        uri: `duckdb:${path}`,
        cleanup: async () => {
          rmSync(path, { force: true });
          rmSync(`${path}.wal`, { force: true });
        },
      };
    },
  });

  describe('tables', () => {
    test('every catalog table is created with its columns in order, DuckDB types, and its key declared in its comment, not as a constraint', async () => {
      const path = newPath();
      await withDestination(path, async (destination) => {
        for (const t of TABLES) await (await destination.beginTable(t, 'full', false)).abort();
      });
      const expectedType = { float: 'DOUBLE', text: 'VARCHAR', timestamp: 'TIMESTAMP', date: 'DATE', boolean: 'BOOLEAN' };
      await inspect(path, async (c) => {
        for (const t of TABLES) {
          for (const name of [t.name, stagingName(t)]) {
            const columns = await rows(c, `SELECT column_name, data_type FROM information_schema.columns
              WHERE table_catalog = current_database() AND table_name = '${name}' ORDER BY ordinal_position`);
            assert.deepEqual(columns, t.columns.map((col) => ({ column_name: col.name, data_type: expectedType[col.type] })), name);
            assert.deepEqual(await primaryKeyConstraints(c, name), [], name);
            const comment = await rows(c, `SELECT comment FROM duckdb_tables() WHERE database_name = current_database() AND table_name = '${name}'`);
            assert.deepEqual(comment, [{ comment: `${t.description} Key: ${t.primaryKey.join(', ')} (one row per key, kept by acsync; no constraint).` }], name);
          }
        }
        const comment = await rows(c, `SELECT comment FROM duckdb_columns()
          WHERE database_name = current_database() AND table_name = 'contacts' AND column_name = 'email'`);
        assert.deepEqual(comment, [{ comment: 'Contact email address' }]);
        const bookkeeping = await rows(c, `SELECT table_name, column_name, data_type FROM information_schema.columns
          WHERE table_name IN ('_acsync_state', '_acsync_runs') ORDER BY table_name, ordinal_position`);
        assert.deepEqual(bookkeeping.map((r) => `${String(r.table_name)}.${String(r.column_name)} ${String(r.data_type)}`), [
          '_acsync_runs.run_id VARCHAR', '_acsync_runs.started_at TIMESTAMP', '_acsync_runs.ended_at TIMESTAMP',
          '_acsync_runs.status VARCHAR', '_acsync_runs.tables VARCHAR',
          '_acsync_state.table_name VARCHAR', '_acsync_state.state VARCHAR', '_acsync_state.updated_at TIMESTAMP',
        ]);
      });
    });
  });

  describe('full mode', () => {
    test('batches fill the staging copy; finish publishes their union and the state', async () => {
      const path = newPath();
      const final: TableState = { mode: 'full', lastFullAt: '2024-03-02T00:00:00.000Z' };
      await withDestination(path, async (destination) => {
        const writer = await destination.beginTable(contacts, 'full', false);
        await writer.commit({ rows: [contact(1), contact(2)] }, fullState('r1', 2));
        // Within a batch the last row of a key wins.
        await writer.commit({ rows: [contact(3, 'first@x'), contact(4), contact(3, 'last@x')] }, fullState('r1', 5));
        await writer.commit({ rows: [contact(5)] }, fullState('r1', 6));
        await writer.finish(final);
        assert.deepEqual((await destination.readState()).get('contacts'), final);
      });
      assert.deepEqual(await emails(path), [
        { id: 1, email: 'c1@example.com' }, { id: 2, email: 'c2@example.com' }, { id: 3, email: 'last@x' },
        { id: 4, email: 'c4@example.com' }, { id: 5, email: 'c5@example.com' },
      ]);
      await inspect(path, async (c) => {
        assert.equal(await tableExists(c, stagingName(contacts)), false);
        // Each logical type arrives intact.
        const [row] = await rows(c, `SELECT id, email_empty, CAST(bounced_date AS VARCHAR) AS bounced, sentcnt,
          epoch_us(udate) AS udate, epoch_us(created_utc_timestamp) AS created, phone FROM contacts WHERE id = 1`);
        assert.deepEqual(row, {
          id: 1, email_empty: false, bounced: '2024-02-05', sentcnt: 14,
          udate: String(Date.parse('2024-03-01T19:02:11Z') * 1000),
          created: String(Date.parse('2024-02-05T13:22:10.250Z') * 1000), phone: null,
        });
        const [published] = await rows(c, `SELECT comment FROM duckdb_tables() WHERE database_name = current_database() AND table_name = 'contacts'`);
        assert.match(String(published!.comment), / Key: id \(one row per key, kept by acsync; no constraint\)\.$/, 'the published table keeps its declared key');
      });
    });
  });

  describe('incremental mode', () => {

    test('a live table of another shape is refused in incremental mode and rebuilt by a full pass', async () => {
      const path = newPath();
      await inspect(path, (c) => c.run('CREATE TABLE contacts (id DOUBLE PRIMARY KEY, email VARCHAR)'));
      await withDestination(path, async (destination) => {
        await assert.rejects(destination.beginTable(contacts, 'incremental', false),
          new RegExp(`table contacts in ${path.replaceAll('.', '\\.')} does not have the columns and key acsync writes; run it once in full mode`));
        const writer = await destination.beginTable(contacts, 'full', false);
        await writer.commit({ rows: [contact(1)] }, fullState('r', 1));
        await writer.finish({ mode: 'full' });
        const next = await destination.beginTable(contacts, 'incremental', false);
        await next.commit({ rows: [contact(2)] }, { mode: 'incremental' });
        await next.finish({ mode: 'incremental' });
      });
      assert.deepEqual((await emails(path)).map((r) => r.id), [1, 2]);
      const columnCount = await inspect(path, (c) => rows(c, `SELECT count(*)::INTEGER AS n FROM information_schema.columns
        WHERE table_catalog = current_database() AND table_name = 'contacts'`));
      assert.deepEqual(columnCount, [{ n: contacts.columns.length }]);
    });
  });

  describe('a file written by an earlier version (tables with a PRIMARY KEY constraint)', () => {
    test('an incremental pass upserts into its live table; the next full pass replaces it with the declared-key form', async () => {
      const path = newPath();
      // What earlier versions created: the catalog's columns with a PRIMARY KEY, and a comment without the key.
      await inspect(path, async (c) => {
        for (const sql of [createTableSql(contacts, 'contacts', 'duckdb'), ...commentStatements(contacts, 'contacts')]) await c.run(sql);
      });
      const oldRows = [contact(1), contact(2)];
      await inspect(path, (c) => appendChunks(c, 'contacts', new ChunkBuilder(contacts, 'TIMESTAMP').chunks(oldRows)));
      await withDestination(path, async (destination) => {
        const writer = await destination.beginTable(contacts, 'incremental', false);
        await writer.commit({ rows: [contact(2, 'changed@x'), contact(3)] }, { mode: 'incremental' });
        await writer.commit({ rows: [contact(3, 'again@x')] }, { mode: 'incremental' });
        await writer.finish({ mode: 'incremental' });
      });
      assert.deepEqual(await emails(path), [
        { id: 1, email: 'c1@example.com' }, { id: 2, email: 'changed@x' }, { id: 3, email: 'again@x' },
      ]);
      assert.deepEqual(await inspect(path, (c) => primaryKeyConstraints(c, 'contacts')), [{ names: ['id'] }]);

      await withDestination(path, async (destination) => {
        const writer = await destination.beginTable(contacts, 'full', false);
        await writer.commit({ rows: [contact(1), contact(4)] }, fullState('r', 2));
        await writer.finish({ mode: 'full' });
        const next = await destination.beginTable(contacts, 'incremental', false);
        await next.commit({ rows: [contact(4, 'four@x')] }, { mode: 'incremental' });
        await next.finish({ mode: 'incremental' });
      });
      assert.deepEqual(await emails(path), [{ id: 1, email: 'c1@example.com' }, { id: 4, email: 'four@x' }]);
      assert.deepEqual(await inspect(path, (c) => primaryKeyConstraints(c, 'contacts')), []);
    });

    test('a large keyed live table takes upserts: its index, which cannot spill, gets a larger buffer pool', async () => {
      const path = newPath();
      const ids = 1_000_000;
      await inspect(path, async (c) => {
        await c.run(createTableSql(contacts, 'contacts', 'duckdb'));
        const values = contacts.columns.map((col) => (col.name === 'id' ? 'i::DOUBLE' : col.type === 'text' ? `'x' || i` : 'NULL'));
        await c.run(`INSERT INTO contacts SELECT ${values.join(', ')} FROM range(1, ${ids + 1}) AS r(i)`);
      });
      await withDestination(path, async (destination) => {
        const writer = await destination.beginTable(contacts, 'incremental', false);
        for (let batch = 0; batch < 3; batch++) {
          const batchRows = Array.from({ length: 2000 }, (_, i) => contact(1 + ((batch * 2000 + i) * 487) % ids, 'new@x'));
          await writer.commit({ rows: batchRows }, { mode: 'incremental' });
        }
        await writer.finish({ mode: 'incremental' });
      });
      const [counts] = await inspect(path, (c) => rows(c, `SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE email = 'new@x')::INTEGER AS changed FROM contacts`));
      assert.deepEqual(counts, { n: ids, changed: 6000 });
    });
  });

  describe('the file lock', () => {

    test('a second process gets a one-line lock error naming the file', async () => {
      const path = newPath();
      await withDestination(path, async () => {
        const other = child('try-open', { ACSYNC_DUCKDB_TEST_PATH: path });
        const line = await other.waitFor(() => true);
        await other.exited;
        assert.deepEqual(JSON.parse(line), {
          opened: false,
          name: 'ConfigError',
          message: `another process (PID ${process.pid}) has ${path} open (another sync, or a reader such as a BI tool); close it or wait for it to finish, then retry`,
        });
      });
    });
  });

  describe('opening', () => {
    test('a missing directory or a path below a file is a ConfigError naming the path; nothing is created', async () => {
      const missing = join(workDir, 'no-such-dir', 'x.duckdb');
      await assert.rejects(new DuckDbDestination({ path: missing }).open(), (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.message.split('\n').length, 1);
        assert.match(error.message, /no-such-dir does not exist; create it/);
        assert.ok(error.message.includes(missing));
        return true;
      });
      assert.equal(existsSync(join(workDir, 'no-such-dir')), false);

      const plainFile = join(workDir, 'plain.txt');
      writeFileSync(plainFile, 'x');
      await assert.rejects(new DuckDbDestination({ path: join(plainFile, 'x.duckdb') }).open(),
        (error: Error) => error instanceof ConfigError && /is not a directory/.test(error.message));
    });

    test('an unwritable directory is a ConfigError and nothing is created', async () => {
      const base = mkdtempSync(join(tmpdir(), 'acsync-duckdb-ro-'));
      try {
        const locked = join(base, 'locked');
        mkdirSync(locked);
        chmodSync(locked, 0o555);
        const path = join(locked, 'x.duckdb');
        let result: { opened: boolean; name?: string; message?: string };
        if (process.getuid?.() === 0) {
          // Root writes anywhere: check as an unprivileged user instead.
          chmodSync(base, 0o755);
          const other = child('try-open', { ACSYNC_DUCKDB_TEST_PATH: path }, { uid: 65534, gid: 65534 });
          result = JSON.parse(await other.waitFor(() => true)) as typeof result;
          await other.exited;
        } else {
          try {
            await new DuckDbDestination({ path }).open();
            result = { opened: true };
          } catch (error) {
            result = { opened: false, name: (error as Error).name, message: (error as Error).message };
          }
        }
        assert.deepEqual(result, {
          opened: false,
          name: 'ConfigError',
          message: `cannot write the DuckDB file ${path}: the directory ${locked} is not writable; fix its permissions or choose another file with --dest duckdb:<file>`,
        });
        assert.equal(existsSync(path), false);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    });

    test('an existing file that is not a DuckDB database is refused and left untouched', async () => {
      for (const content of ['name,email\nana,ana@example.com\n', '']) {
        const path = newPath();
        writeFileSync(path, content);
        const before = fileDigest(path);
        await assert.rejects(new DuckDbDestination({ path }).open(), (error: Error) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.message, `${path} exists but is not a DuckDB database; acsync leaves it untouched: choose another file with --dest duckdb:<file>`);
          return true;
        });
        assert.deepEqual(fileDigest(path), before);
        assert.equal(existsSync(`${path}.wal`), false);
      }
    });

    test('opening and closing an existing database without committing leaves the file unchanged', async () => {
      const path = newPath();
      await withDestination(path, async (destination) => {
        const writer = await destination.beginTable(contacts, 'full', false);
        await writer.commit({ rows: [contact(1)] }, fullState('r', 1));
        await writer.finish({ mode: 'full' });
      });
      const before = fileDigest(path);
      await withDestination(path, async (destination) => {
        await destination.readState();
      });
      assert.deepEqual(fileDigest(path), before);
      assert.equal(existsSync(`${path}.wal`), false);
    });

    test('describes itself by its path', () => {
      assert.equal(new DuckDbDestination({ path: 'activecampaign.duckdb' }).description, 'DuckDB file activecampaign.duckdb');
    });
  });
}
