/**
 * Start-up stays light: `acsync --version`, `acsync --help` and every command's `--help` load none of the heavy
 * packages (DuckDB, pg, the AWS SDK, ajv, viz.js, the service's queue and web stack, zod, the progress bar); a
 * command imports what does its work when it runs, and opening a destination imports that destination's module only.
 * Each case runs in a child process with a preload that records every module it loads (ES modules through a
 * resolve hook, CommonJS ones from the require cache at exit).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';

/** Packages that cost tens to hundreds of milliseconds to load and are needed only by some commands. */
const HEAVY = [
  /^@duckdb\//,
  /^pg(-.*)?$/,
  /^@aws-sdk\//,
  /^ajv/,
  /^@viz-js\//,
  /^@electric-sql\//,
  /^hono$/,
  /^@hono\//,
  /^zod$/,
  /^croner$/,
];

const entry = fileURLToPath(new URL('./support/cli-entry.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'acsync-startup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// The hook runs on the loader thread; both threads append to the file named by ACSYNC_TRACE_FILE.
const HOOK = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.ACSYNC_TRACE_FILE, resolved.url + '\\n');
  return resolved;
}`;
const PRELOAD = `
import Module, { register } from 'node:module';
import { appendFileSync } from 'node:fs';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}));
process.on('exit', () => appendFileSync(process.env.ACSYNC_TRACE_FILE, Object.keys(Module._cache).join('\\n') + '\\n'));`;

let traces = 0;

interface Trace {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly packages: Set<string>;
}

/** Runs the CLI from source and returns its stdout, exit code and the packages it loaded. */
function traceCli(args: readonly string[]): Promise<Trace> {
  return traceNode([entry, ...args]);
}

/** Runs `node <args>` (TypeScript allowed) and returns its stdout, exit code and the packages it loaded. */
async function traceNode(args: readonly string[]): Promise<Trace> {
  const traceFile = join(dir, `trace-${++traces}.txt`);
  const env: NodeJS.ProcessEnv = { ...process.env, ACSYNC_TRACE_FILE: traceFile };
  for (const name of ['ACTIVECAMPAIGN_URL', 'ACTIVECAMPAIGN_KEY', 'ACSYNC_DEST']) delete env[name];
  const preload = `data:text/javascript,${encodeURIComponent(PRELOAD)}`;
  // tsx by its resolved URL: the child runs in an empty directory, where no acsync.json is read.
  const tsx = import.meta.resolve('tsx');
  const child = spawn(process.execPath, ['--import', tsx, '--import', preload, ...args], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const packages = new Set<string>();
  let trace: string;
  try {
    trace = readFileSync(traceFile, 'utf8');
  } catch (error) {
    throw new Error(`no trace from node ${args.join(' ')} (exit ${code}): ${stderr}`, { cause: error });
  }
  for (const line of trace.split('\n')) {
    // The innermost node_modules names the package (pg-pool under pg/node_modules is pg-pool).
    const names = [...line.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)];
    const name = names.at(-1)?.[1];
    if (name) packages.add(name);
  }
  return { code, stdout, stderr, packages };
}

function heavyIn(packages: Set<string>): string[] {
  return [...packages].filter((name) => HEAVY.some((pattern) => pattern.test(name))).sort();
}

test('the trace sees a heavy package that a command loads when it runs', async () => {
  const run = await traceCli(['erd', '--format', 'svg']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /<svg/);
  assert.ok(run.packages.has('@viz-js/viz'), `loaded: ${[...run.packages].join(', ')}`);
  assert.ok(run.packages.has('commander'));
});

test('--version, --help and every command\'s --help load no heavy package', async (t) => {
  const help = await traceCli(['--help']);
  assert.equal(help.code, 0, help.stderr);
  const commandsSection = help.stdout.split(/^Commands:$/m)[1] ?? '';
  const commands = [...commandsSection.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1] ?? '').filter((name) => name !== 'help');
  assert.ok(commands.includes('sync') && commands.length >= 9, `commands in --help: ${commands.join(', ')}`);
  await t.test('--help', () => assert.deepEqual(heavyIn(help.packages), []));
  for (const args of [['--version'], ...commands.map((command) => [command, '--help'])]) {
    await t.test(args.join(' '), async () => {
      const run = await traceCli(args);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(heavyIn(run.packages), [], `acsync ${args.join(' ')} loads heavy packages`);
    });
  }
});

test('openDestination imports the chosen destination\'s module and no other', async () => {
  const destinations = new URL('../src/destinations/index.ts', import.meta.url).href;
  const open = (uri: string) =>
    traceNode(['--input-type=module', '-e', `const { openDestination } = await import(${JSON.stringify(destinations)}); await openDestination(${JSON.stringify(uri)});`]);
  const duckdb = await open('duckdb:copy.duckdb');
  assert.equal(duckdb.code, 0, duckdb.stderr);
  assert.ok(duckdb.packages.has('@duckdb/node-api'));
  assert.deepEqual(heavyIn(duckdb.packages).filter((name) => !name.startsWith('@duckdb/')), []);
  const postgres = await open('postgres://user@127.0.0.1:5432/warehouse');
  assert.equal(postgres.code, 0, postgres.stderr);
  assert.ok(postgres.packages.has('pg'));
  assert.deepEqual(heavyIn(postgres.packages).filter((name) => !name.startsWith('pg')), []);
});
