/**
 * The correctness suite every destination passes, end to end through the CLI: a first sync equals the simulator's
 * data; after /__sim/mutate, incremental tables take only what changed while full tables replicate deletions; a full
 * refresh ends exactly equal; an unchanged account costs at most one request per incremental stream.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TABLES } from '../../src/catalog/index.js';
import type { TypedRow } from '../../src/core/contract.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { runCli } from './cli.js';
import { expectedRows } from './oracle.js';
import type { SyncTarget } from './targets.js';

export function correctnessSuite(name: string, makeTarget: (dir: string) => Promise<SyncTarget>): void {
  describe(`correctness into ${name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), `acsync-correctness-${name}-`));
    let sim: Simulator;
    let target: SyncTarget;

    before(async () => {
      sim = await startSimulator({ seed: 11, contacts: 400, rateLimit: 0 });
      target = await makeTarget(dir);
    });
    after(async () => {
      await sim.close();
      await target.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    async function sync(...extra: string[]) {
      const before = sim.stats();
      const result = await runCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', target.uri, ...extra]);
      assert.equal(result.code, 0, result.stderr);
      const now = sim.stats();
      const requests = (path: string) => (now.byPath[path] ?? 0) - (before.byPath[path] ?? 0);
      return { result, requests, total: now.requests - before.requests };
    }

    const keyOf = (table: (typeof TABLES)[number], row: TypedRow) =>
      table.primaryKey.map((k) => String(row[table.columns.findIndex((c) => c.name === k)])).join('|');

    async function assertAllEqual(tables = TABLES) {
      for (const table of tables) {
        assert.deepEqual(await target.read(table), expectedRows(table, sim.account), table.name);
      }
    }

    test('first sync, mutations, incremental syncs, then a full refresh', async (t) => {
      await sync();
      await assertAllEqual();

      const applied = sim.mutate(1, 80);
      assert.ok(Object.keys(applied.applied).length > 3, 'mutations touch several resources');
      const second = await sync();

      await t.test('full tables replicate inserts, updates and deletes exactly', async () => {
        await assertAllEqual(TABLES.filter((table) => !table.modes.includes('incremental')));
      });

      await t.test('incremental tables hold every current row with current values; extra rows are only deleted ones', async () => {
        for (const table of TABLES.filter((x) => x.modes.includes('incremental') && x.name !== 'contacts_tags')) {
          const actual = new Map((await target.read(table)).map((r) => [keyOf(table, r), r]));
          const expected = expectedRows(table, sim.account);
          for (const row of expected) assert.deepEqual(actual.get(keyOf(table, row)), row, `${table.name} ${keyOf(table, row)}`);
          assert.ok(actual.size >= expected.length);
        }
      });

      await t.test('contacts_tags: associations present in the copy are current (tag edits may not touch udate)', async () => {
        const table = TABLES.find((x) => x.name === 'contacts_tags');
        assert.ok(table);
        // Associations added without touching the contact wait for a full pass; the tag's own attributes
        // (subscriber_count…), copied into each row, are refreshed on every row by each incremental pass.
        const actual = new Map((await target.read(table)).map((r) => [keyOf(table, r), r]));
        let compared = 0;
        for (const row of expectedRows(table, sim.account)) {
          const copy = actual.get(keyOf(table, row));
          if (!copy) continue;
          assert.deepEqual(copy, row);
          compared++;
        }
        assert.ok(compared > 0);
      });

      await t.test('the incremental pass read only what changed', () => {
        // The changed rows fit one or two pages; one more request is the sideload probe.
        const contactsPages = second.requests('/api/3/contacts');
        assert.ok(contactsPages >= 2 && contactsPages <= 3, `contacts requests: ${contactsPages}`);
        assert.ok(second.requests('/api/3/deals') <= 3);
      });

      await t.test('an unchanged account: one request per incremental stream and one sideload probe per endpoint on top of the full tables', async () => {
        const full = await runCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${join(dir, 'probe.duckdb')}`,
          '--tables', TABLES.filter((x) => !x.modes.includes('incremental')).map((x) => x.name).join(',')]);
        assert.equal(full.code, 0, full.stderr);
        const beforeFull = sim.stats().requests;
        const fullOnly = await runCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${join(dir, 'probe.duckdb')}`,
          '--tables', TABLES.filter((x) => !x.modes.includes('incremental')).map((x) => x.name).join(',')]);
        assert.equal(fullOnly.code, 0);
        const fullRequests = sim.stats().requests - beforeFull - 1; // minus the credential check
        const third = await sync();
        // One page per incremental stream, plus the one probe page per endpoint that checks its sideloads, plus the
        // activities of each deal the overlap window re-reads (one list per deal: deals_activities), and the tag list whose
        // attributes contacts_tags copies.
        assert.equal(third.requests('/api/3/contacts'), 2);
        assert.equal(third.requests('/api/3/deals'), 2);
        assert.equal(third.requests('/api/3/tags'), 1);
        const perDeal = Object.keys(sim.stats().byPath).filter((path) => /^\/api\/3\/deals\/\d+\/dealActivities$/.test(path))
          .reduce((sum, path) => sum + third.requests(path), 0);
        assert.ok(perDeal <= 100, `per-deal lists: ${perDeal}`);
        assert.equal(third.total - 1, fullRequests + 5 + perDeal, 'credential check + full tables + a probe and a page per incremental stream + /tags');
      });

      await t.test('a full refresh ends exactly equal, deletions included', async () => {
        sim.mutate(2, 40);
        await sync('--full-refresh', 'all');
        await assertAllEqual();
      });
    });

    test('--mode full on an incremental table replicates its deletions', async () => {
      sim.mutate(3, 60);
      await sync('--mode', TABLES.filter((x) => x.modes.includes('incremental')).map((x) => `${x.name}=full`).join(','));
      await assertAllEqual();
    });
  });
}
