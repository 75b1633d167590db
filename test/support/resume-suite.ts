/**
 * kill -9 in the middle of a sync, at several points, then resume: the copy ends equal to the account, nothing
 * lost or doubled, and each resume re-reads at most the batch that was not committed (plus requests in flight).
 * Run for every destination.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { getTable } from '../../src/catalog/index.js';
import type { TableState } from '../../src/core/contract.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { openDestination } from '../../src/destinations/index.js';
import { runCli, startCli } from './cli.js';
import { expectedRows } from './oracle.js';
import type { SyncTarget } from './targets.js';

const BATCH_ROWS = 300; // three pages per committed batch
const PREFETCH = 4;

export function resumeSuite(name: string, makeTarget: (dir: string) => Promise<SyncTarget>): void {
  describe(`kill -9 and resume into ${name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), `acsync-resume-${name}-`));
    let sim: Simulator;
    let target: SyncTarget;

    before(async () => {
      sim = await startSimulator({ seed: 5, contacts: 4000, rateLimit: 0, latencyMs: 15, jitterMs: 5 });
      target = await makeTarget(dir);
    });
    after(async () => {
      await sim.close();
      await target.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    const args = () => [
      'sync', '--url', sim.url, '--key', sim.key, '--dest', target.uri,
      '--tables', 'contacts,contacts_custom_fields_data', '--mode', 'contacts_custom_fields_data=full',
      '--batch-rows', String(BATCH_ROWS),
    ];

    async function readStates(): Promise<Map<string, TableState>> {
      const destination = await openDestination(target.uri);
      await destination.open();
      try {
        return await destination.readState();
      } finally {
        await destination.close();
      }
    }

    const pagesCommitted = (state: TableState | undefined) => Math.ceil((state?.inProgress?.position.rows ?? 0) / 100);
    const requests = (path: string) => sim.stats().byPath[path] ?? 0;

    test('killed at several points, resumed, ends equal with bounded re-reads', async (t) => {
      const contactsPages = Math.ceil(sim.account.count('contacts') / 100);
      const valuePages = Math.ceil(sim.account.count('fieldValues') / 100);
      let committed = { contacts: 0, values: 0 };
      const killAt = [6, 14, 23];

      for (const [round, threshold] of killAt.entries()) {
        const before = { contacts: requests('/api/3/contacts'), values: requests('/api/3/fieldValues') };
        const { child, result } = startCli(args());
        const deadline = Date.now() + 60_000;
        while (requests('/api/3/contacts') < threshold && Date.now() < deadline) await sleep(2);
        child.kill('SIGKILL');
        const ended = await result;
        assert.equal(ended.signal, 'SIGKILL', `round ${round}: the sync was still running when killed`);

        const fetched = { contacts: requests('/api/3/contacts') - before.contacts, values: requests('/api/3/fieldValues') - before.values };
        const states = await readStates();
        const now = { contacts: pagesCommitted(states.get('contacts')), values: pagesCommitted(states.get('contacts_custom_fields_data')) };
        assert.ok(now.contacts >= committed.contacts, 'progress is never lost');
        // Re-read on the next run = fetched now but not committed: at most one batch, plus what was in flight.
        const batchPages = BATCH_ROWS / 100;
        assert.ok(fetched.contacts - (now.contacts - committed.contacts) <= batchPages + 1, `contacts wasted ${JSON.stringify({ fetched, now, committed })}`);
        assert.ok(fetched.values - (now.values - committed.values) <= batchPages + PREFETCH + 1, `values wasted ${JSON.stringify({ fetched, now, committed })}`);
        t.diagnostic(
          `kill ${round + 1}: contacts re-read ${fetched.contacts - (now.contacts - committed.contacts)} pages, ` +
            `field values re-read ${fetched.values - (now.values - committed.values)} pages`,
        );
        committed = now;
      }

      const before = { contacts: requests('/api/3/contacts'), values: requests('/api/3/fieldValues') };
      const final = await runCli(args());
      assert.equal(final.code, 0, final.stderr);
      const last = { contacts: requests('/api/3/contacts') - before.contacts, values: requests('/api/3/fieldValues') - before.values };
      assert.ok(last.contacts <= contactsPages - committed.contacts + 1, `the final run resumed contacts: ${last.contacts} requests`);
      assert.ok(last.values <= valuePages - committed.values + 1, `the final run resumed field values: ${last.values} requests`);

      for (const name of ['contacts', 'contacts_custom_fields_data']) {
        const table = getTable(name);
        assert.ok(table);
        assert.deepEqual(await target.read(table), expectedRows(table, sim.account), name);
      }
      const states = await readStates();
      assert.equal(states.get('contacts')?.inProgress, undefined, 'the pass is complete');
      assert.ok(states.get('contacts')?.cursor, 'the cursor is recorded');
    });
  });
}
