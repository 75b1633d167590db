/**
 * Typing and DuckDB load throughput: ~200k contact-like API records are typed (engine/typing.ts), then
 * loaded through `commit` in batches of 1000 — once as a full pass (staging copy, then the swap) and
 * once as an incremental pass over the same keys (every row an upsert of an existing one).
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

async function pass(mode: 'full' | 'incremental'): Promise<number> {
  const seconds = await loadPass(destination, mode, rows, batchRows);
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
} finally {
  await destination.close();
  rmSync(dir, { recursive: true, force: true });
}
