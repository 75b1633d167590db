/**
 * Resuming into DuckDB. After a kill, the next sync re-reads pages whose rows a resumed staging copy already
 * holds; writing them must succeed, and must leave the connection clean for every later transaction, whichever
 * table it writes. First deterministically, through the destination (and the Appender helper beneath it); then
 * as an operator saw it, by killing the CLI again and again during a sync of a simulated account and comparing
 * the copy with the simulator's records (test/support/oracle.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { TABLES} from '../src/catalog/index.js';
import type { TableState } from '../src/core/contract.js';
import { DuckDbDestination } from '../src/destinations/duckdb.js';
import { ChunkBuilder, appendChunks } from '../src/destinations/duckdb-chunks.js';
import { createTableSql } from '../src/destinations/sql.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { rowsFor, sortedByKey } from './destination-contract.js';
import { runCli, startCli, type CliResult } from './support/cli.js';
import { expectedRows, readDuckDbTable } from './support/oracle.js';
import { table } from './support/catalog.js';

function fullState(runId: string, rows: number, stream: string): TableState {
  return { mode: 'full', inProgress: { runId, mode: 'full', stream, position: { offset: rows, rows } } };
}

/** V8's `gc()`, as `node --expose-gc` would give it (the test runner starts this file without the flag). */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * Runs `work` while every Appender is created only after a full garbage collection and its finalizers. The
 * collector runs whenever V8 decides; this makes it run at the worst moment, inside a transaction that has
 * just begun, so a native object left to the collector with work pending (an Appender still holding rows)
 * spoils that transaction every time instead of one run in five.
 */
async function collectingBeforeEachAppender<T>(work: () => Promise<T>): Promise<T> {
  const gc = collector();
  const createAppender = Object.getOwnPropertyDescriptor(DuckDBConnection.prototype, 'createAppender');
  assert.ok(createAppender && typeof createAppender.value === 'function');
  const original = createAppender.value as DuckDBConnection['createAppender'];
  DuckDBConnection.prototype.createAppender = async function (this: DuckDBConnection, ...args) {
    gc();
    // N-API finalizers run from the event loop after the collection.
    await new Promise((resolveLater) => setImmediate(resolveLater));
    await new Promise((resolveLater) => setImmediate(resolveLater));
    return original.apply(this, args);
  };
  try {
    return await work();
  } finally {
    Object.defineProperty(DuckDBConnection.prototype, 'createAppender', createAppender);
  }
}

describe('DuckDB resume', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acsync-duckdb-resume-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a re-read batch into a resumed staging copy commits, and so does every later commit to any table', async () => {
    const path = join(dir, 'reread.duckdb');
    const contacts = table('contacts');
    const users = table('users');

    // The killed run: two batches of contacts committed into the staging copy, no finish.
    let destination = new DuckDbDestination({ path });
    await destination.open();
    const crashed = await destination.beginTable(contacts, 'full', false);
    await crashed.commit({ rows: rowsFor(contacts, 1, 10, 1) }, fullState('r1', 10, '/contacts'));
    await crashed.commit({ rows: rowsFor(contacts, 11, 20, 1) }, fullState('r1', 20, '/contacts'));
    await destination.close();

    destination = new DuckDbDestination({ path });
    await destination.open();
    await collectingBeforeEachAppender(async () => {
      const resumed = await destination.beginTable(contacts, 'full', true);
      // The page re-read after the resume: keys 16-20 are in the staging copy already, changed since.
      await resumed.commit({ rows: rowsFor(contacts, 16, 30, 2) }, fullState('r2', 30, '/contacts'));
      // Unrelated work that follows on the same connection, in other tables and in this one.
      const other = await destination.beginTable(users, 'full', false);
      await other.commit({ rows: rowsFor(users, 1, 5, 2) }, fullState('r2', 5, '/users'));
      await resumed.commit({ rows: rowsFor(contacts, 31, 40, 2) }, fullState('r2', 40, '/contacts'));
      await other.commit({ rows: rowsFor(users, 6, 8, 2) }, fullState('r2', 8, '/users'));
      await other.finish({ mode: 'full' });
      await resumed.finish({ mode: 'full' });
    });
    const states = await destination.readState();
    await destination.close();

    assert.deepEqual(states.get('contacts'), { mode: 'full' });
    assert.deepEqual(states.get('users'), { mode: 'full' });
    assert.deepEqual(await readDuckDbTable(path, contacts), sortedByKey(contacts, [...rowsFor(contacts, 1, 15, 1), ...rowsFor(contacts, 16, 40, 2)]));
    assert.deepEqual(await readDuckDbTable(path, users), sortedByKey(users, rowsFor(users, 1, 8, 2)));
  });

  test('an append that fails on a key leaves nothing behind that a later transaction could meet', async () => {
    const users = table('users');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      for (const name of ['keyed', 'other']) await connection.run(createTableSql(users, name, 'duckdb'));
      const chunks = new ChunkBuilder(users, 'TIMESTAMP');
      await appendChunks(connection, 'keyed', chunks.chunks(rowsFor(users, 1, 3)));
      await collectingBeforeEachAppender(async () => {
        await connection.run('BEGIN TRANSACTION');
        await assert.rejects(appendChunks(connection, 'keyed', chunks.chunks(rowsFor(users, 3, 4))), /Duplicate key/);
        await connection.run('ROLLBACK');
        await connection.run('BEGIN TRANSACTION');
        await appendChunks(connection, 'other', chunks.chunks(rowsFor(users, 7, 8)));
        await connection.run('COMMIT');
      });
      const count = async (name: string) => (await connection.runAndReadAll(`SELECT count(*) FROM ${name}`)).getRows()[0]?.[0];
      assert.equal(await count('keyed'), 3n);
      assert.equal(await count('other'), 2n);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});

describe('DuckDB resume through the CLI', () => {
  const KILLS = 5;
  const dir = mkdtempSync(join(tmpdir(), 'acsync-duckdb-kills-'));
  let sim: Simulator;

  before(async () => {
    sim = await startSimulator({ seed: 5, contacts: 800, rateLimit: 0, latencyMs: 20, jitterMs: 10 });
  });
  after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Small batches, as in the operator's report: many commits, so a kill often lands between two of them. */
  const args = (path: string) => ['sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${path}`, '--rate', '40', '--batch-rows', '100'];

  /**
   * A young generation of 1 MB makes the sync collect garbage many times a second, so that anything left for
   * the collector to finalize (an Appender holding rows did this) meets the transactions that follow it soon.
   */
  const CHILD_ENV = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-semi-space-size=1`.trim() };

  /** Lines in which a run reports a table it could not write. */
  const tableFailures = (result: CliResult) => `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => /: failed\b/.test(line));

  test(`killed with SIGKILL ${KILLS} times at random points, a sync then completes and the copy equals the account`, async (t) => {
    const path = join(dir, 'killed.duckdb');
    // The kill points come from a seed printed below: ACSYNC_TEST_SEED=<seed> replays them.
    const seed = Number(process.env.ACSYNC_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = mulberry32(seed);
    t.diagnostic(`seed ${seed}`);

    // Requests a whole sync makes: the kill points are spread over a run's length.
    const reference = await runCli(args(join(dir, 'reference.duckdb')));
    assert.equal(reference.code, 0, reference.stderr);
    const perRun = sim.stats().requests;

    let killed = 0;
    for (let round = 1; round <= KILLS; round++) {
      const threshold = 2 + Math.floor(random() * (perRun - 2));
      const start = sim.stats().requests;
      const { child, result } = startCli(args(path), CHILD_ENV);
      const deadline = Date.now() + 30_000;
      while (child.exitCode === null && sim.stats().requests - start < threshold && Date.now() < deadline) await sleep(2);
      child.kill('SIGKILL');
      const ended = await result;
      if (ended.signal === 'SIGKILL') killed++;
      else assert.equal(ended.code, 0, `round ${round} ended before its kill, and not cleanly: ${ended.stderr}`);
      assert.deepEqual(tableFailures(ended), [], `round ${round}`);
      t.diagnostic(`round ${round}: ${ended.signal === 'SIGKILL' ? `killed after ${sim.stats().requests - start} requests` : 'finished first'}`);
    }
    assert.ok(killed >= KILLS - 2, `only ${killed} of ${KILLS} runs were still going when killed`);

    const final = await runCli(args(path), CHILD_ENV);
    assert.equal(final.code, 0, final.stderr);
    assert.deepEqual(tableFailures(final), []);
    for (const table of TABLES) {
      assert.deepEqual(await readDuckDbTable(path, table), expectedRows(table, sim.account), table.name);
    }
  });
});

/** A small seeded PRNG (Mulberry32): uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}
