/**
 * The `acsync` command as an installed package runs it: bin/acsync.js started through its #! line (built by
 * `npm test`), which must carry the memory settings Node and glibc read only at start.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const BIN = fileURLToPath(new URL('../bin/acsync.js', import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Runs bin/acsync.js as an executable (no `node` in front), with extra Node options. */
function runBin(args: string[], nodeOptions = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { env: { ...process.env, NODE_OPTIONS: nodeOptions }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('bin/acsync.js runs as an executable', async () => {
  const run = await runBin(['--version']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), VERSION);
});

test('its #! line gives the process at most 2 malloc arenas and 2 MB semi-spaces', async () => {
  const report = `process.stderr.write(JSON.stringify({ arenas: process.env.MALLOC_ARENA_MAX, execArgv: process.execArgv }) + '\\n')`;
  const run = await runBin(['--version'], `--import "data:text/javascript,${encodeURIComponent(report)}"`);
  assert.equal(run.code, 0, run.stderr);
  const seen = JSON.parse(run.stderr.split('\n')[0] ?? '{}') as { arenas?: string; execArgv?: string[] };
  assert.equal(seen.arenas, '2');
  assert.ok(seen.execArgv?.includes('--max-semi-space-size=2'), `execArgv: ${JSON.stringify(seen.execArgv)}`);
});
