/**
 * Parquet lake load throughput: ~200k contact-like rows (typed once, as in bench/duckdb-load-bench.ts) are
 * loaded through `commit` in batches of 1000 — once as a full pass (staged batch files, then the merge into
 * a new version) and once as an incremental pass over the same keys (every row replaces an existing one: the
 * previous version and the batches are merged by key). Also prints the size of the published version.
 *
 *   node --import tsx bench/parquet-load-bench.ts [rows] [batch]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalLakeStore } from '../src/destinations/lake-store.js';
import { ParquetDestination } from '../src/destinations/parquet.js';
import { contacts, loadPass, typedContacts } from './support/contact-rows.js';

const rowCount = Number(process.argv[2] ?? 200_000);
const batchRows = Number(process.argv[3] ?? 1000);

const { rows } = typedContacts(rowCount);

const dir = mkdtempSync(join(tmpdir(), 'acsync-parquet-bench-'));
const destination = new ParquetDestination({ store: new LocalLakeStore(join(dir, 'lake')) });

/** Seconds spent committing, and in `finish` (the merge into a new version). */
function pass(mode: 'full' | 'incremental'): Promise<{ commit: number; finish: number }> {
  return loadPass(destination, mode, rows, batchRows);
}

try {
  await destination.open();
  const full = await pass('full');
  const manifest = destination.manifest('contacts');
  const bytes = manifest ? statSync(destination.local(`contacts/${manifest.files[0]}`)).size : 0;
  const incremental = await pass('incremental');
  const perSecond = (n: number, s: number) => Math.round(n / s).toLocaleString('en-US');
  const total = (t: { commit: number; finish: number }) => t.commit + t.finish;
  console.log(`full pass:          ${perSecond(rowCount, total(full))} rows/s (${rowCount} rows, batches of ${batchRows}: commits ${full.commit.toFixed(2)} s = ${perSecond(rowCount, full.commit)} rows/s, publish ${full.finish.toFixed(2)} s)`);
  console.log(`incremental pass:   ${perSecond(rowCount, total(incremental))} rows/s (every row replaces an existing key: commits ${incremental.commit.toFixed(2)} s, merge and publish ${incremental.finish.toFixed(2)} s)`);
  console.log(`published version:  ${(bytes / 1024 / 1024).toFixed(1)} MiB zstd Parquet for ${rowCount} rows x ${contacts.columns.length} columns`);
} finally {
  await destination.close();
  rmSync(dir, { recursive: true, force: true });
}
