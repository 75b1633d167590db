/**
 * Reading every destination back, as a user does after a sync: `acsync query`, `acsync runs` and `acsync status`
 * over real syncs of the simulator into a DuckDB file, a real PostgreSQL, a local Parquet lake and a lake on S3
 * (s3rver). The CLI runs in a child process, as bin/acsync.js does.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { getTable } from '../src/catalog/index.js';
import { redactUri } from '../src/core/secrets.js';
import type { RunRecord, TableState } from '../src/core/contract.js';
import { openDestination, type Destination } from '../src/destinations/index.js';
import { s3DestinationFromUri } from '../src/destinations/lake-uri.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { runCli, type CliResult } from './support/cli.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';
import { startS3, type TestS3 } from './support/s3.js';

const CONTACTS = 120;
const dir = mkdtempSync(join(tmpdir(), 'acsync-readback-'));
/** The CLI's temporary folder: what a query over S3 fetches goes under it, and must be gone afterwards. */
const childTmp = join(dir, 'tmp');
mkdirSync(childTmp);
let sim: Simulator;
let s3: TestS3;
let postgres: TestPostgres;

before(async () => {
  [sim, s3, postgres] = await Promise.all([
    startSimulator({ seed: 11, contacts: CONTACTS, rateLimit: 0 }),
    startS3(),
    startPostgres(),
  ]);
  await s3.createBucket('lake');
});
after(async () => {
  await Promise.all([sim?.close(), s3?.close(), postgres?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

interface Target {
  readonly name: string;
  uri(): string;
  /** The destination as `sync` opens it, for writing a pass left in progress. */
  destination(): Destination | Promise<Destination>;
}

const targets: Target[] = [
  { name: 'DuckDB', uri: () => `duckdb:${join(dir, 'copy.duckdb')}`, destination() { return openDestination(this.uri()); } },
  {
    name: 'PostgreSQL',
    uri: () => `${postgres.url}?schema=activecampaign`,
    destination() { return openDestination(this.uri()); },
  },
  { name: 'a local Parquet lake', uri: () => `parquet:${join(dir, 'lake')}`, destination() { return openDestination(this.uri()); } },
  {
    name: 'a Parquet lake on S3',
    uri: () => 's3://lake/acs',
    destination: () => s3DestinationFromUri(`s3://lake/acs?cache=${join(dir, 'writer-cache')}`, s3.env),
  },
];

/** The CLI with the S3 server's variables and a temporary folder of the test's own. */
function cli(args: readonly string[]): Promise<CliResult> {
  return runCli(args, { ...(s3.env as Record<string, string>), TMPDIR: childTmp });
}

/** The command for a failure message, without the test server's password. */
const shown = (args: readonly string[]) => args.map(redactUri).join(' ');

async function ok(args: readonly string[]): Promise<string> {
  const result = await cli(args);
  assert.equal(result.code, 0, `${shown(args)}: ${result.stderr}`);
  return result.stdout;
}

/** A command that must fail with `code` (2: bad input) and one line on stderr; returns that line. */
async function refused(args: readonly string[], code = 2): Promise<string> {
  const result = await cli(args);
  assert.equal(result.code, code, `${shown(args)} should fail: ${result.stdout}${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  return lines[0] ?? '';
}

const jsonLines = (text: string) => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

/** What every destination must answer alike: DuckDB's answers, filled by the first target. */
const reference = new Map<string, string>();
const SAME_EVERYWHERE = [
  'SELECT count(*) AS n, count(DISTINCT email) AS emails FROM contacts',
  'SELECT id, email, firstname FROM contacts ORDER BY id LIMIT 3',
  'SELECT l.id, count(*) AS members FROM lists AS l JOIN lists_contacts AS m ON m.list = l.id GROUP BY l.id ORDER BY l.id',
];

for (const target of targets) {
  describe(`reading back ${target.name}`, () => {
    const runIds: string[] = [];

    before(async () => {
      // A first sync (every table read in full), then a second one (incremental where the API allows it).
      for (let round = 0; round < 2; round++) {
        await ok(['sync', '--url', sim.url, '--key', sim.key, '--dest', target.uri()]);
      }
    });

    test('query answers as it does on DuckDB, as a table and as JSON lines', async () => {
      for (const sql of SAME_EVERYWHERE) {
        const json = await ok(['query', sql, '--dest', target.uri(), '--json']);
        const known = reference.get(sql);
        if (known === undefined) reference.set(sql, json);
        else assert.equal(json, known, `${target.name}: ${sql}`);
      }
      assert.deepEqual(jsonLines(reference.get(SAME_EVERYWHERE[0]!) ?? ''), [{ n: String(CONTACTS), emails: String(CONTACTS) }]);
      const table = await ok(['query', 'SELECT id, email FROM contacts ORDER BY id LIMIT 2', '--dest', target.uri()]);
      const lines = table.trim().split('\n');
      assert.match(lines[0] ?? '', /^id\s+email$/);
      assert.match(lines[1] ?? '', /^-+\s+-+$/);
      assert.equal(lines.at(-1), '(2 rows)');
    });

    test('a bad query and a missing table are one clear line, exit 2', async () => {
      assert.match(await refused(['query', 'SELEC nothing', '--dest', target.uri()]), /query failed: .*syntax error/i);
      assert.match(await refused(['query', 'SELECT * FROM no_such_table', '--dest', target.uri()]), /query failed: .*no_such_table/i);
    });

    test('runs lists the two syncs, most recent first, as a table and as JSON', async () => {
      const runs = jsonLines(await ok(['runs', '--dest', target.uri(), '--json'])) as unknown as RunRecord[];
      assert.equal(runs.length, 2);
      assert.ok(runs[0]!.startedAt >= runs[1]!.startedAt, 'newest first');
      for (const run of runs) {
        assert.equal(run.status, 'success');
        assert.equal(run.tables.length, 33);
        runIds.push(run.runId);
      }
      // The second run read contacts incrementally: unchanged since the first, it copied no row.
      assert.equal(runs[0]!.tables.find((t) => t.table === 'contacts')?.mode, 'incremental');
      assert.equal(runs[1]!.tables.find((t) => t.table === 'contacts')?.rows, CONTACTS);

      const limited = jsonLines(await ok(['runs', '--dest', target.uri(), '--json', '--limit', '1'])) as unknown as RunRecord[];
      assert.deepEqual(limited.map((run) => run.runId), [runIds[0]]);

      const text = (await ok(['runs', '--dest', target.uri()])).trimEnd().split('\n');
      assert.match(text[0] ?? '', /^started \(UTC\)\s+took\s+status\s+tables\s+rows\s+requests$/);
      assert.equal(text.length, 3);
      assert.match(text[1] ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\S+\s+success\s+33\/33\s/);
      assert.ok(text.every((line) => line.length <= 80), text.join('\n'));
    });

    test('status shows each table\'s mode, rows, last success, cursor and next full pass, within 80 columns', async () => {
      const status = JSON.parse(await ok(['status', '--dest', target.uri(), '--json'])) as {
        account: string; lastRun: RunRecord; notSynced: string[];
        tables: { table: string; mode: string; rows: number; lastSuccessAt: string; cursor: string | null; lastFullAt: string | null;
          resumable: unknown; nextMode: string; nextFullPassAt: string | null }[];
      };
      assert.equal(status.tables.length, 33);
      assert.deepEqual(status.notSynced, []);
      assert.equal(status.account, new URL(sim.url).host.replace(/:\d+$/, ''));
      assert.equal(status.lastRun.runId, runIds[0]);
      const contacts = status.tables.find((t) => t.table === 'contacts');
      assert.equal(contacts?.rows, CONTACTS);
      assert.equal(contacts?.mode, 'incremental');
      assert.equal(contacts?.lastSuccessAt, status.lastRun.endedAt);
      assert.ok(contacts?.cursor, 'contacts has a cursor');
      assert.equal(contacts?.nextMode, 'incremental');
      // contacts has no periodic full pass; its child tables have one a week after their last.
      assert.equal(contacts?.nextFullPassAt, null);
      const tags = status.tables.find((t) => t.table === 'contacts_tags');
      assert.equal(Date.parse(tags?.nextFullPassAt ?? '') - Date.parse(tags?.lastFullAt ?? ''), 7 * 86_400_000);
      const lists = status.tables.find((t) => t.table === 'lists');
      assert.equal(lists?.mode, 'full');
      assert.equal(lists?.cursor, null);
      assert.ok((lists?.rows ?? 0) > 0);
      assert.ok(status.tables.every((t) => t.resumable === null && t.lastSuccessAt === status.lastRun.endedAt));

      const text = (await ok(['status', '--dest', target.uri()])).trimEnd().split('\n');
      assert.ok(text.every((line) => line.length <= 80), text.filter((line) => line.length > 80).join('\n'));
      assert.equal(text[1], `account ${status.account}`);
      assert.match(text[2] ?? '', /^last run \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: success, 33\/33 tables/);
      assert.ok(text.some((line) => new RegExp(`^contacts\\s+incremental\\s+${CONTACTS}\\s+\\d{4}-`).test(line)), text.join('\n'));
      assert.ok(text.some((line) => /^contacts_tags\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\d{4}-\d\d-\d\d$/.test(line)), text.join('\n'));
    });

    test('status shows a pass that stopped midway as resumable', async () => {
      const destination = await target.destination();
      await destination.open();
      const before = (await destination.readState()).get('deals');
      try {
        const writer = await destination.beginTable(getTable('deals')!, 'full', false);
        const state: TableState = {
          ...before, mode: 'full',
          inProgress: { runId: 'r-stopped', mode: 'full', stream: 'deals', position: { offset: 40, rows: 40 } },
        };
        await writer.commit({ rows: [] }, state);
        await writer.abort();
      } finally {
        await destination.close();
      }
      const status = JSON.parse(await ok(['status', '--dest', target.uri(), '--json'])) as { tables: { table: string; resumable: unknown }[] };
      assert.deepEqual(status.tables.find((t) => t.table === 'deals')?.resumable, { mode: 'full', runId: 'r-stopped', rows: 40 });
      const text = await ok(['status', '--dest', target.uri()]);
      assert.ok(text.split('\n').every((line) => line.length <= 80), text);
      // Long lines wrap, continued with an indent.
      assert.match(text.replace(/\n {2}/g, ' '), /^resumable: deals, a full pass stopped after 40 rows \(run r-stopped\); the next sync continues it$/m);
    });
  });
}

describe('what only some destinations need', () => {
  test('a query on PostgreSQL cannot write, even when it tries to end the read-only transaction', async () => {
    const uri = `${postgres.url}?schema=activecampaign`;
    assert.match(await refused(['query', 'DELETE FROM contacts', '--dest', uri]), /query failed: .*read-only transaction/);
    assert.match(await refused(['query', 'COMMIT; DELETE FROM contacts', '--dest', uri]), /query failed: .*multiple commands/);
    assert.equal(await ok(['query', 'SELECT count(*) AS n FROM contacts', '--dest', uri, '--json']), `{"n":"${CONTACTS}"}\n`);
  });

  test('a query on S3 fetches only the tables it names, and leaves no temporary files', async () => {
    // Without the current deals file, a query on contacts still answers: it never fetched deals.
    const manifest = JSON.parse(await s3.getText('lake', 'acs/deals/_current.json')) as { files: string[] };
    assert.equal(manifest.files.length, 1);
    await s3.client.send(new DeleteObjectCommand({ Bucket: 'lake', Key: `acs/deals/${manifest.files[0]}` }));
    assert.equal(await ok(['query', 'SELECT count(*) AS n FROM contacts', '--dest', 's3://lake/acs', '--json']), `{"n":"${CONTACTS}"}\n`);
    // A lake missing a file it lists is broken, not misused: exit 1.
    assert.match(await refused(['query', 'SELECT count(*) FROM deals', '--dest', 's3://lake/acs'], 1), /lacks deals\/v\d+\/part-0000\.parquet/);
    assert.deepEqual(readdirSync(childTmp).filter((name) => name.startsWith('acsync-read-')), []);
  });

  test('a destination with no copy says so in one line', async () => {
    assert.match(await refused(['status', '--dest', `duckdb:${join(dir, 'none.duckdb')}`]), /no DuckDB file at .*none\.duckdb: run acsync sync/);
    assert.match(await refused(['runs', '--dest', `parquet:${join(dir, 'empty')}`]), /no Parquet lake at .*empty/);
    assert.match(await refused(['query', 'SELECT 1', '--dest', `${postgres.url}?schema=nothing_here`]), /there is no schema "nothing_here"/);
    await s3.createBucket('empty');
    assert.match(await refused(['status', '--dest', 's3://empty/acs']), /no Parquet lake at s3:\/\/empty\/acs/);
    const wrongPassword = postgres.url.replace(/:[^:@/]+@/, ':wrong@');
    const line = await refused(['runs', '--dest', wrongPassword]);
    assert.match(line, /rejected the password/);
    assert.ok(!line.includes('wrong'), line);
  });
});
