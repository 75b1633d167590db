/**
 * Waits nobody sees, and waits nobody should sit through: another integration of the account uses up its rate
 * limit while a sync runs (the API answers Retry-After). A wait longer than a few seconds is logged with its
 * reason and end; one beyond --max-wait stops the run cleanly (exit 3, saying when to retry), and the next run
 * resumes to a copy equal to the account.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TABLES } from '../src/catalog/index.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { runCli, startCli } from './support/cli.js';
import { expectedRows, readDuckDbTable } from './support/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'acsync-waits-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Another integration of the same account: requests as fast as answers come, for `ms`. */
async function otherIntegration(sim: Simulator, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await fetch(`${sim.url}/api/3/users/me`, { headers: { 'Api-Token': sim.key } }).then((r) => r.text()).catch(() => '');
  }
}

test('a throttle wait is logged with its reason and end, then the sync goes on', async () => {
  const sim = await startSimulator({ seed: 3, contacts: 600, rateLimit: 5, limiter: 'window', retryAfterSeconds: 3 });
  try {
    const { child, result } = startCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${join(dir, 'wait.duckdb')}`]);
    await new Promise((resolve) => child.stderr?.once('data', resolve));
    await otherIntegration(sim, 1500);
    const { code, stderr } = await result;
    assert.equal(code, 0, stderr);
    assert.match(stderr, /^waiting \d+ s until \d\d:\d\d:\d\d UTC: .*slow down/m);
  } finally {
    await sim.close();
  }
});

test('a wait beyond --max-wait stops the run (exit 3, when to retry); the next run resumes to an equal copy', async () => {
  const sim = await startSimulator({ seed: 4, contacts: 2000, rateLimit: 5, limiter: 'window', retryAfterSeconds: 3600 });
  const file = join(dir, 'stop.duckdb');
  try {
    const { child, result } = startCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${file}`, '--max-wait', '5']);
    await new Promise((resolve) => child.stderr?.once('data', resolve));
    await sleep(1000);
    await otherIntegration(sim, 1500);
    const stopped = await result;
    assert.equal(stopped.code, 3, stopped.stderr);
    assert.match(stopped.stderr, /asked to wait until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, longer than --max-wait: every committed batch is kept; run the sync again after that time/);

    // An hour later the account's limit has room again.
    sim.setBehaviour({ rateLimit: 0 });
    const resumed = await runCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${file}`, '--rate', '1000']);
    assert.equal(resumed.code, 0, resumed.stderr);
    for (const table of TABLES) assert.deepEqual(await readDuckDbTable(file, table), expectedRows(table, sim.account), table.name);
  } finally {
    await sim.close();
  }
});

test('a reader holding the DuckDB file (a BI tool) makes the sync wait, visibly, then go on', async () => {
  const sim = await startSimulator({ seed: 5, contacts: 50, rateLimit: 0 });
  const file = join(dir, 'held.duckdb');
  try {
    const first = await runCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${file}`, '--rate', '1000', '--tables', 'users']);
    assert.equal(first.code, 0, first.stderr);
    // Another process opens the file and keeps it until the sync says it is waiting.
    const holder = spawn(process.execPath, ['-e', `
      const { DuckDBInstance } = require('@duckdb/node-api');
      DuckDBInstance.create(${JSON.stringify(file)}).then(() => { process.stdout.write('open\\n'); setInterval(() => {}, 1000); });
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    const sync = startCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${file}`, '--rate', '1000', '--tables', 'users']);
    let said = '';
    await new Promise<void>((resolve) => {
      sync.child.stderr?.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        if (/waiting up to/.test(said)) resolve();
      });
      sync.child.on('close', () => resolve());
    });
    holder.kill();
    const second = await sync.result;
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /held\.duckdb is open in another process \(PID \d+\): waiting up to 60 s for it to let go/);
  } finally {
    await sim.close();
  }
});
