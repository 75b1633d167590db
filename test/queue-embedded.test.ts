/**
 * The embedded job queue (`acsync serve` alone: pg-boss on PGlite in the data folder, one process): the same job
 * model as on a PostgreSQL server. Runs sync simulated accounts into DuckDB files with the engine's `runSync`.
 *
 * - one process at a time opens a data folder (PGlite would let two corrupt it);
 * - runs of one account never overlap, whatever connector they belong to; a busy account's job waits, then runs;
 * - a connector with a run queued gets no second one;
 * - a schedule queues a run per due time;
 * - cancel stops a running sync;
 * - stop() aborts the running sync and hands its job back; after a restart on the same folder it resumes (attempt
 *   1) and the copy ends equal to the account.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getTable, type TableDef } from '../src/catalog/index.js';
import { DuckDbDestination } from '../src/destinations/duckdb.js';
import { runSync } from '../src/engine/run.js';
import type { RunJob, RunJobHandler } from '../src/service/jobs.js';
import { openService, type Service } from '../src/service/queue/index.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { expectedRows, readDuckDbTable } from './support/oracle.js';
import { waitUntil } from './support/wait.js';

const TIMING = { leaseSeconds: 3, pollSeconds: 0.2, busyRetrySeconds: 0.3, scheduleTickSeconds: 0.3 };
const TABLES = 'contacts,contacts_custom_fields_data';

function tables(): TableDef[] {
  return TABLES.split(',').map((name) => getTable(name)!);
}

interface Run {
  readonly job: RunJob;
  readonly account: string;
  readonly start: number;
  end?: number;
  status?: string;
}

describe('embedded job queue (PGlite in the data folder)', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'acsync-queue-embedded-'));
  const dataDir = join(dir, 'service');
  let simA: Simulator;
  let simB: Simulator;
  let service: Service;
  const connectors = new Map<string, { sim: Simulator; path: string }>();
  const runs: Run[] = [];
  let working: Promise<void>;

  /** Syncs the connector's simulator into its DuckDB file; records each run's account, start and end. */
  const handler: RunJobHandler = async (job, signal) => {
    const connector = connectors.get(job.connectorId)!;
    const run: Run = { job, account: new URL(connector.sim.url).host, start: performance.now() };
    runs.push(run);
    try {
      const outcome = await runSync({
        account: { baseUrl: connector.sim.url, key: connector.sim.key, requestsPerSecond: 1000 },
        destination: new DuckDbDestination({ path: connector.path }),
        tables: tables(),
        timeZone: null,
        batchRows: 300,
        signal,
      });
      run.status = outcome.run.status;
    } finally {
      run.end = performance.now();
    }
  };

  function connector(id: string, sim: Simulator): { id: string; account: string; path: string } {
    const path = join(dir, `${id}.duckdb`);
    connectors.set(id, { sim, path });
    return { id, account: new URL(sim.url).host, path };
  }

  before(async () => {
    simA = await startSimulator({ seed: 3, contacts: 400, rateLimit: 0, latencyMs: 5 });
    simB = await startSimulator({ seed: 4, contacts: 400, rateLimit: 0, latencyMs: 5 });
    service = await openService({ dataDir, timing: TIMING });
    working = service.jobs.work(handler, { concurrency: 3 });
  });

  after(async () => {
    await service?.close();
    await simA?.close();
    await simB?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function jobState(id: string): Promise<string | undefined> {
    const { rows } = await service.db.query<{ state: string }>(`SELECT state FROM acsync_pgboss.job WHERE id = $1`, [id]);
    return rows[0]?.state;
  }

  test('a second open of the same folder is refused while the first holds it; a dead owner\'s lock is taken over', async () => {
    await assert.rejects(openService({ dataDir, timing: TIMING }), /in use by process \d+/);
    const other = join(dir, 'other');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    mkdirSync(other);
    writeFileSync(`${join(other, 'db')}.lock`, dead);
    const reopened = await openService({ dataDir: other, timing: TIMING, scheduler: false });
    await reopened.close();
  });

  test('runs of one account take turns; a queued connector gets no second job', async () => {
    const a1 = connector('a1', simA);
    const a2 = connector('a2', simA);
    const b1 = connector('b1', simB);
    const ids: string[] = [];
    for (const c of [a1, a2, b1]) ids.push(await service.jobs.enqueue(c.id, c.account, 'manual'));
    assert.equal(await service.jobs.enqueue(a2.id, a2.account, 'manual'), ids[1], 'the queued job, not a second one');
    await waitUntil('the three jobs to complete', async () => {
      for (const id of ids) if ((await jobState(id)) !== 'completed') return false;
      return true;
    });
    const ofA = runs.filter((run) => run.account === a1.account).sort((x, y) => x.start - y.start);
    assert.deepEqual(ofA.map((run) => run.job.connectorId).sort(), ['a1', 'a2']);
    assert.ok(ofA[1]!.start >= ofA[0]!.end!, 'two runs of one account overlapped');
    assert.deepEqual(runs.map((run) => run.status), ['success', 'success', 'success']);
    for (const c of [a1, a2, b1]) {
      for (const table of tables()) assert.deepEqual(await readDuckDbTable(c.path, table), expectedRows(table, connectors.get(c.id)!.sim.account));
    }
  });

  test('a schedule queues one run per due time', async () => {
    const s = connector('scheduled', simB);
    await service.jobs.setSchedule(s.id, s.account, { everyMinutes: 0.02 });
    await waitUntil('two scheduled runs', () => runs.filter((run) => run.job.connectorId === s.id && run.status === 'success').length >= 2);
    await service.jobs.setSchedule(s.id, s.account, null);
    const { rows } = await service.db.query<{ due: string; kind: string }>(
      `SELECT data->>'due' AS due, data->>'kind' AS kind FROM acsync_pgboss.job WHERE singleton_key = $1`, [s.id]);
    assert.ok(rows.length >= 2);
    assert.ok(rows.every((row) => row.kind === 'scheduled' && row.due !== null));
    assert.equal(new Set(rows.map((row) => row.due)).size, rows.length, 'a due time queued two runs');
    await assert.rejects(service.jobs.setSchedule(s.id, s.account, { cron: 'every day' }), /five fields/);
  });

  test('cancel stops a running sync', async () => {
    const slow = await startSimulator({ seed: 5, contacts: 6000, rateLimit: 0, latencyMs: 30 });
    try {
      const c = connector('cancelled', slow);
      const id = await service.jobs.enqueue(c.id, c.account, 'manual');
      await waitUntil('the run to start', () => runs.some((run) => run.job.id === id) && slow.stats().requests > 5);
      assert.equal(await service.jobs.cancel(id), true);
      const run = await waitUntil('the run to stop', () => runs.find((r) => r.job.id === id && r.end !== undefined));
      assert.equal(run.status, 'interrupted');
      assert.equal(await jobState(id), 'cancelled');
      assert.equal(await service.jobs.cancel(id), false);
    } finally {
      await slow.close();
    }
  });

  test('stop() hands the running job back; after a restart on the same folder it resumes and the copy ends equal', async () => {
    const slow = await startSimulator({ seed: 6, contacts: 6000, rateLimit: 0, latencyMs: 30 });
    try {
      const c = connector('resumed', slow);
      const id = await service.jobs.enqueue(c.id, c.account, 'full_refresh');
      await waitUntil('the run to be under way', () => runs.some((run) => run.job.id === id) && slow.stats().requests > 10);
      await service.jobs.stop();
      await working;
      const stopped = runs.find((run) => run.job.id === id)!;
      assert.equal(stopped.status, 'interrupted');
      assert.equal(await jobState(id), 'retry');
      await service.close();

      service = await openService({ dataDir, timing: TIMING });
      working = service.jobs.work(handler, { concurrency: 3 });
      const resumed = await waitUntil('the job to finish after the restart', () =>
        runs.find((run) => run.job.id === id && run.status === 'success'));
      assert.equal(resumed.job.attempt, 1);
      assert.equal(resumed.job.kind, 'full_refresh');
      for (const table of tables()) assert.deepEqual(await readDuckDbTable(c.path, table), expectedRows(table, slow.account));
    } finally {
      await slow.close();
    }
  });
});
