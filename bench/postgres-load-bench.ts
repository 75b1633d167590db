/**
 * Typing and PostgreSQL load throughput: ~200k contact-like API records are typed (engine/typing.ts), then
 * loaded through `commit` in batches of 1000 — once as a full pass (COPY into the staging copy, then the
 * swap) and once as an incremental pass over the same keys (every row an upsert of an existing one).
 *
 *   node --import tsx bench/postgres-load-bench.ts [rows] [batch]
 *
 * The server: ACSYNC_BENCH_PG_URL if set (a database the bench may write schema acsync_bench into),
 * otherwise a throwaway local cluster with fsync on (test/support/postgres.ts, durable).
 */
import { getTable } from '../src/catalog/index.js';
import { PostgresDestination, parsePostgresUri } from '../src/destinations/postgres.js';
import type { TableState, TypedRow } from '../src/destinations/types.js';
import { rowConverter } from '../src/engine/typing.js';
import type { ConversionIssue } from '../src/engine/typing.js';
import { startPostgres } from '../test/support/postgres.js';
import { withPostgres } from '../test/support/read-postgres.js';

const rowCount = Number(process.argv[2] ?? 200_000);
const batchRows = Number(process.argv[3] ?? 1000);
const SCHEMA = 'acsync_bench';

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
    links: { bounceLogs: `https://acme.api-us1.com/api/3/contacts/${id}/bounceLogs` },
  };
}

const records = Array.from({ length: rowCount }, (_, i) => record(i + 1));

const convert = rowConverter(contacts);
const issues: ConversionIssue[] = [];
const typingStarted = performance.now();
const rows: TypedRow[] = records.map((r) => convert(r, { timeZone: 'America/Sao_Paulo' }, issues));
const typingSeconds = (performance.now() - typingStarted) / 1000;
if (issues.length > 0) throw new Error(`unexpected conversion issues: ${JSON.stringify(issues.slice(0, 3))}`);

const external = process.env.ACSYNC_BENCH_PG_URL;
const server = external ? null : await startPostgres({ durable: true });
const url = external ?? server!.url;
const destination = new PostgresDestination({ ...parsePostgresUri(url), schema: SCHEMA });

async function pass(mode: 'full' | 'incremental'): Promise<number> {
  const started = performance.now();
  const writer = await destination.beginTable(contacts!, mode, false);
  for (let offset = 0; offset < rows.length; offset += batchRows) {
    const batch = rows.slice(offset, offset + batchRows);
    const position = { offset: offset + batch.length, rows: offset + batch.length };
    const state: TableState = { mode, inProgress: { runId: 'bench', mode, stream: '/contacts', position } };
    await writer.commit({ rows: batch }, state);
  }
  await writer.finish({ mode });
  return (performance.now() - started) / 1000;
}

try {
  await destination.open();
  const fullSeconds = await pass('full');
  const upsertSeconds = await pass('incremental');
  const values = rowCount * contacts.columns.length;
  const perSecond = (n: number, s: number) => Math.round(n / s).toLocaleString('en-US');
  console.log(`server:               ${destination.description}${external ? '' : ' (throwaway cluster, fsync on)'}`);
  console.log(`typing:               ${perSecond(values, typingSeconds)} values/s (${perSecond(rowCount, typingSeconds)} rows/s)`);
  console.log(`full pass:            ${perSecond(rowCount, fullSeconds)} rows/s (${rowCount} rows, batches of ${batchRows}, ${fullSeconds.toFixed(2)} s incl. swap)`);
  console.log(`incremental upserts:  ${perSecond(rowCount, upsertSeconds)} rows/s (every row replaces an existing key)`);
} finally {
  await destination.close();
  if (server) await server.stop();
  else await withPostgres(url, (client) => client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`));
}
