/**
 * `acsync serve` as a user starts it: one command, the API on 127.0.0.1, a connector's first run finished by the
 * in-process worker, a clean stop on SIGTERM, and a run stopped by SIGTERM resumed by the next start.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { runCli, startCli, type CliResult } from './support/cli.js';
import { startPostgres } from './support/postgres.js';
import type { ChildProcess } from 'node:child_process';

const dir = mkdtempSync(join(tmpdir(), 'acsync-serve-'));
let sim: Simulator;

before(async () => {
  sim = await startSimulator({ seed: 5, contacts: 100, rateLimit: 0 });
});
after(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `acsync serve` on a free port; resolves once it answers, with its URL. */
async function startServe(dataDir: string, env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess; result: Promise<CliResult> }> {
  const { child, result } = startCli(['serve', '--port', '0', '--data-dir', dataDir, '--rate', '100'], env);
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const found = /acsync service on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (found?.[1]) resolve(found[1]);
    });
    void result.then((ended) => reject(new Error(`serve ended (${String(ended.code)}): ${ended.stderr}`)));
  });
  return { url, child, result };
}

type Run = { status: string; attempt: number; rows: number; progress: { rows: number } | null };

async function getRun(url: string, connectorId: string, runId: string): Promise<Run> {
  return (await (await fetch(`${url}/api/connectors/${connectorId}/runs/${runId}`)).json()) as Run;
}

test('serve refuses to listen beyond loopback without a token, before touching its data folder', async () => {
  const result = await runCli(['serve', '--host', '0.0.0.0', '--data-dir', join(dir, 'refused')], { ACSYNC_API_TOKEN: '' });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /needs a bearer token/);
});

test('serve refuses a --webhook at the metadata address, before touching its data folder', async () => {
  const dataDir = join(dir, 'metadata');
  const result = await runCli(['serve', '--port', '0', '--webhook', 'http://169.254.169.254/latest/meta-data/', '--data-dir', dataDir]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /--webhook: 169\.254\.169\.254, a link-local or unspecified address .*: webhooks may not target it/);
  assert.equal(existsSync(dataDir), false);
});

test('serve and worker refuse a queue that is not a PostgreSQL URL, the password redacted, before touching anything', async () => {
  const dataDir = join(dir, 'not-postgres');
  for (const [args, env] of [
    [['serve', '--port', '0', '--queue', 'mysql://sync:hunter2@db.example/acsync', '--data-dir', dataDir], {}],
    [['serve', '--port', '0', '--data-dir', dataDir], { ACSYNC_QUEUE: 'mysql://sync:hunter2@db.example/acsync' }],
    [['worker', '--queue', 'mysql://sync:hunter2@db.example/acsync'], {}],
  ] as const) {
    const result = await runCli([...args], env);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--queue must be a PostgreSQL URL \(postgres:\/\/user:password@host:port\/database\); got mysql:\/\//);
    assert.doesNotMatch(result.stderr, /hunter2/);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  }
  assert.equal(existsSync(dataDir), false);
});

test('serve started with only ACSYNC_QUEUE in its environment keeps its connectors in that PostgreSQL', { timeout: 120_000 }, async () => {
  const postgres = await startPostgres();
  const serve = await startServe(join(dir, 'env-queue'), { ACSYNC_QUEUE: postgres.url });
  try {
    const created = await fetch(`${serve.url}/api/connectors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'env queue', url: sim.url, key: sim.key, tables: [{ name: 'users' }], runNow: false }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { id } = (await created.json()) as { id: string };
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const found = await client.query<{ name: string }>('SELECT name FROM acsync_connectors WHERE id = $1', [id]);
      assert.deepEqual(found.rows, [{ name: 'env queue' }]);
    } finally {
      await client.end();
    }
    serve.child.kill('SIGTERM');
    assert.equal((await serve.result).code, 0);
  } finally {
    serve.child.kill('SIGKILL');
    await postgres.stop();
  }
});

test('serve answers on 127.0.0.1, runs a new connector at once, and stops cleanly on SIGTERM', { timeout: 240_000 }, async () => {
  const { url, child, result } = await startServe(join(dir, 'service'));
  try {
    const health = (await (await fetch(`${url}/api/health`)).json()) as { ok: boolean };
    assert.equal(health.ok, true);
    const created = await fetch(`${url}/api/connectors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'cli', url: sim.url, key: sim.key, tables: [{ name: 'contacts' }, { name: 'users' }] }),
    });
    assert.equal(created.status, 201);
    const connector = (await created.json()) as { id: string; lastRun: { id: string } };
    const events = await (await fetch(`${url}/api/connectors/${connector.id}/runs/${connector.lastRun.id}/events`)).text();
    const end = JSON.parse(/event: end\ndata: (.*)$/m.exec(events)?.[1] ?? 'null') as { status: string; rows: number } | null;
    assert.equal(end?.status, 'success', events.slice(-500));
    assert.equal(end.rows, sim.account.count('contacts') + sim.account.count('users'));
    child.kill('SIGTERM');
    const ended = await result;
    assert.equal(ended.code, 0, ended.stderr);
    assert.ok(!ended.stderr.includes(sim.key) && !ended.stdout.includes(sim.key) && !events.includes(sim.key), 'the key is never printed');
  } finally {
    child.kill('SIGKILL');
  }
});

test('a run stopped by SIGTERM is recorded as interrupted and resumed by the next start', { timeout: 300_000 }, async () => {
  const dataDir = join(dir, 'resumed');
  // Two requests a second: the run is still going when the service is stopped.
  sim.setBehaviour({ rateLimit: 2 });
  let serve = await startServe(dataDir);
  try {
    const created = await fetch(`${serve.url}/api/connectors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'resumed', url: sim.url, key: sim.key }),
    });
    const connector = (await created.json()) as { id: string; lastRun: { id: string } };
    const runId = connector.lastRun.id;
    for (;;) {
      const run = await getRun(serve.url, connector.id, runId);
      if (run.status === 'running' && (run.progress?.rows ?? 0) > 0) break;
      assert.ok(['queued', 'running'].includes(run.status), run.status);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    serve.child.kill('SIGTERM');
    assert.equal((await serve.result).code, 0);

    sim.setBehaviour({ rateLimit: 0 });
    serve = await startServe(dataDir);
    const interrupted = await getRun(serve.url, connector.id, runId);
    assert.ok(['interrupted', 'running', 'success'].includes(interrupted.status), interrupted.status);
    const events = await (await fetch(`${serve.url}/api/connectors/${connector.id}/runs/${runId}/events`)).text();
    const end = JSON.parse(/event: end\ndata: (.*)$/m.exec(events)?.[1] ?? 'null') as Run | null;
    assert.equal(end?.status, 'success', events.slice(-500));
    assert.equal(end.attempt, 1, 'the same run, taken again');
    const logs = (await (await fetch(`${serve.url}/api/connectors/${connector.id}/runs/${runId}/logs`)).json()) as { message: string }[];
    assert.ok(logs.some((l) => l.message.startsWith('stopped: every committed batch is kept')), 'the stop is in the run log');
    assert.ok(logs.some((l) => l.message.startsWith('resuming (attempt 2)')), 'the resumption is in the run log');
    serve.child.kill('SIGTERM');
    assert.equal((await serve.result).code, 0);
  } finally {
    sim.setBehaviour({ rateLimit: 0 });
    serve.child.kill('SIGKILL');
  }
});
