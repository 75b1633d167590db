/**
 * Typing and DuckDB load throughput: ~200k contact-like API records are typed (engine/typing.ts), then
 * loaded through `commit` in batches of 1000 — once as a full pass (staging copy, then the swap) and
 * once as an incremental pass over the same keys (every row an upsert of an existing one). Each pass also
 * prints the CPU it used (this process, every thread: DuckDB works on its own), per row and per batch: two
 * runs with different batch sizes give what a batch costs beyond its rows.
 *
 *   node --import tsx bench/duckdb-load-bench.ts [rows] [batch]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbDestination } from '../src/destinations/duckdb.js';
import { contacts, loadPass, typedContacts } from './support/contact-rows.js';

const rowCount = Number(process.argv[2] ?? 200_000);
const batchRows = Number(process.argv[3] ?? 1000);

const { rows, typingSeconds } = typedContacts(rowCount);

const dir = mkdtempSync(join(tmpdir(), 'acsync-bench-'));
const destination = new DuckDbDestination({ path: join(dir, 'bench.duckdb') });

/** CPU seconds (user + system) of each pass. */
const cpuSeconds: Record<string, number> = {};

async function pass(mode: 'full' | 'incremental'): Promise<number> {
  const cpu = process.cpuUsage();
  const seconds = await loadPass(destination, mode, rows, batchRows);
  const used = process.cpuUsage(cpu);
  cpuSeconds[mode] = (used.user + used.system) / 1e6;
  return seconds.commit + seconds.finish;
}

try {
  await destination.open();
  const fullSeconds = await pass('full');
  const upsertSeconds = await pass('incremental');
  const values = rowCount * contacts.columns.length;
  const perSecond = (n: number, s: number) => Math.round(n / s).toLocaleString('en-US');
  console.log(`typing:               ${perSecond(values, typingSeconds)} values/s (${perSecond(rowCount, typingSeconds)} rows/s)`);
  console.log(`full pass:            ${perSecond(rowCount, fullSeconds)} rows/s (${rowCount} rows, batches of ${batchRows}, ${fullSeconds.toFixed(2)} s incl. swap)`);
  console.log(`incremental upserts:  ${perSecond(rowCount, upsertSeconds)} rows/s (every row replaces an existing key)`);
  const batches = Math.ceil(rowCount / batchRows);
  for (const [mode, seconds] of Object.entries(cpuSeconds)) {
    const perRow = (seconds * 1e6 / rowCount).toFixed(1);
    const perBatch = (seconds * 1e3 / batches).toFixed(1);
    console.log(`CPU, ${`${mode} pass:`.padEnd(17)} ${seconds.toFixed(2)} s: ${perRow} µs a row, ${perBatch} ms a batch of ${batchRows}`);
  }
} finally {
  await destination.close();
  rmSync(dir, { recursive: true, force: true });
}
