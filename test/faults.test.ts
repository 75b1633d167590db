/**
 * Throttling, server errors, dropped connections, truncated and HTML bodies on a share of requests: the sync
 * retries its way to a copy equal to the account, never a silently wrong table.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TABLES } from '../src/catalog/index.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { runCli } from './support/cli.js';
import { expectedRows, readDuckDbTable } from './support/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'acsync-faults-'));
let sim: Simulator;

before(async () => {
  sim = await startSimulator({
    seed: 3,
    contacts: 300,
    rateLimit: 0,
    faults: 0.15,
    faultKinds: ['500', '502', '503', '429', '403', 'reset', 'truncate', 'html'],
    faultSeed: 42,
  });
});
after(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a sync through 15% faulty responses ends equal to the account', async () => {
  const file = join(dir, 'copy.duckdb');
  const result = await runCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', `duckdb:${file}`]);
  assert.equal(result.code, 0, result.stderr);
  const stats = sim.stats();
  const injected = Object.values(stats.faults).reduce((a, b) => a + b, 0);
  assert.ok(injected >= 5, `faults were injected: ${JSON.stringify(stats.faults)}`);
  assert.match(result.stdout, new RegExp(`\\d+ retried`));
  for (const table of TABLES) {
    assert.deepEqual(await readDuckDbTable(file, table), expectedRows(table, sim.account), table.name);
  }
});
