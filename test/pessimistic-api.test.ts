/**
 * The correctness suite under the simulator's pessimistic switches: for each way the real API may be less kind
 * than the simulator (and for all of them at once), a first sync, changes, and a second sync into DuckDB through
 * the real CLI. Each ends equal to the account (after at most one further sync for changes made during a run) or
 * with the affected tables flagged (failed with exit 3, or named in a warning); exit 0 with an unflagged
 * difference fails the test. The outcome of each switch is printed as a diagnostic line (the matrix).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { TABLES, offersIncremental, type TableDef } from '../src/catalog/index.js';
import type { TypedRow } from '../src/core/contract.js';
import { startSimulator, type SimulatorOptions } from '../src/simulator/index.js';
import { runCli } from './support/cli.js';
import { expectedRows, readDuckDbTable } from './support/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'acsync-pessimistic-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Outcome = 'equal' | 'flagged' | 'silently wrong';

interface Scenario {
  readonly name: string;
  readonly options: SimulatorOptions;
  /** Switches on for the first sync only (changes during a run): the second sync must catch up. */
  readonly firstSyncOnly?: SimulatorOptions;
  /** Extra sync flags. */
  readonly flags?: readonly string[];
  /** What the scenario must end as. */
  readonly expect: Outcome;
  /** Child changes that do not bump the parent: the copy catches up at the periodic full pass. */
  readonly periodicFullPass?: boolean;
}

const all: SimulatorOptions = {
  sideloads: 'none',
  total: 'high',
  cdateTies: true,
  notFoundParents: 0.3,
  childChangesBumpParent: false,
  perParentIds: 'ignored',
  clockSkewSeconds: -900,
};

const SCENARIOS: readonly Scenario[] = [
  { name: 'no sideloads on list endpoints', options: { sideloads: 'none' }, expect: 'equal' },
  { name: 'sideloads capped at 3 a page', options: { sideloads: 3 }, expect: 'equal' },
  { name: 'totals a page too low', options: { total: 'low' }, expect: 'equal' },
  { name: 'totals a page too high', options: { total: 'high' }, expect: 'equal' },
  { name: 'totals absent', options: { total: 'absent' }, expect: 'equal' },
  { name: 'ties in deals cdate, unstable order', options: { cdateTies: true, contacts: 1200 }, expect: 'equal' },
  { name: '404 for some parents of a per-parent list', options: { notFoundParents: 0.3 }, expect: 'equal' },
  { name: 'per-deal lists ignore the deal id', options: { perParentIds: 'ignored' }, expect: 'equal' },
  { name: 'the API\'s clock 15 minutes behind this machine\'s', options: { clockSkewSeconds: -900 }, expect: 'equal' },
  { name: 'child changes do not bump the parent', options: { childChangesBumpParent: false }, expect: 'equal', periodicFullPass: true },
  { name: 'changes applied while a sync runs', options: {}, firstSyncOnly: { changesDuringSync: { every: 7, changes: 5 } }, expect: 'equal' },
  {
    name: 'strict window limiter, 503 with Retry-After',
    options: { rateLimit: 20, limiter: 'window', rateLimitStatus: 503, retryAfterSeconds: 2 },
    flags: ['--rate', '20'],
    expect: 'equal',
  },
  { name: 'all of them at once', options: { ...all, contacts: 1200 }, firstSyncOnly: { changesDuringSync: { every: 7, changes: 5 } }, expect: 'equal', periodicFullPass: true },
];

const keyOf = (table: TableDef, row: TypedRow) =>
  table.primaryKey.map((k) => String(row[table.columns.findIndex((c) => c.name === k)])).join('|');

/** Tables whose copy differs from the account: full tables exactly, incremental ones in their current rows. */
async function differing(file: string, sim: Awaited<ReturnType<typeof startSimulator>>, exact: boolean): Promise<string[]> {
  const names: string[] = [];
  for (const table of TABLES) {
    const copy = await readDuckDbTable(file, table);
    const expected = expectedRows(table, sim.account);
    if (exact || !offersIncremental(table)) {
      if (!isDeepEqual(copy, expected)) names.push(table.name);
      continue;
    }
    // Incremental tables keep rows deleted since their last full pass; every current row must be current.
    // contacts_tags copies its tag's attributes, which change without the contact: compare the association only;
    // and tag changes never touch the contact's udate, so, as the correctness suite checks, only associations
    // present in the copy must be current until the weekly full pass.
    const own = table.columns.flatMap((c, i) => (c.joined ? [] : [i]));
    const pick = (row: TypedRow) => own.map((i) => row[i]);
    const byKey = new Map(copy.map((r) => [keyOf(table, r), r]));
    const tags = table.name === 'contacts_tags';
    const stale = expected.some((row) => {
      const held = byKey.get(keyOf(table, row));
      if (!held) return !tags;
      return !isDeepEqual(pick(held), pick(row));
    });
    if (stale) names.push(table.name);
  }
  return names;
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

/** Tables a run flagged: failed or skipped in its summary, or named in a warning. */
function flaggedTables(stderr: string, stdout: string): Set<string> {
  const flagged = new Set<string>();
  for (const table of TABLES) {
    if (new RegExp(`^${table.name}\\s+\\S+\\s+(failed|skipped)`, 'm').test(stdout)) flagged.add(table.name);
    // Only warnings and errors flag: the info line each table ends with ("<table>: success, …") does not.
    if (new RegExp(`^(warn|error): ${table.name}: `, 'm').test(stderr)) flagged.add(table.name);
  }
  // Warnings about an endpoint flag every table read from it.
  for (const match of stderr.matchAll(/^(?:warn|error): (\/[\w/{}…]+): /gm)) {
    const path = (match[1] ?? '').replace('…', '{id}');
    for (const table of TABLES) if (table.source.endpoint.path === path || table.incremental?.endpoint.path === path) flagged.add(table.name);
  }
  return flagged;
}

describe('correctness under the pessimistic API (DuckDB)', () => {
  for (const scenario of SCENARIOS) {
    test(scenario.name, async (t) => {
      const sim = await startSimulator({ seed: 21, contacts: 300, rateLimit: 0, ...scenario.options, ...scenario.firstSyncOnly });
      const file = join(dir, `${scenario.name.replace(/\W+/g, '-')}.duckdb`);
      const config = join(dir, `${scenario.name.replace(/\W+/g, '-')}.json`);
      try {
        const sync = async (...extra: string[]) => {
          // Unthrottled unless the scenario is about the rate limit: the simulator answers at once.
          const flags = scenario.flags ?? ['--rate', '1000'];
          const result = await runCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${file}`, ...flags, ...extra]);
          assert.ok(result.code === 0 || result.code === 3, `exit ${result.code}: ${result.stderr}`);
          return result;
        };
        const outcomes: Outcome[] = [];
        const judge = async (result: Awaited<ReturnType<typeof sync>>, exact: boolean, step: string) => {
          const wrong = await differing(file, sim, exact);
          const flagged = flaggedTables(result.stderr, result.stdout);
          const unflagged = wrong.filter((name) => !flagged.has(name));
          const outcome: Outcome = unflagged.length > 0 ? 'silently wrong' : wrong.length > 0 || result.code === 3 ? 'flagged' : 'equal';
          t.diagnostic(`${scenario.name} · ${step}: ${outcome}${wrong.length ? ` (differs: ${wrong.join(', ')})` : ''} · exit ${result.code}`);
          assert.deepEqual(unflagged, [], `${step}: exit ${result.code} with differences nobody was told of\n${result.stderr}`);
          outcomes.push(outcome);
        };

        const first = await sync();
        if (scenario.firstSyncOnly) {
          // Changes made during the run: the next sync, with the account at rest, catches up.
          sim.setBehaviour({ changesDuringSync: null });
          await judge(await sync(), false, 'the sync after the run with changes');
        } else {
          await judge(first, true, 'first sync');
        }

        sim.mutate(5, 40);
        const second = await sync();
        if (scenario.periodicFullPass) {
          // Child changes invisible to the update filter wait for the periodic full pass: make it due now.
          writeFileSync(config, JSON.stringify({ fullRefreshEveryDays: 1e-6 }));
          await judge(await sync('--config', config), true, 'after the periodic full pass');
        } else {
          await judge(second, false, 'after changes');
        }
        const worst = outcomes.includes('flagged') ? 'flagged' : 'equal';
        assert.equal(worst, scenario.expect, `${scenario.name} ended ${worst}`);
      } finally {
        await sim.close();
      }
    });
  }
});
