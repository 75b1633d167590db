/**
 * The cheaper methods of later runs (catalog `method`), end to end through the CLI into DuckDB: list memberships
 * ride on the changed contacts' pages (`include=contactLists`), deal activities come from the changed deals'
 * per-deal lists; after changes, an incremental run leaves a copy equal to a fresh full sync's without reading
 * `/contactLists` or `/dealActivities` again; and when the per-deal lists ignore the deal id, the run reads the
 * table in full instead, says so, and the copy is still equal.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type TableDef } from '../src/catalog/index.js';
import type { TypedRow } from '../src/core/contract.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/simulator/index.js';
import { openDestination } from '../src/destinations/index.js';
import { passStartOnApiClock } from '../src/engine/per-parent.js';
import { runCli, startCli } from './support/cli.js';
import { expectedRows, readDuckDbTable, sortByKey } from './support/oracle.js';
import { table } from './support/catalog.js';

const dir = mkdtempSync(join(tmpdir(), 'acsync-methods-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const NEW_METHODS = ['lists_contacts', 'contacts_list_activity', 'deals_activities'].map(table);

async function sync(sim: Simulator, file: string, ...extra: string[]) {
  const before = sim.stats();
  const result = await runCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${file}`, '--rate', '1000', ...extra]);
  assert.equal(result.code, 0, result.stderr);
  const now = sim.stats();
  const requests = (path: string) => (now.byPath[path] ?? 0) - (before.byPath[path] ?? 0);
  const perDeal = Object.entries(now.byPath)
    .filter(([path]) => /^\/api\/3\/deals\/\d+\/dealActivities$/.test(path))
    .reduce((sum, [path, n]) => sum + n - (before.byPath[path] ?? 0), 0);
  return { result, requests, perDeal };
}

/** Rows as a fresh full sync reads them: the reference copy. */
async function freshCopy(sim: Simulator, name: string, tables: readonly TableDef[]): Promise<Map<string, TypedRow[]>> {
  const file = join(dir, `${name}-fresh.duckdb`);
  await sync(sim, file, '--tables', tables.map((t) => t.name).join(','), '--full-refresh', 'all');
  const copies = new Map<string, TypedRow[]>();
  for (const t of tables) copies.set(t.name, sortByKey(t, await readDuckDbTable(file, t)));
  return copies;
}

async function assertEqualToFresh(sim: Simulator, file: string, name: string, tables = NEW_METHODS): Promise<void> {
  const fresh = await freshCopy(sim, name, tables);
  for (const t of tables) {
    const copy = sortByKey(t, await readDuckDbTable(file, t));
    assert.ok(copy.length > 0, t.name);
    assert.deepEqual(copy, fresh.get(t.name), t.name);
  }
}

describe('later runs read list memberships and deal activities through the changed parents', () => {
  test('after changes, the incremental run equals a fresh full sync and reads neither global list', async () => {
    const sim = await startSimulator({ seed: 31, contacts: 400, rateLimit: 0 });
    const file = join(dir, 'methods.duckdb');
    try {
      const first = await sync(sim, file);
      assert.ok(first.requests('/api/3/dealActivities') > 0, 'the first sync reads the activities\' own list');
      assert.equal(first.perDeal, 0, 'the first pass of deals_activities reads its own list, not one list per deal');

      const applied = sim.mutate(7, 120);
      assert.ok((applied.applied.contactLists?.insert ?? 0) + (applied.applied.contactLists?.update ?? 0) > 0, 'memberships changed');
      assert.ok((applied.applied.dealActivities?.insert ?? 0) > 0, 'deal activities were added');
      const second = await sync(sim, file, '--tables', ['contacts', 'deals', ...NEW_METHODS.map((t) => t.name)].join(','));
      assert.equal(second.requests('/api/3/contactLists'), 0, 'memberships came with the changed contacts');
      assert.equal(second.requests('/api/3/dealActivities'), 0, 'activities came from the changed deals');
      assert.ok(second.perDeal > 0, 'one list per changed deal');

      // Deleted contacts and deals leave their children until a full pass: compare the rows that exist.
      const fresh = await freshCopy(sim, 'after-changes', NEW_METHODS);
      for (const t of NEW_METHODS) {
        const key = (row: TypedRow) => String(row[t.columns.findIndex((c) => c.name === 'id')]);
        const copy = new Map((await readDuckDbTable(file, t)).map((r) => [key(r), r]));
        for (const row of fresh.get(t.name) ?? []) assert.deepEqual(copy.get(key(row)), row, `${t.name} ${key(row)}`);
      }

      // The weekly full pass removes what deletions left, and leaves the copy exactly equal.
      await sync(sim, file, '--full-refresh', NEW_METHODS.map((t) => t.name).join(','));
      await assertEqualToFresh(sim, file, 'after-full-pass');
    } finally {
      await sim.close();
    }
  });

  test('a later run lists only the deals changed since the last one, not every deal of the overlap it re-reads', async () => {
    const sim = await startSimulator({ seed: 33, contacts: 400, rateLimit: 0 });
    const file = join(dir, 'changed-deals.duckdb');
    const tables = ['deals', 'deals_activities'].join(',');
    const mdates = () => new Map([...sim.account.records('deals')].map((deal) => [Number(deal.id), String(deal.mdate)]));
    try {
      await sync(sim, file, '--tables', tables);
      // The deals stream re-reads a day before its cursor (at least the latest deal), deals the first run has listed.
      const reread = (run: { result: { stderr: string } }) => Number(/deals: success, (\d+) rows \(incremental\)/.exec(run.result.stderr)?.[1]);
      const unchanged = await sync(sim, file, '--tables', tables);
      assert.ok(reread(unchanged) > 0, 'the overlap holds deals');
      assert.equal(unchanged.perDeal, 0, 'no deal changed: no per-deal list');
      assert.equal(unchanged.requests('/api/3/dealActivities'), 0);

      // One change that updates one deal (and adds an activity when it is an update of the deal itself).
      const before = mdates();
      let seed = 1;
      for (; seed < 200; seed++) {
        const { applied } = sim.mutate(seed, 1);
        if ((applied.deals?.update ?? 0) > 0 || (applied.deals?.insert ?? 0) > 0 || (applied.deals?.delete ?? 0) > 0) break;
      }
      const changed = [...mdates()].filter(([id, mdate]) => before.get(id) !== mdate).map(([id]) => id);
      assert.equal(changed.length, 1, `mutation ${seed} changed one deal`);

      const next = await sync(sim, file, '--tables', tables);
      assert.ok(reread(next) > 1, 'the stream re-read unchanged deals besides the changed one');
      assert.equal(next.perDeal, 1, 'only the changed deal\'s list was read');
      assert.equal(next.requests(`/api/3/deals/${String(changed[0])}/dealActivities`), 1);
      assert.equal(next.requests('/api/3/dealActivities'), 0);
      await assertEqualToFresh(sim, file, 'changed-deals', [table('deals_activities')]);

      // Changed moments before the last pass began (inside the margin), the deal is not listed again while its date
      // stays the same.
      const again = await sync(sim, file, '--tables', tables);
      assert.ok(reread(again) > 0, 'the stream re-read the changed deal');
      assert.equal(again.perDeal, 0, 'the deal the last pass listed, unchanged since');

      // More changes, to deals listed before among others: every activity of the account's deals is in the copy
      // (deleted deals leave theirs until a full pass).
      sim.mutate(77, 80);
      const more = await sync(sim, file, '--tables', tables);
      assert.ok(more.perDeal > 0);
      const activities = table('deals_activities');
      const id = (row: TypedRow) => String(row[activities.columns.findIndex((c) => c.name === 'id')]);
      const copied = new Map((await readDuckDbTable(file, activities)).map((row) => [id(row), row]));
      for (const row of expectedRows(activities, sim.account)) assert.deepEqual(copied.get(id(row)), row, id(row));
    } finally {
      await sim.close();
    }
  });

  /**
   * Syncs deals and deals_activities, changes one deal, syncs again: that deal's list must be read and the copy
   * equal a fresh one. Returns the first sync's stderr.
   */
  async function oneDealChanged(options: SimulatorOptions, name: string): Promise<string> {
    const sim = await startSimulator({ contacts: 400, rateLimit: 0, ...options });
    const file = join(dir, `${name}.duckdb`);
    const tables = ['deals', 'deals_activities'].join(',');
    const mdates = () => new Map([...sim.account.records('deals')].map((deal) => [Number(deal.id), String(deal.mdate)]));
    try {
      const first = await sync(sim, file, '--tables', tables);
      const before = mdates();
      for (let seed = 1; seed < 200; seed++) {
        const { applied } = sim.mutate(seed, 1);
        if ((applied.deals?.update ?? 0) > 0 || (applied.deals?.insert ?? 0) > 0) break;
      }
      const changed = [...mdates()].filter(([id, mdate]) => before.get(id) !== mdate).map(([id]) => id);
      assert.equal(changed.length, 1, 'one deal changed');
      const next = await sync(sim, file, '--tables', tables);
      assert.equal(next.requests(`/api/3/deals/${String(changed[0])}/dealActivities`), 1, 'the changed deal\'s list was read');
      await assertEqualToFresh(sim, file, name, [table('deals_activities')]);
      return first.result.stderr;
    } finally {
      await sim.close();
    }
  }

  test('an API clock 15 minutes behind this machine\'s: a changed deal is still listed (its date is compared on the API\'s clock)', async () => {
    await oneDealChanged({ seed: 35, clockSkewSeconds: -900 }, 'skewed');
  });

  test('answers without a Date header: the cursor falls back to the overlap, with a warning, and a changed deal is still listed', async () => {
    const stderr = await oneDealChanged({ seed: 36, clockSkewSeconds: -900, dateHeader: false }, 'no-date');
    assert.match(stderr, /no Date header/);
  });

  test('the pass start on the API\'s clock: shifted by a real offset, kept within the header\'s resolution, the overlap earlier without one', () => {
    const began = '2026-12-01T10:00:00.000Z';
    assert.deepEqual(passStartOnApiClock(began, -900_000, 86_400), { at: '2026-12-01T09:45:00.000Z' });
    assert.deepEqual(passStartOnApiClock(began, 600, 86_400), { at: began });
    const unknown = passStartOnApiClock(began, undefined, 86_400);
    assert.equal(unknown.at, '2026-11-30T10:00:00.000Z');
    assert.match(unknown.warning ?? '', /no Date header/);
  });

  test('killed and resumed, a pass of deals_activities ends with the time it first began as its cursor', async () => {
    const sim = await startSimulator({ seed: 34, contacts: 4000, rateLimit: 0, latencyMs: 30, jitterMs: 5 });
    const file = join(dir, 'killed.duckdb');
    const args = ['sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${file}`, '--rate', '1000', '--tables', 'deals,deals_activities', '--batch-rows', '100'];
    const activitiesState = async () => {
      const destination = await openDestination(`duckdb:${file}`);
      await destination.open();
      try {
        return (await destination.readState()).get('deals_activities');
      } finally {
        await destination.close();
      }
    };
    try {
      const launched = new Date().toISOString();
      const { child, result } = startCli(args);
      const deadline = Date.now() + 60_000;
      while ((sim.stats().byPath['/api/3/dealActivities'] ?? 0) < 8 && Date.now() < deadline) await sleep(2);
      child.kill('SIGKILL');
      assert.equal((await result).signal, 'SIGKILL', 'the sync was still running when killed');
      const killed = await activitiesState();
      const began = killed?.inProgress?.passStartedAt;
      assert.ok(began && began >= launched, `the pass in progress keeps when it began: ${JSON.stringify(killed)}`);

      // Deals changed between the killed run's start and the resumed run's may have had their activities read before
      // they changed: the next pass must list every deal changed after the killed run began.
      const resumed = new Date().toISOString();
      const final = await runCli(args);
      assert.equal(final.code, 0, final.stderr);
      const state = await activitiesState();
      assert.equal(state?.inProgress, undefined, 'the pass is complete');
      assert.equal(state?.cursor, began, 'the cursor is the killed run\'s start');
      assert.ok(began < resumed);
      assert.deepEqual(await readDuckDbTable(file, table('deals_activities')), expectedRows(table('deals_activities'), sim.account));
    } finally {
      await sim.close();
    }
  });

  test('per-deal lists that ignore the deal id: the run reads /dealActivities in full instead, with a warning', async () => {
    const sim = await startSimulator({ seed: 32, contacts: 300, rateLimit: 0 });
    const file = join(dir, 'ignored.duckdb');
    try {
      await sync(sim, file);
      sim.mutate(8, 80);
      sim.setBehaviour({ perParentIds: 'ignored' });
      const second = await sync(sim, file);
      assert.match(second.result.stderr, /deals_activities: \/deals\/\{id\}\/dealActivities answered for parent \d+ a row of deal \d+ \(the id in the path was ignored\); read in full from \/dealActivities instead/);
      assert.ok(second.requests('/api/3/dealActivities') > 0, 'the fallback read the global list');
      sim.setBehaviour({ perParentIds: 'honoured' });
      // Read in full, the table is exactly equal (the membership tables may keep rows of deleted contacts).
      await assertEqualToFresh(sim, file, 'ignored', [table('deals_activities')]);
    } finally {
      await sim.close();
    }
  });
});
