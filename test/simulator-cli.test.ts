/**
 * `acsync simulate`: prints its URL once it accepts connections, serves the API, stops cleanly on SIGTERM,
 * and rejects bad option values with a one-line error and exit code 2.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DEMO_KEY } from '../src/simulator/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = `import { main } from './src/cli/main.ts'; process.exitCode = await main(['node', 'acsync', ...process.argv.slice(1)]);`;

function cli(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ENTRY, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

test('simulate runs in the foreground, prints its URL and key, and stops on SIGTERM', async () => {
  const { child, done } = cli(['simulate', '--port', '0', '--contacts', '50', '--seed', '3', '--rate-limit', '0', '--deny', 'Lists']);
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (c: Buffer) => {
      seen += c.toString();
      const match = /ActiveCampaign simulator at (http:\/\/127\.0\.0\.1:\d+) {2}key: (\S+)/.exec(seen);
      if (match) {
        assert.equal(match[2], DEMO_KEY);
        resolve(match[1] as string);
      }
    });
    child.on('close', () => reject(new Error('exited before printing its URL')));
  });
  const me = await fetch(`${url}/api/3/users/me`, { headers: { 'Api-Token': DEMO_KEY } });
  assert.equal(me.status, 200);
  const contacts = (await (await fetch(`${url}/api/3/contacts?limit=1`, { headers: { 'Api-Token': DEMO_KEY } })).json()) as { meta: { total: string } };
  assert.equal(contacts.meta.total, '50');
  assert.equal((await fetch(`${url}/api/3/lists`, { headers: { 'Api-Token': DEMO_KEY } })).status, 403);
  child.kill('SIGTERM');
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /simulator stopped/);
});

test('bad option values: a one-line error and exit code 2', async () => {
  for (const args of [
    ['simulate', '--port', 'eighty'],
    ['simulate', '--port', '0', '--contacts', '-5'],
    ['simulate', '--port', '0', '--faults', '1.5'],
    ['simulate', '--port', '0', '--deny', 'deals,unknown_area'],
    ['simulate', '--port', '0', '--rate-limit', 'fast'],
  ]) {
    const { code, stderr, stdout } = await cli(args).done;
    assert.equal(code, 2, args.join(' '));
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.match(stderr, /^acsync simulate: --[a-z-]+/);
    assert.equal(stdout, '');
  }
});
