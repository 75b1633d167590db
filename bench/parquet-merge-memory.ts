/**
 * The Parquet lake's merge alone, for memory: `rows` contacts (bench/support/contact-rows.ts, typed a batch at a
 * time so the benchmark itself holds little) committed in batches of `batch` rows as one full pass, then `finish`
 * merges them into a version of parts (DEFAULT_PART_ROWS, or ACSYNC_LAKE_PART_ROWS). Prints the peak RSS while
 * committing and while finishing, the finish's seconds, and what DuckDB held at the sampled peak (duckdb_memory()).
 * The number of staged files is what a part's reads grew with (parquet-writer.ts `firstKeyBounds`). With
 * `children`, the pass is contacts_tags instead: `rows` contacts listed as replaced parents, every other one with a tag,
 * what the replaced parents' grouping grew with (parquet-writer.ts `mergeSql`).
 *
 *   node --import tsx bench/parquet-merge-memory.ts [rows=1000000] [batch=2000] [children]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalLakeStore } from '../src/destinations/lake-store.js';
import { ParquetDestination } from '../src/destinations/parquet.js';
import { rowConverter, type ConversionIssue } from '../src/engine/typing.js';
import { getTable } from '../src/catalog/index.js';
import type { Batch } from '../src/core/contract.js';
import { contactRecord, contacts } from './support/contact-rows.js';

const rowCount = Number(process.argv[2] ?? 1_000_000);
const batchRows = Number(process.argv[3] ?? 2000);
const children = process.argv[4] === 'children';
const table = children ? getTable('contacts_tags') : contacts;
if (!table) throw new Error('the catalog lacks contacts_tags');

const dir = mkdtempSync(join(tmpdir(), 'acsync-merge-memory-'));
const destination = new ParquetDestination({ store: new LocalLakeStore(join(dir, 'lake')) });
const convert = rowConverter(table);
const issues: ConversionIssue[] = [];

interface Peak { rssMb: number; duckdbMb: number; duckdbTags: string }
const peaks: Record<'commit' | 'finish', Peak> = {
  commit: { rssMb: 0, duckdbMb: 0, duckdbTags: '' },
  finish: { rssMb: 0, duckdbMb: 0, duckdbTags: '' },
};
let phase: 'commit' | 'finish' = 'commit';
let duckdb = { mb: 0, tags: '' };
const megabytes = (bytes: number) => Math.round(bytes / 1048576);
const sampler = setInterval(() => {
  const rssMb = megabytes(process.memoryUsage.rss());
  const peak = peaks[phase];
  if (rssMb > peak.rssMb) Object.assign(peak, { rssMb, duckdbMb: duckdb.mb, duckdbTags: duckdb.tags });
}, 50);
let polling = false;
const poller = setInterval(() => {
  if (polling) return;
  polling = true;
  destination.duckdbMemory().then((memory) => {
    const total = [...memory.values()].reduce((sum, bytes) => sum + bytes, 0);
    const tags = [...memory].filter(([, bytes]) => bytes >= 1048576).map(([tag, bytes]) => `${tag} ${megabytes(bytes)}`);
    duckdb = { mb: megabytes(total), tags: tags.join(', ') };
  }, () => undefined).finally(() => {
    polling = false;
  });
}, 250);

try {
  await destination.open();
  const writer = await destination.beginTable(table, 'full', false);
  for (let offset = 0; offset < rowCount; offset += batchRows) {
    const ids = Array.from({ length: Math.min(batchRows, rowCount - offset) }, (_, i) => offset + i + 1);
    const batch: Batch = children
      ? {
        rows: ids.filter((id) => id % 2 === 0).map((id) => convert({ contact: String(id), id: String(3 * id), tag: '1' }, { timeZone: 'UTC' }, issues)),
        replaceChildrenOf: { column: 'contact', ids },
      }
      : { rows: ids.map((id) => convert(contactRecord(id), { timeZone: 'UTC' }, issues)) };
    await writer.commit(batch, { mode: 'full', inProgress: { runId: 'bench', mode: 'full', stream: '/contacts', position: { rows: offset + ids.length } } });
  }
  phase = 'finish';
  const started = performance.now();
  await writer.finish({ mode: 'full' });
  const seconds = (performance.now() - started) / 1000;
  const files = Math.ceil(rowCount / batchRows);
  const manifest = destination.manifest(table.name);
  console.log(`${table.name}: ${manifest?.rows} rows staged in ${files} files, merged into ${manifest?.files.length} parts in ${seconds.toFixed(1)} s`);
  console.log(`peak RSS: committing ${peaks.commit.rssMb} MB, finishing ${peaks.finish.rssMb} MB (DuckDB then held ${peaks.finish.duckdbMb} MB: ${peaks.finish.duckdbTags})`);
  console.log(JSON.stringify({ table: table.name, rows: rowCount, batchRows, files, finishSeconds: Math.round(seconds * 10) / 10, peakCommitRssMb: peaks.commit.rssMb, peakFinishRssMb: peaks.finish.rssMb }));
} finally {
  clearInterval(sampler);
  clearInterval(poller);
  await destination.close();
  rmSync(dir, { recursive: true, force: true });
}
