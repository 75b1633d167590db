/**
 * The start-up benchmark: how long `acsync` takes before it does anything, and how much of a tiny account's demo
 * goes to starting and stopping rather than syncing.
 *
 *   npm run bench:startup -- [--runs 15] [--demo-runs 3] [--contacts 10] [--unthrottled]
 *
 * Each case runs `bin/acsync.js …` in a child process as the installed command runs (built by `npm run bench:startup`),
 * `--runs` times after one warm-up run, and prints the median and 90th percentile of the wall time:
 *   `node -e 0` (the floor: Node alone), --version, --help, sync --help, and a no-op run: `sync --tables users`, one tiny table from a local unthrottled
 *   simulator into a DuckDB file that already holds it (start-up, key check, DuckDB open and close, exit).
 * Then it runs `acsync demo --contacts N` (`--demo-runs` times) and splits its wall time from the JSON log lines:
 *   start-up  spawn → "syncing …" (modules loaded, simulator up, key checked, DuckDB opened, state read)
 *   sync      the summary's `seconds`
 *   close     after the sync until the summary line (the destination closed: DuckDB checkpoints its file)
 *   exit      the summary line → the process gone (the simulator closed, the event loop drained)
 * The last line printed is one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulator } from '../src/simulator/index.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    'demo-runs': { type: 'string', default: '3' },
    contacts: { type: 'string', default: '10' },
    unthrottled: { type: 'boolean', default: false },
  },
});
const runs = Number(args.runs);
const demoRuns = Number(args['demo-runs']);

interface Finished {
  readonly ms: number;
  readonly code: number | null;
  /** stderr lines, each with the milliseconds since spawn at which it arrived. */
  readonly lines: readonly { readonly atMs: number; readonly text: string }[];
}

/**
 * Runs `bin/acsync.js …` as the installed command runs (through its #! line, with its memory settings), or
 * `node -e 0` for Node's own start-up.
 */
function runNode(args: readonly string[]): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const [program, ...rest] = args;
    const child = program === 'bin/acsync.js'
      ? spawn(program, rest, { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const lines: { atMs: number; text: string }[] = [];
    let buffer = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const atMs = performance.now() - started;
      buffer += chunk.toString();
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        lines.push({ atMs, text: buffer.slice(0, newline) });
        buffer = buffer.slice(newline + 1);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - started, code, lines }));
  });
}

/** Nearest-rank percentile. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

const round = (ms: number) => Math.round(ms);

const work = mkdtempSync(join(tmpdir(), 'acsync-startup-bench-'));
const simulator = await startSimulator({ contacts: 10, rateLimit: 0 });
const results: Record<string, { medianMs: number; p90Ms: number }> = {};
try {
  const noopDest = `duckdb:${join(work, 'noop.duckdb')}`;
  const cases: readonly { readonly name: string; readonly argv: readonly string[]; readonly exitCode: number }[] = [
    // The floor: Node starting and stopping with nothing to do (on a busy machine every figure grows with it).
    { name: 'node -e 0', argv: ['-e', '0'], exitCode: 0 },
    { name: '--version', argv: ['bin/acsync.js', '--version'], exitCode: 0 },
    { name: '--help', argv: ['bin/acsync.js', '--help'], exitCode: 0 },
    { name: 'sync --help', argv: ['bin/acsync.js', 'sync', '--help'], exitCode: 0 },
    {
      name: 'no-op sync (users)',
      argv: ['bin/acsync.js', 'sync', '--tables', 'users', '--url', simulator.url, '--key', simulator.key, '--dest', noopDest, '--rate', '1000', '--log-format', 'json'],
      exitCode: 0,
    },
  ];
  process.stdout.write(`case                    median ms   p90 ms   (${runs} runs each, after one warm-up)\n`);
  for (const { name, argv, exitCode } of cases) {
    const times: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const run = await runNode(argv);
      if (run.code !== exitCode) {
        throw new Error(`${name}: exit ${run.code}, expected ${exitCode}\n${run.lines.map((l) => l.text).join('\n')}`);
      }
      if (i > 0) times.push(run.ms);
    }
    results[name] = { medianMs: round(percentile(times, 50)), p90Ms: round(percentile(times, 90)) };
    process.stdout.write(`${name.padEnd(22)} ${String(results[name].medianMs).padStart(9)} ${String(results[name].p90Ms).padStart(8)}\n`);
  }
} finally {
  await simulator.close();
}

interface DemoPhases { wallMs: number; startupMs: number; syncMs: number; closeMs: number; exitMs: number }

/** One demo into a fresh DuckDB file, split into phases by its JSON log lines. */
async function demoPhases(index: number): Promise<DemoPhases> {
  const dest = `duckdb:${join(work, `demo-${index}.duckdb`)}`;
  const argv = ['bin/acsync.js', 'demo', '--contacts', args.contacts, '--dest', dest, '--log-format', 'json'];
  if (args.unthrottled) argv.push('--unthrottled');
  const run = await runNode(argv);
  if (run.code !== 0) throw new Error(`demo: exit ${run.code}\n${run.lines.map((l) => l.text).join('\n')}`);
  const parsed = run.lines
    .filter((l) => l.text.startsWith('{'))
    .map((l) => ({ atMs: l.atMs, entry: JSON.parse(l.text) as { time: string; message: string; event?: string; seconds?: number } }));
  const syncing = parsed.find((l) => l.entry.message.startsWith('syncing '));
  const summary = parsed.find((l) => l.entry.event === 'summary');
  if (!syncing || !summary || summary.entry.seconds === undefined) throw new Error('demo: no "syncing" or summary line');
  const syncMs = summary.entry.seconds * 1000;
  // The child's own clock between the two lines, less the sync, is the destination's finish and close.
  const closeMs = Date.parse(summary.entry.time) - Date.parse(syncing.entry.time) - syncMs;
  return { wallMs: run.ms, startupMs: syncing.atMs, syncMs, closeMs, exitMs: run.ms - summary.atMs };
}

const phases: DemoPhases[] = [];
try {
  for (let i = 0; i < demoRuns; i++) phases.push(await demoPhases(i));
} finally {
  rmSync(work, { recursive: true, force: true });
}
const median = (pick: (p: DemoPhases) => number) => percentile(phases.map(pick), 50);
const demo = {
  contacts: Number(args.contacts),
  throttled: !args.unthrottled,
  runs: demoRuns,
  wallMs: round(median((p) => p.wallMs)),
  startupMs: round(median((p) => p.startupMs)),
  syncMs: round(median((p) => p.syncMs)),
  closeMs: round(median((p) => p.closeMs)),
  exitMs: round(median((p) => p.exitMs)),
  startupShutdownShare: Number(median((p) => (p.startupMs + p.closeMs + p.exitMs) / p.wallMs).toFixed(3)),
};
process.stdout.write(
  `\ndemo --contacts ${demo.contacts}${demo.throttled ? '' : ' --unthrottled'} (median of ${demoRuns}): wall ${demo.wallMs} ms = ` +
    `start-up ${demo.startupMs} + sync ${demo.syncMs} + close ${demo.closeMs} + exit ${demo.exitMs}; ` +
    `start-up and shutdown ${(demo.startupShutdownShare * 100).toFixed(0)}% of the wall time\n`,
);
process.stdout.write(`${JSON.stringify({ cases: results, demo })}\n`);
