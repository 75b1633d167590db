/**
 * The shared job queue under load: 50 connectors on 10 simulated accounts (5 each), one run each queued at once,
 * worked by 1, 2 and 4 `bin/acsync.js worker` processes (run `npm run build` first) on a throwaway PostgreSQL.
 * Each run syncs four tables of its account into a DuckDB file of its own (test/support/queue-worker-handler.ts).
 *
 *   node --import tsx bench/queue-bench.ts [concurrency per worker, default 2] [workers, default 1,2,4]
 *
 * Prints per worker count: runs per hour (50 runs over the first start to the last end); per-account wall ÷
 * floor (from an account's first start to its last end, over the sum of its runs' durations: runs of one account
 * never overlap, so 1.00 means its runs followed each other without a gap); the largest RSS of each worker.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { openService } from '../src/service/queue/index.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { startPostgres } from '../test/support/postgres.js';
import { accountOf, QUEUE_TEST_DDL } from '../test/support/queue-worker-handler.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const concurrency = Number(process.argv[2] ?? 2);
const workerCounts = (process.argv[3] ?? '1,2,4').split(',').map(Number);
const ACCOUNTS = 10;
const CONNECTORS_PER_ACCOUNT = 5;
const TABLES = 'users,lists,pipelines,contacts';

function rssMegabytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const sims: Simulator[] = [];
for (let i = 0; i < ACCOUNTS; i++) sims.push(await startSimulator({ seed: 40 + i, contacts: 300, rateLimit: 0, latencyMs: 20 }));
console.log(`${ACCOUNTS * CONNECTORS_PER_ACCOUNT} connectors on ${ACCOUNTS} accounts, ${concurrency} runs at once per worker, tables ${TABLES}`);
console.log('workers  runs/hour  wall/floor (mean, max)  RSS per worker MB (max)');

for (const workerCount of workerCounts) {
  const dir = mkdtempSync(join(tmpdir(), 'acsync-queue-bench-'));
  const postgres = await startPostgres();
  const service = await openService({ queue: postgres.url, dataDir: dir, scheduler: false });
  try {
    await service.db.query(QUEUE_TEST_DDL);
    for (let a = 0; a < ACCOUNTS; a++) {
      for (let c = 0; c < CONNECTORS_PER_ACCOUNT; c++) {
        const id = `a${a}c${c}`;
        await service.db.query(`INSERT INTO queue_test_connectors VALUES ($1, $2, $3, $4, $5, NULL)`, [id, sims[a]!.url, sims[a]!.key, join(dir, `${id}.duckdb`), TABLES]);
        await service.jobs.enqueue(id, accountOf(sims[a]!.url), 'manual');
      }
    }
    const workers = Array.from({ length: workerCount }, () => spawn(process.execPath, [
      '--import', 'tsx', join(root, 'bin', 'acsync.js'), 'worker', '--queue', postgres.url, '--concurrency', String(concurrency),
      '--handler', join(root, 'test', 'support', 'queue-worker-handler.ts'), '--poll', '0.5', '--lease', '30',
    ], { cwd: root, stdio: 'ignore' }));
    const peakRss = new Map<number, number>();
    for (;;) {
      for (const worker of workers) peakRss.set(worker.pid!, Math.max(peakRss.get(worker.pid!) ?? 0, rssMegabytes(worker.pid!)));
      const { rows } = await service.db.query<{ n: string }>(`SELECT count(*) AS n FROM acsync_pgboss.job WHERE state < 'completed'`);
      if (Number(rows[0]!.n) === 0) break;
      await sleep(500);
    }
    const exits = workers.map((worker) => new Promise((resolveExit) => worker.on('exit', resolveExit)));
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(exits);

    const { rows: runs } = await service.db.query<{ account: string; started_at: Date; ended_at: Date; outcome: string }>(
      `SELECT account, started_at, ended_at, outcome FROM queue_test_runs`);
    const failed = runs.filter((run) => run.outcome !== 'success').length;
    const first = Math.min(...runs.map((run) => run.started_at.getTime()));
    const last = Math.max(...runs.map((run) => run.ended_at.getTime()));
    const ratios: number[] = [];
    for (const account of new Set(runs.map((run) => run.account))) {
      const ofAccount = runs.filter((run) => run.account === account);
      const wall = Math.max(...ofAccount.map((run) => run.ended_at.getTime())) - Math.min(...ofAccount.map((run) => run.started_at.getTime()));
      const floor = ofAccount.reduce((sum, run) => sum + run.ended_at.getTime() - run.started_at.getTime(), 0);
      ratios.push(wall / floor);
    }
    const perHour = (runs.length / ((last - first) / 1000)) * 3600;
    const mean = ratios.reduce((sum, ratio) => sum + ratio, 0) / ratios.length;
    console.log(`${String(workerCount).padStart(7)}  ${perHour.toFixed(0).padStart(9)}  ${mean.toFixed(2)}, ${Math.max(...ratios).toFixed(2)}`.padEnd(43)
      + `  ${[...peakRss.values()].map((mb) => mb.toFixed(0)).join(', ')}${failed ? `  (${failed} runs failed)` : ''}`);
  } finally {
    await service.close();
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
for (const sim of sims) await sim.close();
