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
import { PostgresDestination } from '../src/destinations/postgres.js';
import { parsePostgresUri } from '../src/destinations/postgres-options.js';
import { startPostgres } from '../test/support/postgres.js';
import { withPostgres } from '../test/support/read-postgres.js';
import { contacts, loadPass, typedContacts } from './support/contact-rows.js';

const rowCount = Number(process.argv[2] ?? 200_000);
const batchRows = Number(process.argv[3] ?? 1000);
const SCHEMA = 'acsync_bench';

const { rows, typingSeconds } = typedContacts(rowCount);

const external = process.env.ACSYNC_BENCH_PG_URL;
const server = external ? null : await startPostgres({ durable: true });
const url = external ?? server!.url;
const destination = new PostgresDestination({ ...parsePostgresUri(url), schema: SCHEMA });

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
  console.log(`server:               ${destination.description}${external ? '' : ' (throwaway cluster, fsync on)'}`);
  console.log(`typing:               ${perSecond(values, typingSeconds)} values/s (${perSecond(rowCount, typingSeconds)} rows/s)`);
  console.log(`full pass:            ${perSecond(rowCount, fullSeconds)} rows/s (${rowCount} rows, batches of ${batchRows}, ${fullSeconds.toFixed(2)} s incl. swap)`);
  console.log(`incremental upserts:  ${perSecond(rowCount, upsertSeconds)} rows/s (every row replaces an existing key)`);
} finally {
  await destination.close();
  if (server) await server.stop();
  else await withPostgres(url, (client) => client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`));
}
