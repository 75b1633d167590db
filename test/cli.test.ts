/** The commands a newcomer meets first: demo (the README's first command), query, discover. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TABLES } from '../src/catalog/index.js';
import { runCli, startCli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'acsync-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('demo syncs the simulator into a DuckDB file, and the queries it suggests run', async () => {
  const file = join(dir, 'demo.duckdb');
  const demo = await runCli(['demo', '--unthrottled', '--contacts', '300', '--dest', `duckdb:${file}`]);
  assert.equal(demo.code, 0, demo.stderr);
  assert.match(demo.stdout, new RegExp(`Your copy is in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const queries = [...demo.stdout.matchAll(/\.\/bin\/acsync\.js query "([^"]+)"/g)].map((m) => m[1] ?? '');
  assert.equal(queries.length, 3);
  for (const sql of queries) {
    const result = await runCli(['query', sql, '--dest', `duckdb:${file}`]);
    assert.equal(result.code, 0, result.stderr);
    const rows = Number(/\((\d+) rows\)/.exec(result.stdout)?.[1]);
    assert.ok(rows > 0, `${sql} returned rows:\n${result.stdout}`);
  }
});

test('query explains a missing file and a bad query in one line', async () => {
  const missing = await runCli(['query', 'SELECT 1', '--dest', `duckdb:${join(dir, 'none.duckdb')}`]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no DuckDB file/);
  const file = join(dir, 'demo.duckdb');
  const bad = await runCli(['query', 'SELEC nothing', '--dest', `duckdb:${file}`]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});

test('discover --json lists the 33 tables with keys, modes and columns', async () => {
  const result = await runCli(['discover', '--json']);
  assert.equal(result.code, 0, result.stderr);
  const { tables } = JSON.parse(result.stdout) as { tables: { name: string; modes: string[]; primaryKey: string[]; columns: unknown[] }[] };
  assert.deepEqual(tables.map((t) => t.name), TABLES.map((t) => t.name));
  assert.deepEqual(tables.find((t) => t.name === 'contacts')?.modes, ['full', 'incremental']);
  assert.deepEqual(tables.find((t) => t.name === 'pipelines_stages')?.primaryKey, ['group', 'id']);
  assert.equal(tables.find((t) => t.name === 'campaigns')?.columns.length, 92);
});

test('an unknown command or option is a usage error (exit 2)', async () => {
  assert.equal((await runCli(['synk'])).code, 2);
  assert.equal((await runCli(['sync', '--tabels', 'x'])).code, 2);
});

test('a reader that stops early (| head) ends the command quietly, without a stack trace', async () => {
  const big = ['query', 'SELECT range AS n, repeat(\'x\', 60) AS filler FROM range(300000)', '--dest', `duckdb:${join(dir, 'demo.duckdb')}`];
  for (const args of [['discover', '--json'], ['erd', '--format', 'mermaid'], big]) {
    const { child, result } = startCli(args);
    // Read the first chunk, then close the pipe as `head -1` does.
    child.stdout?.once('data', () => child.stdout?.destroy());
    const { code, stderr } = await result;
    assert.equal(code, 0, `${args.join(' ')}: ${stderr}`);
    assert.doesNotMatch(stderr, /EPIPE|Error|at /, args.join(' '));
  }
});

test('query reads the destination sync writes: the config file\'s, a Parquet lake, and says when a file is in use', async () => {
  const file = join(dir, 'demo.duckdb');
  const config = join(dir, 'acsync.json');
  writeFileSync(config, JSON.stringify({ dest: `duckdb:${file}` }));
  const fromConfig = await runCli(['query', 'SELECT count(*) AS n FROM users', '--config', config]);
  assert.equal(fromConfig.code, 0, fromConfig.stderr);
  assert.match(fromConfig.stdout, /\(1 rows\)/);

  const lake = join(dir, 'lake');
  const demo = await runCli(['demo', '--unthrottled', '--contacts', '100', '--dest', `parquet:${lake}`]);
  assert.equal(demo.code, 0, demo.stderr);
  const parquet = await runCli(['query', 'SELECT count(*) AS n FROM contacts', '--dest', `parquet:${lake}`, '--json']);
  assert.equal(parquet.code, 0, parquet.stderr);
  assert.deepEqual(JSON.parse(parquet.stdout), { n: '100' });

  // Another process holds the file for writing, as a running sync does.
  const holder = spawn(process.execPath, ['-e', `
    const { DuckDBInstance } = require('@duckdb/node-api');
    DuckDBInstance.create(${JSON.stringify(file)}).then(() => { process.stdout.write('open\\n'); setTimeout(() => {}, 60000); });
  `], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
  try {
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    const locked = await runCli(['query', 'SELECT 1', '--dest', `duckdb:${file}`]);
    assert.equal(locked.code, 2);
    assert.match(locked.stderr, /is in use by another process \(PID \d+\), such as a sync still running: query it when that ends/);
    assert.equal(locked.stderr.trim().split('\n').length, 1, locked.stderr);
  } finally {
    holder.kill();
  }
});
