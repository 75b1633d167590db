/**
 * Reading a copy back: after one sync of a simulated account into DuckDB, PostgreSQL, a local Parquet lake and a
 * lake on S3 (s3rver), how long the readers behind `acsync query`, `runs` and `status` take (in process, without
 * the CLI's start-up), and what a query over the S3 lake downloads against the lake's current size.
 *
 *   node --import tsx bench/readback-bench.ts [contacts]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { TABLES } from '../src/catalog/index.js';
import { withReader } from '../src/destinations/readback.js';
import { readStatus } from '../src/cli/status.js';
import { startSimulator } from '../src/simulator/index.js';
import { runCli } from '../test/support/cli.js';
import { startPostgres } from '../test/support/postgres.js';
import { startS3 } from '../test/support/s3.js';

const contacts = Number(process.argv[2] ?? 2000);
const QUERY = 'SELECT count(*) AS n FROM contacts';

const dir = mkdtempSync(join(tmpdir(), 'acsync-readback-bench-'));
const [sim, s3, postgres] = await Promise.all([startSimulator({ seed: 3, contacts, rateLimit: 0 }), startS3(), startPostgres()]);
try {
  await s3.createBucket('lake');
  Object.assign(process.env, s3.env);
  const destinations: [string, string][] = [
    ['DuckDB', `duckdb:${join(dir, 'copy.duckdb')}`],
    ['PostgreSQL', `${postgres.url}?schema=activecampaign`],
    ['local lake', `parquet:${join(dir, 'lake')}`],
    ['S3 lake', 's3://lake/acs'],
  ];
  const seconds = async (work: () => Promise<unknown>) => {
    const start = performance.now();
    await work();
    return ((performance.now() - start) / 1000).toFixed(3);
  };
  console.log(`${contacts} contacts; seconds per read, each opening and closing its reader`);
  console.log(`${'destination'.padEnd(12)} ${'query'.padStart(7)} ${'runs'.padStart(7)} ${'status'.padStart(7)}`);
  for (const [name, uri] of destinations) {
    const synced = await runCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', uri], s3.env as Record<string, string>);
    if (synced.code !== 0) throw new Error(`sync into ${name} failed: ${synced.stderr}`);
    const query = await seconds(() => withReader(uri, (reader) => reader.query(QUERY)));
    const runs = await seconds(() => withReader(uri, async (reader) => {
      for await (const run of reader.runs()) void run;
    }));
    const status = await seconds(() => withReader(uri, (reader) => readStatus(reader, {})));
    console.log(`${name.padEnd(12)} ${query.padStart(7)} ${runs.padStart(7)} ${status.padStart(7)}`);
  }

  // What the S3 query downloads (the current files of contacts) against every table's current files.
  const sizes = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await s3.client.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'acs/', ...(token && { ContinuationToken: token }) }));
    for (const object of page.Contents ?? []) if (object.Key) sizes.set(object.Key, object.Size ?? 0);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const current = async (table: string) => {
    const manifest = JSON.parse(await s3.getText('lake', `acs/${table}/_current.json`)) as { files: string[] };
    return manifest.files.reduce((sum, file) => sum + (sizes.get(`acs/${table}/${file}`) ?? 0), 0);
  };
  const fetched = await current('contacts');
  let lake = 0;
  for (const table of TABLES) lake += await current(table.name);
  console.log(`S3 query "${QUERY}": downloads ${(fetched / 1024).toFixed(0)} KiB of the lake's ${(lake / 1024).toFixed(0)} KiB current files (1 of ${TABLES.length} tables)`);
} finally {
  await Promise.all([sim.close(), s3.close(), postgres.stop()]);
  rmSync(dir, { recursive: true, force: true });
}
