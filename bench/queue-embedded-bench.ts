/**
 * pg-boss on the embedded PGlite (the default `acsync serve`): how long the service database takes to open (a
 * new data folder, then the same one again), how fast jobs queue and go through a worker whose handler does
 * nothing (so the figure is the queue's own cost), and the process's RSS.
 *
 *   node --import tsx bench/queue-embedded-bench.ts [jobs, default 200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openService } from '../src/service/queue/index.js';

const jobs = Number(process.argv[2] ?? 200);
const dir = mkdtempSync(join(tmpdir(), 'acsync-queue-embedded-bench-'));
const timing = { pollSeconds: 0.05, busyRetrySeconds: 0.1 };
try {
  let started = performance.now();
  let service = await openService({ dataDir: dir, scheduler: false, timing });
  console.log(`open, new data folder: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await service.close();
  started = performance.now();
  service = await openService({ dataDir: dir, scheduler: false, timing });
  console.log(`open, existing data folder: ${((performance.now() - started) / 1000).toFixed(1)} s`);

  started = performance.now();
  // One connector per job (a connector has at most one queued), on 10 accounts.
  for (let i = 0; i < jobs; i++) await service.jobs.enqueue(`c${i}`, `account${i % 10}`, 'manual');
  console.log(`enqueue: ${(jobs / ((performance.now() - started) / 1000)).toFixed(0)} jobs/s`);

  let done = 0;
  let allDone!: () => void;
  const finished = new Promise<void>((resolveDone) => (allDone = resolveDone));
  started = performance.now();
  const working = service.jobs.work(async () => {
    done += 1;
    if (done === jobs) allDone();
  }, { concurrency: 4 });
  await finished;
  await service.jobs.stop();
  await working;
  console.log(`taken, run and completed (no-op handler, 4 at once): ${(jobs / ((performance.now() - started) / 1000)).toFixed(0)} jobs/s`);
  console.log(`RSS: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`);
  await service.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
