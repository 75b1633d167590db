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
import { getTable } from '../src/catalog/index.js';
import { LocalLakeStore, ParquetDestination } from '../src/destinations/parquet.js';
import type { TableState, TypedRow } from '../src/destinations/types.js';
import { rowConverter } from '../src/engine/typing.js';
import type { ConversionIssue } from '../src/engine/typing.js';

const rowCount = Number(process.argv[2] ?? 200_000);
const batchRows = Number(process.argv[3] ?? 1000);

const contacts = getTable('contacts');
if (!contacts) throw new Error('the catalog lacks contacts');

const pad = (n: number) => String(n).padStart(2, '0');

/** A record shaped like `GET /contacts` rows (activecampaign-api.md), varied per id. */
function record(id: number): Record<string, unknown> {
  const day = pad(1 + (id % 28));
  const time = `${pad(id % 24)}:${pad(id % 60)}:${pad((id * 7) % 60)}`;
  return {
    id: String(id), adate: `2024-03-${day}T${time}-03:00`, anonymized: '0', bounced_date: '0000-00-00',
    bounced_hard: '0', bounced_soft: '0', cdate: `2024-02-${day}T${time}-03:00`,
    created_timestamp: `2024-02-${day} ${time}`, created_utc_timestamp: `2024-02-${day} ${time}`, deleted: '0',
    deleted_at: '0000-00-00 00:00:00', edate: `2024-02-${day}T09:00:03-03:00`, email: `contact${id}@example.com`,
    email_domain: 'example.com', email_empty: false, email_local: `contact${id}`, firstName: 'Ana', gravatar: '1',
    hash: '5f4dcc3b5aa765d61d8327deb882cf99', ip: '3232235777', lastName: `Silva ${id}`, mpp_tracking: '0',
    orgid: String(id % 500), orgname: '', phone: '+55 11 91234-5678', rating_tstamp: `2024-02-${day}`,
    segmentio_id: '', sentcnt: String(id % 40), socialdata_lastcheck: '0000-00-00 00:00:00', ua: '',
    udate: `2024-03-${day}T${time}-03:00`, updated_timestamp: `2024-03-${day} ${time}`,
    updated_utc_timestamp: `2024-03-${day} ${time}`,
  };
}

const convert = rowConverter(contacts);
const issues: ConversionIssue[] = [];
const rows: TypedRow[] = Array.from({ length: rowCount }, (_, i) => convert(record(i + 1), { timeZone: 'America/Sao_Paulo' }, issues));
if (issues.length > 0) throw new Error(`unexpected conversion issues: ${JSON.stringify(issues.slice(0, 3))}`);

const dir = mkdtempSync(join(tmpdir(), 'acsync-parquet-bench-'));
const destination = new ParquetDestination({ store: new LocalLakeStore(join(dir, 'lake')) });

/** Seconds spent committing, and in `finish` (the merge into a new version). */
async function pass(mode: 'full' | 'incremental'): Promise<{ commit: number; finish: number }> {
  const started = performance.now();
  const writer = await destination.beginTable(contacts!, mode, false);
  for (let offset = 0; offset < rows.length; offset += batchRows) {
    const batch = rows.slice(offset, offset + batchRows);
    const position = { offset: offset + batch.length, rows: offset + batch.length };
    const state: TableState = { mode, inProgress: { runId: 'bench', mode, stream: '/contacts', position } };
    await writer.commit({ rows: batch }, state);
  }
  const committed = performance.now();
  await writer.finish({ mode });
  return { commit: (committed - started) / 1000, finish: (performance.now() - committed) / 1000 };
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
