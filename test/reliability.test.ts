/**
 * The reliability campaign in short (the whole one: npm run reliability): three trials, one per destination, each
 * a small account synced through faults by the built CLI, killed with SIGKILL at random moments, resumed, then
 * changed and synced again the same way; nothing lost or duplicated, no run exiting 0 with a wrong copy, every
 * final sync with faults off succeeding. First, the campaign's comparison counts what it must.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TABLES, getTable } from '../src/catalog/index.js';
import type { TypedRow } from '../src/core/contract.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { compareCopy, incrementalKeys, keyOf } from '../bench/support/reliability-compare.js';
import { checkBuilt, describeTrial, planTrial, runTrial, type DestinationKind } from '../bench/support/reliability-trial.js';
import { expectedRows } from './support/oracle.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';

describe('the campaign counts what differs', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ seed: 4, contacts: 60, rateLimit: 0 });
  });
  after(() => sim.close());

  const table = (name: string) => {
    const found = getTable(name);
    assert.ok(found);
    return found;
  };

  test('lost, duplicated, stale and foreign rows; an exact copy is equal', async () => {
    const exact = await compareCopy(async (t) => expectedRows(t, sim.account), sim.account, null);
    assert.equal(exact.equal, true);
    assert.equal(exact.compared, TABLES.reduce((sum, t) => sum + expectedRows(t, sim.account).length, 0));

    const contacts = table('contacts');
    const deals = table('deals');
    const lists = table('lists');
    const damaged = await compareCopy(async (t) => {
      const rows = expectedRows(t, sim.account).map((row) => [...row]);
      if (t === contacts) rows.splice(3, 2); // two lost
      if (t === deals) rows.push([...rows[0]!]); // one duplicated key
      if (t === lists) {
        const title = t.columns.findIndex((c) => c.type === 'text' && !t.primaryKey.includes(c.name));
        rows[0]![title] = 'changed'; // one stale
        const foreign: TypedRow = [...rows[1]!];
        foreign[t.columns.findIndex((c) => c.name === t.primaryKey[0])] = 999_999; // one the account never held
        rows.push(foreign);
      }
      return rows;
    }, sim.account, null);
    assert.equal(damaged.equal, false);
    assert.deepEqual({ lost: damaged.lost, duplicated: damaged.duplicated, stale: damaged.stale }, { lost: 2, duplicated: 2, stale: 1 });
    assert.deepEqual(damaged.differences.map((d) => d.table).sort(), ['contacts', 'deals', 'lists']);
  });

  test('after changes: rows deleted since may remain in incremental tables, never in full ones', async () => {
    const earlier = new Map(TABLES.map((t) => [t.name, expectedRows(t, sim.account)]));
    const prior = incrementalKeys(sim.account);
    const applied = sim.mutate(9, 40);
    assert.ok((applied.applied.contacts?.delete ?? 0) + (applied.applied.deals?.delete ?? 0) > 0, 'the changes delete rows');
    // The current rows plus the rows deleted since: what an incremental pass leaves.
    const withLeftovers = (t: (typeof TABLES)[number]) => {
      const now = expectedRows(t, sim.account);
      const current = new Set(now.map((row) => keyOf(t, row)));
      return [...now, ...(earlier.get(t.name) ?? []).filter((row) => !current.has(keyOf(t, row)))];
    };
    const incremental = await compareCopy(
      async (t) => (t.modes.includes('incremental') ? withLeftovers(t) : expectedRows(t, sim.account)), sim.account, prior);
    assert.equal(incremental.equal, true, JSON.stringify(incremental.differences));
    assert.ok(incremental.allowed > 0, 'leftovers were seen and allowed');

    const full = TABLES.find((t) => !t.modes.includes('incremental') && withLeftovers(t).length > expectedRows(t, sim.account).length);
    assert.ok(full, 'the changes deleted rows of a full table');
    const leftovers = withLeftovers(full).length - expectedRows(full, sim.account).length;
    const strict = await compareCopy(async (t) => (t === full ? withLeftovers(t) : expectedRows(t, sim.account)), sim.account, prior);
    assert.deepEqual({ duplicated: strict.duplicated, tables: strict.differences.map((d) => d.table) }, { duplicated: leftovers, tables: [full.name] });
  });
});

describe('reliability trials (one per destination)', () => {
  let postgres: TestPostgres;
  before(async () => {
    checkBuilt();
    postgres = await startPostgres();
  });
  after(() => postgres?.stop());

  const trials: readonly [DestinationKind, number][] = [['duckdb', 101], ['postgres', 202], ['parquet', 303]];
  for (const [dest, seed] of trials) {
    test(`${dest}: killed, resumed, changed, killed, resumed: the copy equals the account`, async (t) => {
      const plan = planTrial(seed, dest, { contacts: [200, 400], maxKills: 2, mutationChance: 1, faultRates: [0.05, 0.15] });
      const result = await runTrial(plan, { postgresUrl: postgres.url, runTimeoutMs: 90_000, onRun: (line) => t.diagnostic(line) });
      t.diagnostic(describeTrial(1, result));
      const f = result.figures;
      assert.deepEqual(
        { rowsLost: f.rowsLost, rowsDuplicated: f.rowsDuplicated, silentMismatches: f.silentMismatches, failedResumes: f.failedResumes },
        { rowsLost: 0, rowsDuplicated: 0, silentMismatches: 0, failedResumes: 0 },
        result.problems.join('\n'),
      );
      assert.ok(f.rowsCompared > 0);
      assert.ok(f.runs >= 4, 'two phases of at least a killed run and a final one');
    });
  }
});
