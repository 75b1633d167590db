/**
 * The JSON summary a scheduler (and bench/sync-bench.ts) reads at the end of a sync: its figures are there and
 * have the types they are documented with.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { runCli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'acsync-summary-'));
let sim: Simulator;

before(async () => {
  sim = await startSimulator({ seed: 3, contacts: 200, rateLimit: 0 });
});
after(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the JSON summary carries the rows, the peak memory and the CPU the sync used', async () => {
  const result = await runCli([
    'sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${join(dir, 'a.duckdb')}`,
    '--tables', 'contacts,contacts_custom_fields_data', '--log-format', 'json',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const line = result.stderr.split('\n').find((l) => l.includes('"event":"summary"'));
  assert.ok(line, 'a summary line');
  const summary = JSON.parse(line) as { tables: { rows: number }[]; peakRssMb: unknown; cpuSeconds: unknown };
  assert.equal(summary.tables.reduce((sum, t) => sum + t.rows, 0) > 200, true);
  assert.equal(typeof summary.peakRssMb, 'number');
  assert.equal(typeof summary.cpuSeconds, 'number');
  assert.ok((summary.cpuSeconds as number) > 0, `cpuSeconds ${String(summary.cpuSeconds)}`);
  assert.ok(!result.stderr.includes(sim.key) && !result.stdout.includes(sim.key));
});
