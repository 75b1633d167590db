/**
 * The destination contract (src/destinations/types.ts) as node:test tests that any destination must pass.
 * A destination's test file calls `destinationContract(name, setup)`; `setup.create()` gives each test a
 * fresh, empty store (a file, a schema, a directory) and the means to read it back independently of the
 * destination under test.
 *
 * Tables are chosen from the catalog by what a test needs (an incremental table with every logical type,
 * a child table, a composite key), so the suite follows the catalog as it changes. Row values are
 * generated per column type from a key and a version number: a different version differs in every
 * non-key column, which is what "the last value wins" checks look at.
 *
 * The crash tests run a destination in a child process (this file, started with
 * ACSYNC_CONTRACT_CHILD_URI set) opened through `openDestination(uri)` exactly as the CLI opens it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TABLES, columnName } from '../src/catalog/index.js';
import type { LogicalType, TableDef } from '../src/catalog/index.js';
import { openDestination } from '../src/destinations/index.js';
import type {
  Destination, RunRecord, RunTableRecord, TableState, TypedRow, TypedValue,
} from '../src/core/contract.js';
import { watchChild } from './support/child.js';

/** One fresh store of the destination under test. */
export interface ContractStore {
  /** A new, unopened destination writing to this store; the suite opens and closes several in turn. */
  destination(): Destination;
  /**
   * The published rows of `table` (what a reader of the live table sees), typed like `TypedRow`
   * (timestamps bigint µs, dates day numbers), ordered by primary key; [] when the table does not exist.
   * Only called while no destination of the store is open.
   */
  readTable(table: TableDef): Promise<TypedRow[]>;
  /** Rows in the staging copy of a full pass of `table`, null when there is none (destinations staging in a table). */
  readStagingRowCount?(table: TableDef): Promise<number | null>;
  /** The runs in `_acsync_runs` (or its equivalent), ordered by run id. */
  readRuns?(): Promise<RunRecord[]>;
  /** The `--dest` URI of this store, for the tests that kill a destination's process: without it they are skipped. */
  readonly uri?: string;
  cleanup(): Promise<void>;
}

export interface ContractSetup {
  create(): Promise<ContractStore>;
}

// ---------------------------------------------------------------------------------------------------
// Tables the tests use, chosen by property

const LOGICAL_TYPES: readonly LogicalType[] = ['float', 'text', 'timestamp', 'date', 'boolean'];

function pick(what: string, predicate: (table: TableDef) => boolean): TableDef {
  const found = TABLES.find(predicate);
  if (!found) throw new Error(`the catalog has no ${what}`);
  return found;
}

const hasEveryType = (table: TableDef) => LOGICAL_TYPES.every((type) => table.columns.some((c) => c.type === type));

/** A single-key table offering incremental mode, with a column of every logical type (contacts). */
const MAIN = pick('single-key incremental table with every logical type',
  (t) => t.primaryKey.length === 1 && !!t.incremental && !t.incremental.child && hasEveryType(t));
/** A single-key child table whose rows are replaced per parent in incremental mode. */
const CHILD = pick('single-key incremental child table', (t) => t.primaryKey.length === 1 && !!t.incremental?.child);
const CHILD_PARENT_COLUMN = columnName(CHILD.incremental!.child!.parentKey);
/** A table keyed by two columns that offers incremental mode. */
const COMPOSITE = pick('composite-key incremental table', (t) => t.primaryKey.length > 1 && !!t.incremental);
/** An incremental table copying columns from a joined object (contacts_tags: its tag), and its id column. */
const JOINED = pick('incremental table copying a joined object\'s columns', (t) => !!t.incremental && !!t.source.join
  && t.columns.some((c) => c.joined !== undefined));
const JOINED_ON = JOINED.columns.find((c) => !c.joined && c.source === JOINED.source.join!.on)!.name;
const JOINED_COLUMNS = JOINED.columns.filter((c) => c.joined !== undefined).map((c) => c.name);

// ---------------------------------------------------------------------------------------------------
// Rows

function keyIndexes(table: TableDef): number[] {
  return table.primaryKey.map((key) => table.columns.findIndex((c) => c.name === key));
}

/**
 * A row of `table` with key `key` (one number per key column) and every other column set from the key
 * and `version` according to its type; `overrides` sets columns by name.
 */
export function rowFor(table: TableDef, key: readonly number[], version = 0,
  overrides: Readonly<Record<string, TypedValue>> = {}): TypedRow {
  assert.equal(key.length, table.primaryKey.length, `a key of ${table.name} has ${table.primaryKey.length} parts`);
  const keySum = key.reduce((a, b) => a + b, 0);
  return table.columns.map((column, index) => {
    if (column.name in overrides) return overrides[column.name]!;
    const keyPart = table.primaryKey.indexOf(column.name);
    if (keyPart >= 0) return key[keyPart]!;
    switch (column.type) {
      case 'float': return keySum * 100 + index + version / 4;
      case 'text': return `v${version} ${column.name} #${keySum}`;
      case 'timestamp': return 1_700_000_000_000_000n + BigInt(keySum) * 1_000_003n + BigInt(index * 7 + version);
      case 'date': return 19_000 + keySum + index + version;
      case 'boolean': return (keySum + index + version) % 2 === 0;
    }
  });
}

/** Rows of a single-key table for keys `from`…`to`. */
export function rowsFor(table: TableDef, from: number, to: number, version = 0): TypedRow[] {
  const rows: TypedRow[] = [];
  for (let id = from; id <= to; id++) rows.push(rowFor(table, [id], version));
  return rows;
}

function compareValues(a: TypedValue | undefined, b: TypedValue | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `rows` ordered by primary key, as `readTable` returns them. */
export function sortedByKey(table: TableDef, rows: readonly TypedRow[]): TypedRow[] {
  const indexes = keyIndexes(table);
  return [...rows].sort((a, b) => {
    for (const index of indexes) {
      const order = compareValues(a[index], b[index]);
      if (order !== 0) return order;
    }
    return 0;
  });
}

/** Only the key values of rows, for short failure messages. */
function keysOf(table: TableDef, rows: readonly TypedRow[]): TypedValue[][] {
  const indexes = keyIndexes(table);
  return rows.map((row) => indexes.map((index) => row[index]!));
}

function assertTable(table: TableDef, actual: readonly TypedRow[], expected: readonly TypedRow[], message?: string): void {
  const sorted = sortedByKey(table, expected);
  assert.deepEqual(keysOf(table, actual), keysOf(table, sorted), `${message ?? table.name}: keys`);
  assert.deepEqual(actual, sorted, message ?? table.name);
}

// ---------------------------------------------------------------------------------------------------
// States

function fullState(runId: string, rows: number): TableState {
  return { mode: 'full', inProgress: { runId, mode: 'full', stream: 'contract', position: { offset: rows, rows } } };
}

function incrementalState(cursor: string): TableState {
  return { mode: 'incremental', cursor };
}

// ---------------------------------------------------------------------------------------------------
// Values that must round-trip exactly, per logical type

const FIFTY_KB = Array.from({ length: 2000 }, (_, i) => `${i}\t"q"\\'x'\n😀é,`).join('').slice(0, 50_000);

const EXACT_VALUES: Readonly<Record<LogicalType, readonly TypedValue[]>> = {
  float: [null, 0, 1, -1, 1.5, -2.25, 0.1, 1 / 3, 2 ** 53, -(2 ** 53), 1e300, -1e-300, 5e-324, Number.MAX_VALUE,
    1250000, 123456789.12345679],
  text: [null, '', ' ', 'plain', 'tab\there', 'line\nbreak', 'crlf\r\nend', 'back\\slash', '\\N', '\\.', 'N', 'NULL',
    'null', `quote's "double"`, 'comma,semi;pipe|', '||Red||Blue||', '😀 emoji 👍🏽 中文 ação', 'e\u0301 combining',
    '\u2028 line separator', '["Retail","Services"]', FIFTY_KB, '\\', '"', "'", '\t', '\n'],
  timestamp: [null, 0n, 1n, -1n, 1_700_000_000_123_456n, 1_700_000_000_000_001n,
    -2_208_988_800_000_000n, // 1900-01-01
    -2_208_988_799_999_999n,
    -62_135_596_800_000_000n, // 0001-01-01
    253_402_300_799_999_999n, // 9999-12-31 23:59:59.999999
    -86_399_999_999n, // 1969-12-31 00:00:00.000001
    951_782_400_000_000n, // 2000-02-29
    4_102_444_799_999_999n], // 2099-12-31 23:59:59.999999
  date: [null, 0, -1, 1, 11_016, -25_567, 2_932_896, -719_162, 19_800, 47_482],
  boolean: [null, true, false],
};

/** Rows of `table` where every non-key column of a type takes that type's i-th exact value (cycling). */
function exactRows(table: TableDef, firstId: number): TypedRow[] {
  const count = Math.max(...LOGICAL_TYPES.map((type) => EXACT_VALUES[type].length));
  const rows: TypedRow[] = [];
  for (let i = 0; i < count; i++) {
    const overrides: Record<string, TypedValue> = {};
    for (const column of table.columns) {
      if (table.primaryKey.includes(column.name)) continue;
      const values = EXACT_VALUES[column.type];
      overrides[column.name] = values[i % values.length]!;
    }
    rows.push(rowFor(table, [firstId + i], 0, overrides));
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------
// The crash tests' child process

const CHILD_URI = process.env.ACSYNC_CONTRACT_CHILD_URI;
const CHILD_BATCH_ROWS = 500;
const here = fileURLToPath(import.meta.url);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Child mode: opens the destination of ACSYNC_CONTRACT_CHILD_URI, starts a full pass of MAIN and commits
 * batches of CHILD_BATCH_ROWS rows, saying `committed <n>` after each; with ACSYNC_CONTRACT_CHILD_BATCHES
 * set it stops after that many and says `idle`, otherwise it commits until killed.
 */
async function runChild(uri: string): Promise<void> {
  const destination = await openDestination(uri);
  await destination.open();
  const writer = await destination.beginTable(MAIN, 'full', false);
  const limit = process.env.ACSYNC_CONTRACT_CHILD_BATCHES ? Number(process.env.ACSYNC_CONTRACT_CHILD_BATCHES) : Infinity;
  for (let batch = 0; batch < limit; batch++) {
    const first = batch * CHILD_BATCH_ROWS + 1;
    await writer.commit({ rows: rowsFor(MAIN, first, first + CHILD_BATCH_ROWS - 1) },
      fullState('crash-run', (batch + 1) * CHILD_BATCH_ROWS));
    process.stdout.write(`committed ${batch + 1}\n`);
  }
  process.stdout.write('idle\n');
  setInterval(() => undefined, 60_000);
}

if (CHILD_URI && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runChild(CHILD_URI);
}

/** Starts the child process on `uri`; `waitFor` resolves with the first stdout line `predicate` accepts. */
function startChild(uri: string, batches?: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', here], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ACSYNC_CONTRACT_CHILD_URI: uri,
      ACSYNC_CONTRACT_CHILD_BATCHES: batches === undefined ? '' : String(batches),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const watched = watchChild(child, 'the child process');
  return { child, waitFor: watched.waitFor, exited: watched.exited };
}

// ---------------------------------------------------------------------------------------------------

/** Registers the contract's tests for one destination. */
export function destinationContract(name: string, setup: ContractSetup): void {
  /** Runs `work` on a fresh store and cleans it up, whatever happens. */
  async function withStore(work: (store: ContractStore) => Promise<void>): Promise<void> {
    const store = await setup.create();
    try {
      await work(store);
    } finally {
      await store.cleanup();
    }
  }

  /** Opens a destination of `store`, runs `work`, closes it. */
  async function session<T>(store: ContractStore, work: (destination: Destination) => Promise<T>): Promise<T> {
    const destination = store.destination();
    await destination.open();
    try {
      return await work(destination);
    } finally {
      await destination.close();
    }
  }

  describe(`destination contract: ${name}`, () => {
    test('every catalog table takes rows with its columns in order and their types', async () => {
      await withStore(async (store) => {
        const written = new Map<string, TypedRow[]>();
        await session(store, async (destination) => {
          for (const table of TABLES) {
            const key = (n: number) => table.primaryKey.map((_, part) => n + part);
            const rows = [rowFor(table, key(1)), rowFor(table, key(2), 1)];
            const writer = await destination.beginTable(table, 'full', false);
            await writer.commit({ rows }, fullState('r1', 2));
            await writer.finish({ mode: 'full' });
            written.set(table.name, rows);
          }
        });
        for (const table of TABLES) assertTable(table, await store.readTable(table), written.get(table.name)!);
      });
    });

    test('full: the batches of a pass are published together by finish, with the final state', async () => {
      await withStore(async (store) => {
        const final: TableState = { mode: 'full', lastFullAt: '2024-03-02T00:00:00.000Z' };
        await session(store, async (destination) => {
          const writer = await destination.beginTable(MAIN, 'full', false);
          await writer.commit({ rows: rowsFor(MAIN, 1, 100) }, fullState('r1', 100));
          await writer.commit({ rows: rowsFor(MAIN, 101, 250) }, fullState('r1', 250));
          assert.deepEqual((await destination.readState()).get(MAIN.name), fullState('r1', 250));
          await writer.commit({ rows: rowsFor(MAIN, 251, 251) }, fullState('r1', 251));
          await writer.finish(final);
          assert.deepEqual((await destination.readState()).get(MAIN.name), final);
        });
        assertTable(MAIN, await store.readTable(MAIN), rowsFor(MAIN, 1, 251));
        if (store.readStagingRowCount) assert.equal(await store.readStagingRowCount(MAIN), null, 'finish consumes the staging copy');
      });
    });

    test('full: a pass that commits nothing publishes an empty table (rows deleted at the source disappear)', async () => {
      await withStore(async (store) => {
        await session(store, async (destination) => {
          const first = await destination.beginTable(MAIN, 'full', false);
          await first.commit({ rows: rowsFor(MAIN, 1, 3) }, fullState('r1', 3));
          await first.finish({ mode: 'full' });
        });
        assert.equal((await store.readTable(MAIN)).length, 3);
        await session(store, async (destination) => {
          const second = await destination.beginTable(MAIN, 'full', false);
          await second.finish({ mode: 'full' });
        });
        assert.deepEqual(await store.readTable(MAIN), []);
      });
    });

    test('full: an aborted second pass leaves the first copy and keeps its own staging rows', async () => {
      await withStore(async (store) => {
        await session(store, async (destination) => {
          const first = await destination.beginTable(MAIN, 'full', false);
          await first.commit({ rows: rowsFor(MAIN, 1, 5) }, fullState('r1', 5));
          await first.finish({ mode: 'full' });
          const second = await destination.beginTable(MAIN, 'full', false);
          await second.commit({ rows: rowsFor(MAIN, 3, 9, 1) }, fullState('r2', 7));
          await second.abort();
        });
        assertTable(MAIN, await store.readTable(MAIN), rowsFor(MAIN, 1, 5));
        if (store.readStagingRowCount) assert.equal(await store.readStagingRowCount(MAIN), 7);
      });
    });

    test('full: resume continues the staging copy of a crashed pass; re-read rows are not duplicated', async () => {
      await withStore(async (store) => {
        await session(store, async (destination) => {
          const previous = await destination.beginTable(MAIN, 'full', false);
          await previous.commit({ rows: rowsFor(MAIN, 1, 50) }, fullState('r0', 50));
          await previous.finish({ mode: 'full' });
          // The crashed pass: two batches committed, then the process went away without finish or abort.
          const crashed = await destination.beginTable(MAIN, 'full', false);
          await crashed.commit({ rows: rowsFor(MAIN, 1, 10, 1) }, fullState('r1', 10));
          await crashed.commit({ rows: rowsFor(MAIN, 11, 20, 1) }, fullState('r1', 20));
        });
        assertTable(MAIN, await store.readTable(MAIN), rowsFor(MAIN, 1, 50), 'the crashed pass is not published');
        await session(store, async (destination) => {
          assert.deepEqual((await destination.readState()).get(MAIN.name), fullState('r1', 20));
          // The engine resumes under its own run id, re-reading the last page (keys 16-20, changed since).
          const resumed = await destination.beginTable(MAIN, 'full', true);
          await resumed.commit({ rows: rowsFor(MAIN, 16, 25, 2) }, fullState('r2', 25));
          await resumed.commit({ rows: rowsFor(MAIN, 26, 30, 2) }, fullState('r2', 30));
          await resumed.finish({ mode: 'full' });
        });
        assertTable(MAIN, await store.readTable(MAIN),
          [...rowsFor(MAIN, 1, 15, 1), ...rowsFor(MAIN, 16, 30, 2)]);
      });
    });

    test('full: resume=false discards an earlier staging copy; resume=true without one starts afresh', async () => {
      await withStore(async (store) => {
        await session(store, async (destination) => {
          const crashed = await destination.beginTable(MAIN, 'full', false);
          await crashed.commit({ rows: rowsFor(MAIN, 1, 4) }, fullState('r1', 4));
          const fresh = await destination.beginTable(MAIN, 'full', false);
          await fresh.commit({ rows: rowsFor(MAIN, 9, 9) }, fullState('r2', 1));
          await fresh.finish({ mode: 'full' });
        });
        assertTable(MAIN, await store.readTable(MAIN), rowsFor(MAIN, 9, 9));
        await session(store, async (destination) => {
          const again = await destination.beginTable(MAIN, 'full', true);
          await again.commit({ rows: rowsFor(MAIN, 10, 11) }, fullState('r3', 2));
          await again.finish({ mode: 'full' });
        });
        assertTable(MAIN, await store.readTable(MAIN), rowsFor(MAIN, 10, 11));
      });
    });

    for (const mode of ['full', 'incremental'] as const) {
      test(`${mode}: a key repeated within a batch and across batches ends as one row with the last value`, async () => {
        await withStore(async (store) => {
          const state = mode === 'full' ? fullState('r1', 1) : incrementalState('2024-01-01T00:00:00.000Z');
          await session(store, async (destination) => {
            const writer = await destination.beginTable(MAIN, mode, false);
            await writer.commit({
              rows: [rowFor(MAIN, [1], 1), rowFor(MAIN, [2], 1), rowFor(MAIN, [1], 2), rowFor(MAIN, [3], 1), rowFor(MAIN, [1], 3)],
            }, state);
            await writer.commit({ rows: [rowFor(MAIN, [2], 4), rowFor(MAIN, [2], 5), rowFor(MAIN, [4], 1)] }, state);
            await writer.commit({ rows: [rowFor(MAIN, [3], 6)] }, state);
            await writer.finish(state);
          });
          assertTable(MAIN, await store.readTable(MAIN),
            [rowFor(MAIN, [1], 3), rowFor(MAIN, [2], 5), rowFor(MAIN, [3], 6), rowFor(MAIN, [4], 1)]);
        });
      });
    }

    test('composite keys: rows are told apart and upserted by every key column', async () => {
      await withStore(async (store) => {
        const state = incrementalState('2024-01-01T00:00:00.000Z');
        await session(store, async (destination) => {
          const writer = await destination.beginTable(COMPOSITE, 'incremental', false);
          await writer.commit({
            rows: [rowFor(COMPOSITE, [1, 1], 1), rowFor(COMPOSITE, [2, 1], 1), rowFor(COMPOSITE, [1, 2], 1), rowFor(COMPOSITE, [1, 1], 2)],
          }, state);
          await writer.commit({ rows: [rowFor(COMPOSITE, [2, 1], 3)] }, state);
          await writer.finish(state);
        });
        assertTable(COMPOSITE, await store.readTable(COMPOSITE),
          [rowFor(COMPOSITE, [1, 1], 2), rowFor(COMPOSITE, [1, 2], 1), rowFor(COMPOSITE, [2, 1], 3)]);
      });
    });

    test('incremental: upserts into the table a full pass published, keeping the other rows', async () => {
      await withStore(async (store) => {
        await session(store, async (destination) => {
          const full = await destination.beginTable(MAIN, 'full', false);
          await full.commit({ rows: rowsFor(MAIN, 1, 10) }, fullState('r1', 10));
          await full.finish({ mode: 'full', lastFullAt: '2024-03-01T00:00:00.000Z' });
          const incremental = await destination.beginTable(MAIN, 'incremental', false);
          await incremental.commit({ rows: [...rowsFor(MAIN, 4, 5, 1), ...rowsFor(MAIN, 11, 12, 1)] },
            incrementalState('2024-03-02T00:00:00.000Z'));
          await incremental.commit({ rows: rowsFor(MAIN, 5, 5, 2) }, incrementalState('2024-03-03T00:00:00.000Z'));
          await incremental.finish(incrementalState('2024-03-03T00:00:00.000Z'));
          assert.deepEqual((await destination.readState()).get(MAIN.name), incrementalState('2024-03-03T00:00:00.000Z'));
        });
        assertTable(MAIN, await store.readTable(MAIN),
          [...rowsFor(MAIN, 1, 3), ...rowsFor(MAIN, 4, 4, 1), ...rowsFor(MAIN, 5, 5, 2), ...rowsFor(MAIN, 6, 10), ...rowsFor(MAIN, 11, 12, 1)]);
      });
    });

    test('incremental: replaceChildrenOf replaces the children of the listed parents only', async () => {
      await withStore(async (store) => {
        const child = (id: number, parent: number, version = 0) => rowFor(CHILD, [id], version, { [CHILD_PARENT_COLUMN]: parent });
        const state = incrementalState('2024-03-01T00:00:00.000Z');
        await session(store, async (destination) => {
          const writer = await destination.beginTable(CHILD, 'incremental', false);
          await writer.commit({ rows: [child(11, 1), child(12, 1), child(21, 2), child(31, 3), child(41, 4)] }, state);
          // Parent 1 now has children 12 (changed) and 13; parent 2 has none left; 3 and 4 are not on the page.
          await writer.commit({
            rows: [child(12, 1, 1), child(13, 1, 1)], replaceChildrenOf: { column: CHILD_PARENT_COLUMN, ids: [1, 2] },
          }, state);
          // A page whose parents have no children at all: only deletions.
          await writer.commit({ rows: [], replaceChildrenOf: { column: CHILD_PARENT_COLUMN, ids: [4] } }, state);
          await writer.finish(state);
        });
        assertTable(CHILD, await store.readTable(CHILD), [child(12, 1, 1), child(13, 1, 1), child(31, 3)]);
      });
    });

    describe('refreshing the columns copied from a joined object', () => {
      const at = (name: string) => JOINED.columns.findIndex((c) => c.name === name);
      const key = (n: number) => JOINED.primaryKey.map(() => n);
      /** Object `id` at `version`, as a refresh lists it: its id, then its values of the copied columns. */
      const object = (id: number, version: number): TypedRow => {
        const values = rowFor(JOINED, key(id), version);
        return [id, ...JOINED_COLUMNS.map((name) => values[at(name)]!)];
      };
      /** A row of the table: its own columns set by its key, the copied ones those of `values` (null: gone). */
      const row = (n: number, id: number, values: TypedRow | null): TypedRow => {
        const overrides: Record<string, TypedValue> = { [JOINED_ON]: id };
        JOINED_COLUMNS.forEach((name, i) => { overrides[name] = values ? values[i + 1]! : null; });
        return rowFor(JOINED, key(n), 0, overrides);
      };
      const published = [row(1, 1, object(1, 0)), row(2, 1, object(1, 0)), row(3, 2, object(2, 0)), row(4, 3, object(3, 0))];
      const fullDone: TableState = { mode: 'full', lastFullAt: '2024-03-01T00:00:00.000Z' };
      const publish = async (destination: Destination) => {
        const full = await destination.beginTable(JOINED, 'full', false);
        await full.commit({ rows: published }, fullState('r1', published.length));
        await full.finish(fullDone);
      };

      test('incremental: every row takes its object\'s values, NULL where the object is gone, with the pass', async () => {
        await withStore(async (store) => {
          const final = incrementalState('2024-03-02T00:00:00.000Z');
          await session(store, async (destination) => {
            await publish(destination);
            const incremental = await destination.beginTable(JOINED, 'incremental', false);
            // A row of this pass, carrying the values its page had: the refresh is newer.
            await incremental.commit({ rows: [row(5, 1, object(1, 0))] }, incrementalState('2024-03-01T00:00:00.000Z'));
            await incremental.finish(final, { on: JOINED_ON, columns: JOINED_COLUMNS, rows: [object(1, 7), object(3, 0)] });
            assert.deepEqual((await destination.readState()).get(JOINED.name), final);
          });
          assertTable(JOINED, await store.readTable(JOINED), [
            row(1, 1, object(1, 7)), row(2, 1, object(1, 7)), row(3, 2, null), row(4, 3, object(3, 0)), row(5, 1, object(1, 7)),
          ]);
        });
      });

      test('incremental: a refresh that cannot be written fails the finish, and neither the rows nor the state move', async () => {
        await withStore(async (store) => {
          await session(store, async (destination) => {
            await publish(destination);
            const incremental = await destination.beginTable(JOINED, 'incremental', false);
            const wrong = object(1, 7);
            // A value of the wrong type for its column, found only while the list is being written.
            wrong[1] = JOINED.columns[at(JOINED_COLUMNS[0]!)]!.type === 'text' ? 5 : 'not a value of this type';
            await assert.rejects(incremental.finish(incrementalState('2024-03-02T00:00:00.000Z'),
              { on: JOINED_ON, columns: JOINED_COLUMNS, rows: [object(3, 7), wrong] }));
            assert.deepEqual((await destination.readState()).get(JOINED.name), fullDone);
          });
          assertTable(JOINED, await store.readTable(JOINED), published);
        });
      });
    });

    for (const mode of ['full', 'incremental'] as const) {
      test(`${mode}: every logical type round-trips exactly (µs timestamps, dates, doubles, text with escapes)`, async () => {
        await withStore(async (store) => {
          const rows = exactRows(MAIN, 1);
          const state = mode === 'full' ? fullState('r1', rows.length) : incrementalState('2024-01-01T00:00:00.000Z');
          await session(store, async (destination) => {
            const writer = await destination.beginTable(MAIN, mode, false);
            await writer.commit({ rows: rows.slice(0, 7) }, state);
            await writer.commit({ rows: rows.slice(7) }, state);
            await writer.finish(state);
          });
          const read = await store.readTable(MAIN);
          // Column by column first: a failure then names the column and type instead of a whole-row diff.
          for (const [index, column] of MAIN.columns.entries()) {
            assert.deepEqual(read.map((row) => row[index]), rows.map((row) => row[index]), `${column.name} (${column.type})`);
          }
          assertTable(MAIN, read, rows);
        });
      });
    }

    test('state is stored per table with the rows and reads back after reopening', async () => {
      await withStore(async (store) => {
        const mainState: TableState = {
          mode: 'incremental', cursor: '2024-03-01T19:02:11.000Z', lastFullAt: '2024-02-01T00:00:00.000Z',
          inProgress: {
            runId: 'run-1', mode: 'incremental', stream: '/contacts?include=fieldValues',
            position: { lastId: 120, rows: 340 }, since: '2024-02-28 16:02:11', maxCursor: '2024-03-01T19:02:11.000Z',
          },
        };
        const childState: TableState = {
          mode: 'full', inProgress: { runId: 'run-1', mode: 'full', stream: '/fieldValues', position: { parentIndex: 3, offset: 200, rows: 1200 } },
        };
        await session(store, async (destination) => {
          assert.equal((await destination.readState()).size, 0);
          const writer = await destination.beginTable(MAIN, 'incremental', false);
          await writer.commit({ rows: rowsFor(MAIN, 1, 1) }, mainState);
          const child = await destination.beginTable(CHILD, 'full', false);
          await child.commit({ rows: [] }, childState);
          const untouched = await destination.beginTable(COMPOSITE, 'full', false);
          await untouched.abort();
        });
        await session(store, async (destination) => {
          const states = await destination.readState();
          assert.deepEqual([...states.keys()].sort(), [MAIN.name, CHILD.name].sort());
          assert.deepEqual(states.get(MAIN.name), mainState);
          assert.deepEqual(states.get(CHILD.name), childState);
        });
      });
    });

    test('a batch that fails commits neither its rows nor its state, and the writer stays usable', async () => {
      await withStore(async (store) => {
        const floatColumn = MAIN.columns.findIndex((c) => c.type === 'float' && !MAIN.primaryKey.includes(c.name));
        await session(store, async (destination) => {
          const writer = await destination.beginTable(MAIN, 'incremental', false);
          await writer.commit({ rows: rowsFor(MAIN, 1, 2) }, incrementalState('first'));
          const bad = rowFor(MAIN, [4]);
          bad[floatColumn] = 'fourteen';
          await assert.rejects(writer.commit({ rows: [rowFor(MAIN, [3]), bad] }, incrementalState('second')));
          assert.deepEqual((await destination.readState()).get(MAIN.name), incrementalState('first'));
          await writer.commit({ rows: rowsFor(MAIN, 5, 5) }, incrementalState('third'));
          await writer.finish(incrementalState('third'));
        });
        assertTable(MAIN, await store.readTable(MAIN), [...rowsFor(MAIN, 1, 2), ...rowsFor(MAIN, 5, 5)]);
      });
    });

    test('rows with a NULL key part are skipped; several tables committing at once do not interfere', async () => {
      await withStore(async (store) => {
        const keyless = rowFor(MAIN, [7]);
        keyless[keyIndexes(MAIN)[0]!] = null;
        const halfKey = rowFor(COMPOSITE, [5, 5]);
        halfKey[keyIndexes(COMPOSITE)[1]!] = null;
        await session(store, async (destination) => {
          const [a, b, c] = await Promise.all([
            destination.beginTable(MAIN, 'full', false),
            destination.beginTable(CHILD, 'full', false),
            destination.beginTable(COMPOSITE, 'incremental', false),
          ]);
          await Promise.all([
            a.commit({ rows: [...rowsFor(MAIN, 1, 20), keyless] }, fullState('r', 21)),
            b.commit({ rows: rowsFor(CHILD, 1, 30) }, fullState('r', 30)),
            c.commit({ rows: [rowFor(COMPOSITE, [1, 1]), halfKey] }, incrementalState('x')),
            a.commit({ rows: rowsFor(MAIN, 21, 40) }, fullState('r', 41)),
            b.commit({ rows: rowsFor(CHILD, 31, 35) }, fullState('r', 35)),
          ]);
          await Promise.all([a.finish({ mode: 'full' }), b.finish({ mode: 'full' }), c.finish(incrementalState('x'))]);
          const states = await destination.readState();
          assert.deepEqual(states.get(MAIN.name), { mode: 'full' });
          assert.deepEqual(states.get(COMPOSITE.name), incrementalState('x'));
        });
        assertTable(MAIN, await store.readTable(MAIN), rowsFor(MAIN, 1, 40));
        assertTable(CHILD, await store.readTable(CHILD), rowsFor(CHILD, 1, 35));
        assertTable(COMPOSITE, await store.readTable(COMPOSITE), [rowFor(COMPOSITE, [1, 1])]);
      });
    });

    test('recordRun inserts a run and then updates it in place', async () => {
      await withStore(async (store) => {
        const tables: RunTableRecord[] = [
          { table: MAIN.name, mode: 'full', status: 'success', rows: 5, requests: 1, conversionErrors: 0 },
          { table: CHILD.name, mode: 'incremental', status: 'failed', rows: 0, requests: 2, conversionErrors: 1, error: 'HTTP 500 "x"\ny' },
        ];
        const runs: RunRecord[] = [
          { runId: 'a', startedAt: '2024-03-01T10:00:00.000Z', endedAt: '2024-03-01T10:05:30.250Z', status: 'partial', tables },
          { runId: 'b', startedAt: '2024-03-02T10:00:00.000Z', endedAt: null, status: 'running', tables: [] },
        ];
        await session(store, async (destination) => {
          await destination.recordRun({ runId: 'a', startedAt: '2024-03-01T10:00:00.000Z', endedAt: null, status: 'running', tables: [] });
          await destination.recordRun(runs[0]!);
          await destination.recordRun(runs[1]!);
        });
        if (store.readRuns) assert.deepEqual(await store.readRuns(), runs);
      });
    });

    test('a process killed between commits leaves exactly the committed batches, and a resume completes them', async (t) => {
      await withStore(async (store) => {
        if (!store.uri) {
          t.skip('the store has no --dest URI for a child process');
          return;
        }
        const worker = startChild(store.uri, 3);
        await worker.waitFor((line) => line === 'idle');
        worker.child.kill('SIGKILL');
        assert.equal(await worker.exited, 'SIGKILL');
        if (store.readStagingRowCount) assert.equal(await store.readStagingRowCount(MAIN), 3 * CHILD_BATCH_ROWS);
        await session(store, async (destination) => {
          assert.deepEqual((await destination.readState()).get(MAIN.name), fullState('crash-run', 3 * CHILD_BATCH_ROWS));
          const writer = await destination.beginTable(MAIN, 'full', true);
          const next = 3 * CHILD_BATCH_ROWS + 1;
          await writer.commit({ rows: rowsFor(MAIN, next, next) }, fullState('resume-run', next));
          await writer.finish({ mode: 'full' });
        });
        assertTable(MAIN, await store.readTable(MAIN), rowsFor(MAIN, 1, 3 * CHILD_BATCH_ROWS + 1));
      });
    });

    test('a process killed while committing leaves rows and state in agreement', async (t) => {
      await withStore(async (store) => {
        if (!store.uri) {
          t.skip('the store has no --dest URI for a child process');
          return;
        }
        const worker = startChild(store.uri);
        await worker.waitFor((line) => line === 'committed 4');
        worker.child.kill('SIGKILL');
        assert.equal(await worker.exited, 'SIGKILL');
        const state = await session(store, async (destination) => (await destination.readState()).get(MAIN.name));
        const committed = state?.inProgress?.position.rows ?? 0;
        assert.ok(committed >= 4 * CHILD_BATCH_ROWS && committed % CHILD_BATCH_ROWS === 0, `state says ${committed} rows`);
        if (store.readStagingRowCount) assert.equal(await store.readStagingRowCount(MAIN), committed);
        await session(store, async (destination) => {
          const writer = await destination.beginTable(MAIN, 'full', true);
          await writer.finish({ mode: 'full' });
        });
        assertTable(MAIN, await store.readTable(MAIN), rowsFor(MAIN, 1, committed));
      });
    });
  });
}
