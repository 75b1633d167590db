/**
 * `acsync serve --queue postgres://…` with two `acsync worker` processes running the service's own runner
 * (bin/acsync.js: run `npm run build` first), end to end over the HTTP API against a simulated account: a run
 * asked for through the API is run by a worker (which shares only the database and ACSYNC_MASTER_KEY with serve);
 * a worker killed with kill -9 mid-run: the other takes the run after its lease, the run record says it resumed,
 * and the copy ends equal to the account. The key appears in no output.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getTable } from '../src/catalog/index.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { expectedRows, readDuckDbTable } from './support/oracle.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';
import { waitUntil } from './support/wait.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const KEY = 'queue-e2e-key-7f3a9c2e5b1d4f6a8c0e2b4d6f8a1c3e5b7d9f1a3c5e7b9d';
const MASTER_KEY = 'queue-e2e-master-key-0123456789abcdef';
const TABLES = ['users', 'contacts'];

interface Process {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly exited: Promise<number | string | null>;
  output(): string;
}

function start(args: readonly string[]): Process {
  const env: NodeJS.ProcessEnv = { ...process.env, ACSYNC_MASTER_KEY: MASTER_KEY };
  for (const name of ['ACTIVECAMPAIGN_URL', 'ACTIVECAMPAIGN_KEY', 'ACSYNC_DEST', 'ACSYNC_API_TOKEN']) delete env[name];
  const child = spawn(process.execPath, [join(root, 'bin', 'acsync.js'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string | null>((resolveExit) => child.on('exit', (code, signal) => resolveExit(signal ?? code)));
  return { child, exited, output: () => output };
}

interface RunBody {
  id: string;
  status: string;
  attempt: number;
}

describe('acsync serve --queue with acsync worker processes', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'acsync-queue-e2e-'));
  let postgres: TestPostgres;
  let sim: Simulator;
  let serve: Process;
  const workers: Process[] = [];
  let api = '';

  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };

  before(async () => {
    assert.ok(existsSync(join(root, 'dist', 'cli', 'main.js')), 'run npm run build first: the test starts bin/acsync.js');
    postgres = await startPostgres();
    sim = await startSimulator({ seed: 31, contacts: 8000, rateLimit: 0, latencyMs: 40, jitterMs: 5, key: KEY });
    serve = start(['serve', '--queue', postgres.url, '--port', '0', '--data-dir', join(dir, 'serve')]);
    api = await waitUntil('serve to listen', () => /acsync service on (http:\/\/\S+)/.exec(serve.output())?.[1]
      ?? (serve.child.exitCode !== null ? Promise.reject(new Error(serve.output())) : undefined));
    for (let i = 0; i < 2; i++) {
      workers.push(start(['worker', '--queue', postgres.url, '--data-dir', join(dir, `worker${i}`), '--rate', '1000', '--lease', '3', '--poll', '0.2']));
    }
  });

  after(async () => {
    for (const process of [serve, ...workers]) if (process && process.child.exitCode === null && process.child.signalCode === null) process.child.kill('SIGKILL');
    await Promise.all([serve, ...workers].filter(Boolean).map((process) => process.exited));
    await sim?.close();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a run asked through the API is run by a worker; a worker killed mid-run: the other resumes it to an equal copy', async () => {
    const path = join(dir, 'copy.duckdb');
    const connector = await call<{ id: string }>('POST', '/api/connectors', {
      name: 'queue e2e', url: sim.url, key: KEY, tables: TABLES.map((name) => ({ name })), destination: `duckdb:${path}`, runNow: false,
    });
    const before = sim.stats().requests;
    const queued = await call<RunBody>('POST', `/api/connectors/${connector.id}/runs`, { fullRefresh: true });
    await waitUntil('the run to be under way', async () =>
      (await call<RunBody>('GET', `/api/connectors/${connector.id}/runs/${queued.id}`)).status === 'running' && sim.stats().requests - before >= 15);
    const victim = await waitUntil('the worker running it', () => workers.find((worker) => worker.output().includes(`run ${queued.id} of connector`)));
    victim.child.kill('SIGKILL');
    assert.equal(await victim.exited, 'SIGKILL');

    const finished = await waitUntil('the run to end on the other worker', async () => {
      const run = await call<RunBody>('GET', `/api/connectors/${connector.id}/runs/${queued.id}`);
      return ['success', 'partial', 'failed', 'cancelled'].includes(run.status) && run;
    }, 300);
    assert.equal(finished.status, 'success');
    assert.equal(finished.attempt, 1, 'the run record says it resumed');
    const survivor = workers.find((worker) => worker !== victim)!;
    assert.match(survivor.output(), new RegExp(`run ${queued.id} of connector \\S+ started \\(full_refresh, attempt 2\\)`));
    for (const name of TABLES) {
      const table = getTable(name)!;
      assert.deepEqual(await readDuckDbTable(path, table), expectedRows(table, sim.account), name);
    }

    survivor.child.kill('SIGTERM');
    assert.equal(await survivor.exited, 0, survivor.output());
    for (const process of [serve, ...workers]) assert.ok(!process.output().includes(KEY), 'the key appeared in an output');
  });
});
