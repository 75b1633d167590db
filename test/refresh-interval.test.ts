/**
 * A refresh interval for tables read whole (`--refresh-every`, config `refreshEveryHours`): a sync within the
 * interval makes no request to the table's endpoint, keeps its rows and says why (summary, `acsync status`, a run
 * that still succeeds); past the interval the table is read again. End to end through the CLI into DuckDB.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { TABLES } from '../src/catalog/index.js';
import { parseRefreshEvery } from '../src/cli/config.js';
import { problems, runsTable } from '../src/cli/runs.js';
import { ConfigError } from '../src/core/errors.js';
import { startSimulator } from '../src/simulator/index.js';
import { table } from './support/catalog.js';
import { runCli } from './support/cli.js';
import { expectedRows, readDuckDbTable, sortByKey } from './support/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'acsync-refresh-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('refresh interval of tables read whole', () => {
  test('acsync runs counts tables not due as neither copied nor failed', () => {
    const table = { mode: 'full' as const, rows: 0, requests: 0, conversionErrors: 0 };
    const run = {
      runId: 'r1', startedAt: '2026-12-01T10:00:00.000Z', endedAt: '2026-12-01T10:01:00.000Z', status: 'partial' as const,
      tables: [
        { ...table, table: 'contacts', status: 'success' as const, rows: 5, requests: 1 },
        { ...table, table: 'contacts_notes', status: 'skipped' as const, notDueUntil: '2026-12-02T10:00:00.000Z' },
        { ...table, table: 'accounts', status: 'failed' as const, error: 'boom' },
      ],
    };
    const line = runsTable([run])[1] ?? '';
    assert.match(line, / 1\/2 /, line);
    assert.deepEqual(problems(run), ['accounts failed: boom']);
  });

  test('parsing: hours for every table read whole, or per table; never for a table read incrementally', () => {
    const every = parseRefreshEvery('24', new Map());
    assert.deepEqual([...every.keys()].sort(), TABLES.filter((t) => !t.modes.includes('incremental')).map((t) => t.name).sort());
    assert.equal(every.get('contacts_notes'), 24);
    assert.equal(every.has('contacts'), false);
    const mixed = parseRefreshEvery('24,contacts_notes=6', new Map());
    assert.equal(mixed.get('contacts_notes'), 6);
    assert.equal(mixed.get('accounts'), 24);
    assert.deepEqual([...parseRefreshEvery({ accounts: 1.5 }, new Map())], [['accounts', 1.5]]);
    assert.throws(() => parseRefreshEvery('contacts=2', new Map()), (e: unknown) => e instanceof ConfigError && /contacts is read incrementally/.test(e.message));
    assert.equal(parseRefreshEvery('contacts=2', new Map([['contacts', 'full']])).get('contacts'), 2);
    assert.throws(() => parseRefreshEvery('accounts=0', new Map()), /bad refresh interval "0" for accounts/);
    assert.throws(() => parseRefreshEvery('nope=2', new Map()), /unknown table "nope"/);
  });

  test('within the interval no request reads the table and its rows stay; past it the table is read again', async () => {
    const sim = await startSimulator({ seed: 41, contacts: 400, rateLimit: 0 });
    const file = join(dir, 'refresh.duckdb');
    const config = join(dir, 'acsync.json');
    writeFileSync(config, JSON.stringify({ refreshEveryHours: { contacts_notes: 24, accounts_notes: 24 } }));
    const notes = [table('contacts_notes'), table('accounts_notes')];
    const base = ['--url', sim.url, '--key', sim.key, '--dest', `duckdb:${file}`, '--rate', '1000', '--tables', 'contacts_notes,accounts_notes,users'];
    const sync = async (...extra: string[]) => {
      const before = sim.stats().byPath;
      const result = await runCli(['sync', ...base, ...extra]);
      assert.equal(result.code, 0, result.stderr);
      const now = sim.stats().byPath;
      return { result, requests: (path: string) => (now[path] ?? 0) - (before[path] ?? 0) };
    };
    const copy = async () => Promise.all(notes.map(async (t) => sortByKey(t, await readDuckDbTable(file, t))));
    try {
      const first = await sync('--refresh-every', 'contacts_notes=24,accounts_notes=24');
      assert.ok(first.requests('/api/3/notes') > 0, 'never read: read now');
      const read = await copy();

      const { applied } = sim.mutate(5, 300);
      assert.ok((applied.notes?.insert ?? 0) + (applied.notes?.update ?? 0) > 0, 'notes changed');
      const changed = notes.map((t) => expectedRows(t, sim.account));
      assert.notDeepEqual(changed, read, 'the account\'s notes differ from the copy');

      // Within the interval (here from the config file): no request to /notes, the rows as they were, the run a success.
      const second = await sync('--config', config);
      assert.equal(second.requests('/api/3/notes'), 0);
      assert.ok(second.requests('/api/3/users') > 0, 'the other tables are read');
      assert.deepEqual(await copy(), read);
      assert.match(second.result.stdout, /contacts_notes\s+full\s+not due\s+0/);
      assert.match(second.result.stderr, /contacts_notes: not read: its last full pass \(.+ UTC\) is younger than its refresh interval \(24 h\); next read after/);
      assert.match(second.result.stderr, /not due \(refresh interval\): accounts_notes, contacts_notes; the first is read again after \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
      assert.doesNotMatch(second.result.stderr, /warn/i);
      const runs = await runCli(['runs', '--dest', `duckdb:${file}`, '--json']);
      const lastRun = JSON.parse(runs.stdout.split('\n')[0] ?? '') as { status: string; tables: { table: string; status: string }[] };
      assert.equal(lastRun.status, 'success');
      assert.equal(lastRun.tables.find((t) => t.table === 'contacts_notes')?.status, 'skipped');

      const status = await runCli(['status', '--dest', `duckdb:${file}`, '--config', config, '--json']);
      assert.equal(status.code, 0, status.stderr);
      const tables = (JSON.parse(status.stdout) as { tables: { table: string; notDueUntil: string | null; lastFullAt: string | null }[] }).tables;
      const contactsNotes = tables.find((t) => t.table === 'contacts_notes');
      assert.equal(Date.parse(contactsNotes?.notDueUntil ?? '') - Date.parse(contactsNotes?.lastFullAt ?? ''), 24 * 3_600_000);
      assert.equal(tables.find((t) => t.table === 'users')?.notDueUntil, null);
      const text = await runCli(['status', '--dest', `duckdb:${file}`, '--config', config]);
      assert.match(text.stdout, /not due \(refresh interval\)\s+last full \(UTC\)\s+next read after \(UTC\)\n(accounts_notes|contacts_notes)\s/);

      // Past the interval (a few seconds since the first sync's full pass is past 0.00001 h): read again.
      const third = await sync('--refresh-every', 'contacts_notes=0.00001,accounts_notes=0.00001');
      assert.ok(third.requests('/api/3/notes') > 0);
      assert.deepEqual(await copy(), changed);
    } finally {
      await sim.close();
    }
  });
});
