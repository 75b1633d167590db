/**
 * `acsync serve` as a user starts it: one command, the API on 127.0.0.1, a connector's first run finished by the
 * in-process worker, and a clean stop on SIGTERM.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { runCli, startCli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'acsync-serve-'));
let sim: Simulator;

before(async () => {
  sim = await startSimulator({ seed: 5, contacts: 100, rateLimit: 0 });
});
after(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

test('serve refuses to listen beyond loopback without a token, before touching its data folder', async () => {
  const result = await runCli(['serve', '--host', '0.0.0.0', '--data-dir', join(dir, 'refused')], { ACSYNC_API_TOKEN: '' });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /needs a bearer token/);
});

test('serve answers on 127.0.0.1, runs a new connector at once, and stops cleanly on SIGTERM', { timeout: 240_000 }, async () => {
  const { child, result } = startCli(['serve', '--port', '0', '--data-dir', join(dir, 'service'), '--rate', '100']);
  let stderr = '';
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const found = /acsync service on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (found?.[1]) resolve(found[1]);
      });
      void result.then((ended) => reject(new Error(`serve ended (${String(ended.code)}): ${ended.stderr}`)));
    });
    const health = (await (await fetch(`${url}/api/health`)).json()) as { ok: boolean };
    assert.equal(health.ok, true);
    const created = await fetch(`${url}/api/connectors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'cli', url: sim.url, key: sim.key, tables: [{ name: 'contacts' }, { name: 'users' }] }),
    });
    assert.equal(created.status, 201);
    const connector = (await created.json()) as { id: string; lastRun: { id: string } };
    const events = await (await fetch(`${url}/api/connectors/${connector.id}/runs/${connector.lastRun.id}/events`)).text();
    const end = JSON.parse(/event: end\ndata: (.*)$/m.exec(events)?.[1] ?? 'null') as { status: string; rows: number } | null;
    assert.equal(end?.status, 'success', events.slice(-500));
    assert.equal(end.rows, sim.account.count('contacts') + sim.account.count('users'));
    child.kill('SIGTERM');
    const ended = await result;
    assert.equal(ended.code, 0, ended.stderr);
    assert.ok(!ended.stderr.includes(sim.key) && !ended.stdout.includes(sim.key) && !events.includes(sim.key), 'the key is never printed');
  } finally {
    child.kill('SIGKILL');
  }
});
