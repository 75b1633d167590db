/**
 * The shared job queue on a real PostgreSQL, with real `bin/acsync.js worker` processes (run `npm run build`
 * first) whose handler (test/support/queue-worker-handler.ts) syncs simulated accounts into DuckDB files and
 * records every start and end in the database. Three "serve" processes' schedulers tick at once in this process.
 *
 * - 10 connectors on 4 accounts (4 simulators, one port each) on short schedules, 3 workers running 2 jobs each:
 *   every due time queues one job, every job runs once, and no account is ever synced by two runs at once;
 * - kill -9 of the worker running a sync: another worker takes the job after its lease, resumes, and the copy
 *   ends equal to the account;
 * - SIGTERM: the worker stops after its batch and exits 0, the job goes back at once (that worker's lease is 10
 *   minutes, so only a hand-back lets another worker take it within the test's ceilings) and resumes elsewhere;
 * - cancel from another process stops the run on its worker.
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
import type { ServiceDb } from '../src/service/jobs.js';
import { openService, type Service } from '../src/service/queue/index.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';
import { expectedRows, readDuckDbTable } from './support/oracle.js';
import { accountOf, QUEUE_TEST_DDL } from './support/queue-worker-handler.js';
import { waitUntil } from './support/wait.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'acsync.js');
const handlerModule = join(root, 'test', 'support', 'queue-worker-handler.ts');

const TIMING = { leaseSeconds: 3, pollSeconds: 0.2, busyRetrySeconds: 0.5, scheduleTickSeconds: 0.3 };
const SMALL_TABLES = 'users,lists,pipelines,contacts';
const SLOW_TABLES = 'contacts,contacts_custom_fields_data';

interface Worker {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly exited: Promise<number | string | null>;
  output(): string;
}

function startWorker(url: string, leaseSeconds: number): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', bin, 'worker', '--queue', url, '--handler', handlerModule,
    '--concurrency', '2', '--lease', String(leaseSeconds), '--poll', '0.2', '--log-format', 'json'], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string | null>((resolveExit) => child.on('exit', (code, signal) => resolveExit(signal ?? code)));
  return { child, exited, output: () => output };
}

/** Polls `check` until it returns a value; the ceiling only keeps a broken queue from hanging the test. */

interface RunRow {
  job_id: string;
  connector_id: string;
  account: string;
  pid: number;
  attempt: number;
  started_at: Date;
  ended_at: Date | null;
  outcome: string | null;
}

async function runsOf(db: ServiceDb, where = 'true', params: unknown[] = []): Promise<RunRow[]> {
  return (await db.query<RunRow>(`SELECT * FROM queue_test_runs WHERE ${where} ORDER BY started_at`, params)).rows;
}

async function assertCopyEqualsAccount(path: string, sim: Simulator, tables: string): Promise<void> {
  for (const name of tables.split(',')) {
    const table = getTable(name)!;
    const copied = await readDuckDbTable(path, table);
    assert.deepEqual(copied, expectedRows(table, sim.account), `${name} of ${path}`);
  }
}

describe('job queue on PostgreSQL with worker processes', { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'acsync-queue-pg-'));
  let postgres: TestPostgres;
  const sims: Simulator[] = [];
  let slowSim: Simulator;
  /** Three service processes' worth of schedulers (the `serve` side), each with its own pool. */
  const services: Service[] = [];
  let db: ServiceDb;
  const workers: Worker[] = [];

  before(async () => {
    assert.ok(existsSync(join(root, 'dist', 'cli', 'main.js')), 'run npm run build first: the workers are bin/acsync.js processes');
    postgres = await startPostgres();
    for (let account = 0; account < 4; account++) sims.push(await startSimulator({ seed: 11 + account, contacts: 150, rateLimit: 0, latencyMs: 2 }));
    // Slow enough that a kill or a SIGTERM lands in the middle of a run.
    slowSim = await startSimulator({ seed: 21, contacts: 8000, rateLimit: 0, latencyMs: 40, jitterMs: 5 });
    for (let i = 0; i < 3; i++) services.push(await openService({ queue: postgres.url, dataDir: dir, timing: TIMING }));
    db = services[0]!.db;
    await db.query(QUEUE_TEST_DDL);
  });

  after(async () => {
    for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
    for (const service of services) await service.close();
    for (const sim of [...sims, slowSim]) await sim?.close();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function addConnector(id: string, sim: Simulator, tables: string, batchRows: number | null = null): Promise<string> {
    const path = join(dir, `${id}.duckdb`);
    await db.query(`INSERT INTO queue_test_connectors VALUES ($1, $2, $3, $4, $5, $6)`, [id, sim.url, sim.key, path, tables, batchRows]);
    return path;
  }

  test('schedules fire once per due time, every job runs once, an account never has two runs at once', async () => {
    for (let i = 0; i < 3; i++) workers.push(startWorker(postgres.url, TIMING.leaseSeconds));
    const connectors: { id: string; sim: Simulator; path: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const sim = sims[i % 4]!;
      const id = `c${i}`;
      connectors.push({ id, sim, path: await addConnector(id, sim, SMALL_TABLES) });
    }
    // Every 3 seconds: due times come faster than one account's runs, so the scheduler meets busy connectors too.
    for (const [i, { id, sim }] of connectors.entries()) await services[i % 3]!.jobs.setSchedule(id, accountOf(sim.url), { everyMinutes: 0.05 });

    await waitUntil('three finished runs of every connector', async () => {
      const { rows } = await db.query<{ connector_id: string; n: string }>(
        `SELECT connector_id, count(*) AS n FROM queue_test_runs WHERE outcome = 'success' GROUP BY connector_id`,
      );
      return rows.length === connectors.length && rows.every((row) => Number(row.n) >= 3);
    }, 600, async () => (await db.query(`SELECT connector_id, outcome, count(*) FROM queue_test_runs GROUP BY 1, 2`)).rows);
    for (const { id } of connectors) await services[0]!.jobs.setSchedule(id, '', null);
    await waitUntil('the last runs to end', async () => {
      const { rows } = await db.query(`SELECT 1 FROM acsync_pgboss.job WHERE state < 'completed'`);
      return rows.length === 0;
    });

    // One job per connector and due time.
    const jobs = (await db.query<{ id: string; connector: string; due: string; state: string }>(
      `SELECT id, singleton_key AS connector, data->>'due' AS due, state FROM acsync_pgboss.job`,
    )).rows;
    const dueKeys = jobs.map((job) => `${job.connector} ${job.due}`);
    assert.equal(new Set(dueKeys).size, dueKeys.length, 'a due time queued two jobs');
    assert.ok(jobs.every((job) => job.due !== null), 'only schedules queued jobs');
    assert.deepEqual(jobs.filter((job) => job.state !== 'completed'), [], 'every job completed');

    // Each job ran exactly once, to success.
    const runs = await runsOf(db);
    const runsPerJob = new Map<string, RunRow[]>();
    for (const run of runs) runsPerJob.set(run.job_id, [...(runsPerJob.get(run.job_id) ?? []), run]);
    assert.equal(runsPerJob.size, jobs.length, 'every job ran');
    for (const [job, ofJob] of runsPerJob) {
      assert.equal(ofJob.length, 1, `job ${job} ran ${ofJob.length} times`);
      assert.equal(ofJob[0]!.outcome, 'success');
    }

    // No two runs of one account overlap; the connectors sharing an account did take turns.
    const byAccount = new Map<string, RunRow[]>();
    for (const run of runs) byAccount.set(run.account, [...(byAccount.get(run.account) ?? []), run]);
    assert.equal(byAccount.size, 4);
    for (const [account, ofAccount] of byAccount) {
      for (let i = 1; i < ofAccount.length; i++) {
        const previous = ofAccount[i - 1]!;
        const run = ofAccount[i]!;
        assert.ok(run.started_at >= previous.ended_at!, `account ${account}: run of ${run.connector_id} started while ${previous.connector_id}'s ran`);
      }
    }
    // Work was shared: more than one worker ran jobs.
    assert.ok(new Set(runs.map((run) => run.pid)).size > 1, 'one worker ran everything');
    for (const { path, sim } of connectors) await assertCopyEqualsAccount(path, sim, SMALL_TABLES);
  });

  test('a worker killed with kill -9 mid-run: another takes the job after its lease and the copy ends equal', async () => {
    const path = await addConnector('killed', slowSim, SLOW_TABLES, 300);
    const jobId = await services[1]!.jobs.enqueue('killed', accountOf(slowSim.url), 'manual');
    const before = slowSim.stats().requests;
    const first = await waitUntil('the run to start', async () => (await runsOf(db, 'job_id = $1', [jobId]))[0]);
    // A few batches committed (of some 80 + 160 pages of 100 rows at 40 ms each).
    await waitUntil('the run to be under way', async () => slowSim.stats().requests - before >= 12);
    const victim = workers.find((worker) => worker.child.pid === first.pid);
    assert.ok(victim, 'the run is on one of our workers');
    victim.child.kill('SIGKILL');
    assert.equal(await victim.exited, 'SIGKILL');
    const { rows: [killedAt] } = await db.query<{ now: Date }>('SELECT clock_timestamp() AS now');

    const resumed = await waitUntil('the job to finish elsewhere', async () =>
      (await runsOf(db, `job_id = $1 AND outcome = 'success'`, [jobId]))[0], 300);
    assert.notEqual(resumed.pid, first.pid);
    assert.equal(resumed.attempt, 1, 'the second start knows it resumes');
    assert.ok(resumed.started_at > killedAt!.now, 'taken again only once the killed worker was gone');
    const runs = await runsOf(db, 'job_id = $1', [jobId]);
    assert.deepEqual(runs.map((run) => run.outcome), [null, 'success'], 'killed once, then finished once');
    await assertCopyEqualsAccount(path, slowSim, SLOW_TABLES);
  });

  test('SIGTERM: the worker ends its batch, exits 0 and hands the job back at once; cancel reaches another process', async () => {
    // The remaining workers stop: idle, they exit cleanly on SIGTERM.
    const remaining = workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null);
    for (const worker of remaining) worker.child.kill('SIGTERM');
    for (const worker of remaining) assert.equal(await worker.exited, 0, worker.output());

    // A worker with a ten-minute lease: without a hand-back its job would wait that long.
    const patient = startWorker(postgres.url, 600);
    workers.push(patient);
    const path = await addConnector('stopped', slowSim, SLOW_TABLES, 300);
    const jobId = await services[2]!.jobs.enqueue('stopped', accountOf(slowSim.url), 'full_refresh');
    const before = slowSim.stats().requests;
    await waitUntil('the run to start', async () => (await runsOf(db, 'job_id = $1', [jobId]))[0]);
    await waitUntil('the run to be under way', async () => slowSim.stats().requests - before >= 12);
    patient.child.kill('SIGTERM');
    assert.equal(await patient.exited, 0, patient.output());
    const [stopped] = await runsOf(db, 'job_id = $1', [jobId]);
    assert.equal(stopped!.outcome, 'interrupted', 'the handler saw its signal abort');
    const { rows: [job] } = await db.query<{ state: string; due: boolean }>(
      `SELECT state, start_after <= now() AS due FROM acsync_pgboss.job WHERE id = $1`, [jobId]);
    assert.deepEqual(job, { state: 'retry', due: true }, 'handed back, to be taken now');

    const successor = startWorker(postgres.url, TIMING.leaseSeconds);
    workers.push(successor);
    const resumed = await waitUntil('the job to finish on the next worker', async () =>
      (await runsOf(db, `job_id = $1 AND outcome = 'success'`, [jobId]))[0], 300);
    assert.equal(resumed.attempt, 1);
    await assertCopyEqualsAccount(path, slowSim, SLOW_TABLES);

    // Cancelled from this process while it runs on the worker: its signal fires at the next heartbeat.
    await addConnector('cancelled', slowSim, SLOW_TABLES, 300);
    const cancelledId = await services[0]!.jobs.enqueue('cancelled', accountOf(slowSim.url), 'full_refresh');
    await waitUntil('the run to start', async () => (await runsOf(db, 'job_id = $1', [cancelledId]))[0]);
    assert.equal(await services[0]!.jobs.cancel(cancelledId), true);
    const ended = await waitUntil('the cancelled run to stop', async () =>
      (await runsOf(db, 'job_id = $1 AND ended_at IS NOT NULL', [cancelledId]))[0]);
    assert.equal(ended.outcome, 'interrupted');
    assert.equal(await services[0]!.jobs.cancel(cancelledId), false, 'an ended job cannot be cancelled again');
    successor.child.kill('SIGTERM');
    assert.equal(await successor.exited, 0, successor.output());
    assert.equal((await runsOf(db, 'job_id = $1', [cancelledId])).length, 1, 'a cancelled job is not run again');
  });
});
