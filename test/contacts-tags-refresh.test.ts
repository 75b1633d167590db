/**
 * contacts_tags copies its tag's attributes into every association row. A tag renamed, recounted or deleted in the
 * app touches no contact, so an incremental sync re-reads none of its rows: each incremental pass must refresh
 * the copied columns of every row from /tags, and set them NULL where the tag is gone (the table's description).
 * End to end through the CLI, against the simulator over HTTP, into each destination, read back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TABLES } from '../src/catalog/index.js';
import type { TypedRow } from '../src/core/contract.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { runCli } from './support/cli.js';
import { expectedRows } from './support/oracle.js';
import { duckdbTarget, parquetTarget, postgresTarget, type SyncTarget } from './support/targets.js';

const table = TABLES.find((t) => t.name === 'contacts_tags');
assert.ok(table);
const column = (name: string) => table.columns.findIndex((c) => c.name === name);
const copied = table.columns.flatMap((c, i) => (c.joined ? [i] : []));

const targets: readonly [string, (dir: string) => Promise<SyncTarget>][] = [
  ['duckdb', duckdbTarget],
  ['postgres', () => postgresTarget()],
  ['parquet', parquetTarget],
];

for (const [name, makeTarget] of targets) {
  describe(`contacts_tags after tag changes that touch no contact, into ${name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), `acsync-tag-refresh-${name}-`));
    let sim: Simulator;
    let target: SyncTarget;

    before(async () => {
      sim = await startSimulator({ seed: 23, contacts: 300, rateLimit: 0 });
      target = await makeTarget(dir);
    });
    after(async () => {
      await sim.close();
      await target.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    async function sync() {
      const before = sim.stats().byPath;
      const result = await runCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', target.uri, '--tables', 'contacts,contacts_tags']);
      assert.equal(result.code, 0, result.stderr);
      const now = sim.stats().byPath;
      return (path: string) => (now[path] ?? 0) - (before[path] ?? 0);
    }

    async function changeTag(change: Record<string, unknown>): Promise<void> {
      const response = await fetch(`${sim.url}/__sim/tag`, { method: 'POST', body: JSON.stringify(change) });
      assert.equal(response.status, 200, await response.text());
    }

    test('an incremental sync refreshes every row\'s tag columns, and NULLs those of deleted tags', async () => {
      await sync();
      const first = await target.read(table);
      assert.deepEqual(first, expectedRows(table, sim.account));

      // The two tags on the most rows: one renamed and recounted, one deleted.
      const rowsPerTag = new Map<number, number>();
      for (const row of first) rowsPerTag.set(row[column('tag_id')] as number, (rowsPerTag.get(row[column('tag_id')] as number) ?? 0) + 1);
      const [renamed, deleted] = [...rowsPerTag].sort((a, b) => b[1] - a[1]).map(([id]) => id);
      assert.ok(renamed !== undefined && deleted !== undefined && (rowsPerTag.get(deleted) ?? 0) > 5);
      await changeTag({ id: renamed, tag: 'renamed ✓', description: 'Renamed in the app', subscriber_count: 4242 });
      await changeTag({ id: deleted, delete: true });

      const requests = await sync();
      // Incremental: the associations came with the changed contacts' pages (none changed), not from their list.
      assert.equal(requests('/api/3/contactTags'), 0);

      const second = await target.read(table);
      const ofTag = (id: number) => second.filter((row) => row[column('tag_id')] === id);
      assert.equal(ofTag(renamed).length, rowsPerTag.get(renamed));
      for (const row of ofTag(renamed)) {
        assert.equal(row[column('tag')], 'renamed ✓');
        assert.equal(row[column('description')], 'Renamed in the app');
        assert.equal(row[column('subscriber_count')], 4242);
      }
      assert.equal(ofTag(deleted).length, rowsPerTag.get(deleted), 'associations of a deleted tag stay');
      for (const row of ofTag(deleted)) assert.deepEqual(copied.map((i) => row[i]), copied.map(() => null));
      // Every other column, and every other row, as the account has them now.
      assert.deepEqual(second, expectedRows(table, sim.account));
      // The tag list is small: one request, whatever the account's size.
      assert.equal(requests('/api/3/tags'), 1);
    });

    test('an unchanged account leaves the copy as it is', async () => {
      const before: TypedRow[] = await target.read(table);
      await sync();
      assert.deepEqual(await target.read(table), before);
    });
  });
}
