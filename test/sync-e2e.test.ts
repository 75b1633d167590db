/**
 * End to end, as a user runs it: the CLI syncs the simulator over HTTP into a real DuckDB file, and every one of
 * the 33 tables must equal the simulator's data row for row and value for value.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TABLES, getTable } from '../src/catalog/index.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { runCli } from './support/cli.js';
import { SIM_OFFSET_MINUTES, expectedRows, readDuckDbTable } from './support/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'acsync-e2e-'));
let sim: Simulator;

before(async () => {
  sim = await startSimulator({ seed: 7, contacts: 600, rateLimit: 0 });
});
after(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const table = (name: string) => {
  const t = getTable(name);
  assert.ok(t);
  return t;
};

describe('a first sync of every table', () => {
  const file = join(dir, 'all.duckdb');
  let stdout = '';
  let stderr = '';

  before(async () => {
    const result = await runCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${file}`]);
    assert.equal(result.code, 0, result.stderr);
    stdout = result.stdout;
    stderr = result.stderr;
  });

  for (const t of TABLES) {
    test(`${t.name} equals the simulator's data, typed`, async () => {
      const actual = await readDuckDbTable(file, t);
      const expected = expectedRows(t, sim.account);
      assert.ok(expected.length > 0, `the simulated account has rows for ${t.name}`);
      assert.equal(actual.length, expected.length, `${t.name}: row count`);
      assert.deepEqual(actual, expected);
    });
  }

  test('the summary lists every table and the key appears nowhere', () => {
    for (const t of TABLES) assert.match(stdout, new RegExp(`^${t.name}\\s`, 'm'));
    assert.ok(!stdout.includes(sim.key) && !stderr.includes(sim.key));
  });

  test('permission-truncated deals are kept and counted in a warning', async () => {
    const truncated = [...sim.account.records('deals')].filter((d) => d.isDisabled === 1);
    assert.ok(truncated.length > 0, 'the account has deals in a restricted pipeline');
    assert.match(stderr, new RegExp(`warn: deals: ${truncated.length} deals in pipelines the key may not manage`));
    const rows = await readDuckDbTable(file, table('deals'));
    const title = table('deals').columns.findIndex((c) => c.name === 'title');
    const disabled = table('deals').columns.findIndex((c) => c.name === 'isdisabled');
    const kept = rows.filter((r) => r[disabled] === true);
    assert.equal(kept.length, truncated.length);
    assert.ok(kept.every((r) => typeof r[title] === 'string'));
  });

  test('hard values arrive as the contract says', async () => {
    const contacts = [...sim.account.records('contacts')];
    const rows = await readDuckDbTable(file, table('contacts'));
    const byId = new Map(rows.map((r) => [r[0], r]));
    const col = (name: string) => table('contacts').columns.findIndex((c) => c.name === name);
    const zeroDate = contacts.find((c) => c.bounced_date === '0000-00-00');
    assert.ok(zeroDate, 'the account has a zero date');
    assert.equal(byId.get(Number(zeroDate.id))?.[col('bounced_date')], null);
    const emoji = contacts.find((c) => /\p{Extended_Pictographic}/u.test(String(c.firstName) + String(c.lastName) + String(c.orgname)));
    assert.ok(emoji, 'the account has emoji text');
    assert.equal(byId.get(Number(emoji.id))?.[col('orgname')], emoji.orgname);
    // An ISO timestamp with an offset is stored as the UTC instant.
    const first = contacts[0];
    assert.ok(first && typeof first.cdate === 'string');
    assert.equal(byId.get(Number(first.id))?.[col('cdate')], BigInt(Date.parse(first.cdate)) * 1000n);
    // A naive account-local timestamp is shifted by the account's offset.
    const local = String(first.created_timestamp);
    const asUtc = Date.parse(`${local.replace(' ', 'T')}Z`) - SIM_OFFSET_MINUTES * 60_000;
    assert.equal(byId.get(Number(first.id))?.[col('created_timestamp')], BigInt(asUtc) * 1000n);

    const notes = await readDuckDbTable(file, table('contacts_notes'));
    const noteCol = table('contacts_notes').columns.findIndex((c) => c.name === 'note');
    assert.ok(notes.some((r) => typeof r[noteCol] === 'string' && /\t|\n/.test(r[noteCol] as string)), 'tabs and newlines survive');
    assert.ok(notes.some((r) => typeof r[noteCol] === 'string' && (r[noteCol] as string).length > 10_000), 'long notes survive');

    const messages = await readDuckDbTable(file, table('campaigns_messages_content'));
    const textCol = table('campaigns_messages_content').columns.findIndex((c) => c.name === 'text');
    assert.ok(messages.every((r) => r[textCol] === null || [...(r[textCol] as string)].length <= 1000));
  });
});

describe('permissions', () => {
  test('check names a denied table and the permission to grant, exit 3', async () => {
    // A user without the Deals permission can read neither deals nor their custom field values.
    const denied = await startSimulator({ seed: 7, contacts: 50, rateLimit: 0, deny: ['Deals'] });
    try {
      const result = await runCli(['check', '--url', denied.url, '--key', denied.key]);
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stdout, /^denied\s+deals\s+grant: Deals$/m);
      assert.match(result.stdout, /^ok\s+contacts$/m);
      assert.match(result.stderr, /Settings → Users → Groups/);
    } finally {
      await denied.close();
    }
  });

  test('a sync skips a denied table with a warning, copies the others, and exits 3', async () => {
    const denied = await startSimulator({ seed: 7, contacts: 50, rateLimit: 0, deny: ['Accounts'] });
    const file = join(dir, 'partial.duckdb');
    try {
      const result = await runCli(['sync', '--url', denied.url, '--key', denied.key, '--dest', `duckdb:${file}`, '--tables', 'accounts,users']);
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stdout, /^accounts\s+full\s+skipped/m);
      assert.match(result.stderr, /"Accounts" permission/);
      assert.equal((await readDuckDbTable(file, table('users'))).length, denied.account.count('users'));
    } finally {
      await denied.close();
    }
  });

  test('a default sync with Deals denied skips every deal table (the sideload probe included) and copies the rest', async () => {
    // The probe of /deals' sideloads is denied like the reads: no verdict, the deal tables fail each on their own.
    const denied = await startSimulator({ seed: 7, contacts: 50, rateLimit: 0, deny: ['Deals'] });
    const file = join(dir, 'no-deals.duckdb');
    try {
      const result = await runCli(['sync', '--url', denied.url, '--key', denied.key, '--dest', `duckdb:${file}`]);
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stdout, /^deals\s+\w+\s+skipped/m);
      assert.match(result.stderr, /deals: the key may not read \/deals: grant the "Deals" permission/);
      assert.equal((await readDuckDbTable(file, table('contacts'))).length, denied.account.count('contacts'));
    } finally {
      await denied.close();
    }
  });

  test('check passes with exit 0 when every table is readable', async () => {
    const result = await runCli(['check', '--url', sim.url, '--key', sim.key]);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /denied/);
  });

  test('check probes what a sync relies on, and --log-format json prints one JSON document', async () => {
    const text = await runCli(['check', '--url', sim.url, '--key', sim.key]);
    assert.match(text.stdout, /^ok {6}\/contacts honours include=fieldValues,contactLists,contactTags\.tag$/m);
    assert.match(text.stdout, /^ok {6}\/deals honours filters\[updated_after\]$/m);
    // The simulated account has deals in pipelines the key may not manage: said, without failing the check.
    assert.match(text.stdout, /^warn {4}every deal is visible to the key \(first page\): \d+ of the first/m);
    const json = await runCli(['check', '--url', sim.url, '--key', sim.key, '--log-format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { tables: { table: string; readable: boolean }[]; assumptions: { name: string; ok: boolean }[] };
    assert.equal(report.tables.length, 33);
    assert.ok(report.tables.every((t) => t.readable));
    assert.ok(report.assumptions.some((a) => a.name === '/contacts orders[id]=ASC with id_greater' && a.ok));
    for (const line of json.stderr.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), line);
  });
});

describe('bad input: one line, exit 2, destination untouched', () => {
  const existing = join(dir, 'existing.duckdb');
  let digest = '';
  before(async () => {
    const result = await runCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${existing}`, '--tables', 'users']);
    assert.equal(result.code, 0, result.stderr);
    digest = createHash('sha256').update(readFileSync(existing)).digest('hex');
  });

  const cases: [string, () => string[], number, RegExp][] = [
    ['missing key', () => ['--url', sim.url], 2, /no ActiveCampaign key/],
    ['malformed URL', () => ['--url', 'acme api-us1 com', '--key', sim.key], 2, /URL/],
    ['http:// to a non-loopback host', () => ['--url', 'http://acme.api-us1.com', '--key', sim.key], 2, /https:\/\//],
    ['unknown table', () => ['--url', sim.url, '--key', sim.key, '--tables', 'contacts,nope'], 2, /unknown table "nope"/],
    ['bad mode', () => ['--url', sim.url, '--key', sim.key, '--mode', 'lists=incremental'], 2, /lists cannot be synced incrementally/],
    ['wrong key', () => ['--url', sim.url, '--key', 'wrong-key-1234'], 1, /key|Forbidden/i],
    ['a host that does not exist', () => ['--url', 'https://acme.invalid', '--key', sim.key], 1, /cannot find the host acme\.invalid/],
    ['the key inside the URL', () => ['--url', `${sim.url}/?api_key=${sim.key}`, '--key', sim.key], 2, /query or fragment/],
    ['--url and --key swapped', () => ['--url', sim.key, '--key', sim.url], 2, /not a web address \(is it the key\?/],
    ['another account\'s copy', () => ['--url', sim.url.replace('127.0.0.1', 'localhost'), '--key', sim.key], 2, /holds a copy of the account at 127\.0\.0\.1, not localhost/],
  ];
  for (const [name, args, code, message] of cases) {
    test(name, async () => {
      const result = await runCli(['sync', ...args(), '--dest', `duckdb:${existing}`]);
      assert.equal(result.code, code, result.stderr);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0] ?? '', message);
      assert.ok(!result.stderr.includes(sim.key) && !result.stderr.includes('wrong-key-1234'), 'no key in the output');
      assert.equal(createHash('sha256').update(readFileSync(existing)).digest('hex'), digest, 'the destination is unchanged');
    });
  }

  test('unwritable destination', async () => {
    const result = await runCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', 'duckdb:/nonexistent-dir/x.duckdb']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /nonexistent-dir/);
  });

  test('a file that is not a DuckDB database is left as it was', async () => {
    const notDb = join(dir, 'notes.duckdb');
    writeFileSync(notDb, 'my notes, not a database\n');
    const result = await runCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${notDb}`]);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(readFileSync(notDb, 'utf8'), 'my notes, not a database\n');
  });
});

// The JSON summary a scheduler (and bench/sync-bench.ts) reads at the end of a sync: its figures and their types.
test('the JSON summary carries the rows, the peak memory and the CPU the sync used', async () => {
  const result = await runCli([
    'sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${join(dir, 'summary.duckdb')}`,
    '--tables', 'contacts,contacts_custom_fields_data', '--log-format', 'json',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const line = result.stderr.split('\n').find((l) => l.includes('"event":"summary"'));
  assert.ok(line, 'a summary line');
  const summary = JSON.parse(line) as { tables: { rows: number }[]; peakRssMb: unknown; cpuSeconds: unknown };
  assert.equal(summary.tables.reduce((sum, t) => sum + t.rows, 0) > 200, true);
  assert.equal(typeof summary.peakRssMb, 'number');
  assert.equal(typeof summary.cpuSeconds, 'number');
  assert.ok((summary.cpuSeconds as number) > 0, `cpuSeconds ${String(summary.cpuSeconds)}`);
  assert.ok(!result.stderr.includes(sim.key) && !result.stdout.includes(sim.key));
});
