/**
 * The live display of `acsync sync` in a real terminal: tmux at 80×24 (and 60 columns, and 60×12) runs the built
 * CLI against the simulator (300 ms latency at 5 requests/s, so the display is live for several seconds; no
 * sideloads and deals the key may not manage, so the run warns). The screen is sampled while it runs and read
 * with its scrollback after: no table has two lines on a screen, every warning is there in full, the history keeps
 * the summary once and no frame of the live display, and Ctrl-C shows the stopped tables as interrupted. Needs
 * `tmux` (`.ci/run` installs it) and a built CLI.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TABLES } from '../src/catalog/index.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/simulator/index.js';
import { checkBuilt } from '../bench/support/reliability-trial.js';
import { runCli } from './support/cli.js';

const BIN = fileURLToPath(new URL('../bin/acsync.js', import.meta.url));
const ACCOUNT: SimulatorOptions = { seed: 11, contacts: 300, sideloads: 'none' };
/** Generous: a loaded machine may take minutes; the test waits for the end, it does not time it. */
const CEILING_MS = 300_000;
const TABLE_NAMES = new Set(TABLES.map((t) => t.name));

const dir = mkdtempSync(join(tmpdir(), 'acsync-tty-'));
/** A tmux server of this test alone, its socket in the test's directory; only it is killed at the end. */
const socket = join(dir, 'tmux.sock');
let sim: Simulator | undefined;

function simulator(): Simulator {
  assert.ok(sim, 'the simulator is started before the tests');
  return sim;
}

function tmux(...args: string[]): string {
  const env: NodeJS.ProcessEnv = { ...process.env, ACTIVECAMPAIGN_KEY: simulator().key };
  for (const name of ['TMUX', 'ACTIVECAMPAIGN_URL', 'ACSYNC_DEST']) delete env[name];
  return execFileSync('tmux', ['-S', socket, '-f', join(dir, 'tmux.conf'), ...args], { encoding: 'utf8', env, cwd: dir });
}

before(async () => {
  checkBuilt();
  try {
    execFileSync('tmux', ['-V']);
  } catch {
    throw new Error('this test needs tmux (Debian package tmux; .ci/run installs it)');
  }
  // The pane stays after the CLI exits, to be read; the history holds every line.
  writeFileSync(join(dir, 'tmux.conf'), 'set -g remain-on-exit on\nset -g history-limit 50000\n');
  sim = await startSimulator({ ...ACCOUNT, latencyMs: 300, rateLimit: 5 });
});

after(async () => {
  try {
    tmux('kill-server');
  } catch {
    // no server was started
  }
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Session {
  readonly name: string;
  /** Every screen seen while the CLI ran, one line per row. */
  readonly screens: string[][];
}

/**
 * Starts `acsync sync` (the key from the environment) in its own session, 80×24 unless said otherwise. A shell
 * prints its exit status when it ends: tmux's own (pane_dead_status) is sometimes never collected. The shell
 * catches Ctrl-C, which reaches the whole foreground group, to outlive the CLI it stops.
 */
function startSync(name: string, columns = 80, rows = 24): Session {
  const sync = [process.execPath, BIN, 'sync', '--url', simulator().url, '--dest', `duckdb:${join(dir, `${name}.duckdb`)}`];
  tmux('new-session', '-d', '-x', String(columns), '-y', String(rows), '-s', name, 'sh', '-c', 'trap : INT; "$@"; echo "[acsync exited $?]"', 'sh', ...sync);
  return { name, screens: [] };
}

const screen = (session: Session) => tmux('capture-pane', '-p', '-t', session.name).split('\n');
/** The scrollback and the screen, lines the terminal wrapped joined again. */
const history = (session: Session) => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', session.name).split('\n');

/** The CLI's exit status once it has exited (the line its shell prints), else undefined. */
function exitOf(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    const exited = /^\[acsync exited (\d+)\]$/.exec(line.trim());
    if (exited) return exited[1];
  }
  return undefined;
}

/** Samples the screen until `done` holds for one; fails if the CLI exits first or the ceiling passes. */
async function watch(session: Session, done: (lines: string[]) => boolean): Promise<void> {
  const end = Date.now() + CEILING_MS;
  while (Date.now() < end) {
    const lines = screen(session);
    session.screens.push(lines);
    if (done(lines)) return;
    if (exitOf(lines) !== undefined) assert.fail(`${session.name}: the CLI exited first:\n${lines.join('\n')}`);
    await sleep(200);
  }
  assert.fail(`${session.name}: not there after ${CEILING_MS / 1000} s:\n${session.screens.at(-1)?.join('\n')}`);
}

/** Waits for the CLI to exit; its exit status. */
async function exitStatus(session: Session): Promise<string | undefined> {
  await watch(session, (lines) => exitOf(lines) !== undefined);
  return exitOf(session.screens.at(-1) ?? []);
}

/** The table a line is about, when it starts with a table's name (a live line, a summary row). */
function tableOf(line: string): string | undefined {
  const first = line.trim().split(/\s+/)[0] ?? '';
  return TABLE_NAMES.has(first) ? first : undefined;
}

/** A line of a table being read (live display), as opposed to the summary's `<table>  full  success  <rows>`. */
const inProgress = (line: string) => tableOf(line) !== undefined && /\brows\b/.test(line);

function assertNoTableTwiceOnAScreen(session: Session): void {
  for (const lines of session.screens) {
    const seen = new Set<string>();
    for (const table of lines.map(tableOf)) {
      if (table === undefined) continue;
      assert.ok(!seen.has(table), `${table} has two lines on one screen:\n${lines.join('\n')}`);
      seen.add(table);
    }
  }
}

/** What may stay in the terminal after a run: its log lines and the summary, each once; no frame of the live area. */
const KEPT = [
  /^syncing \d+ tables from /,
  /^warn: /,
  /^waiting \d+ s until /,
  /^table +mode +status +rows +conversion NULLs$/,
  /^[a-z_]+ +(full|incremental) +(success|failed|skipped|interrupted) +\d+( +\d+)?$/,
  /^(success|partial|failed|interrupted): \d+ rows in /,
  /^\[acsync exited \d+\]$/,
  /^Pane is dead/,
  /^$/,
];

/** The history holds log lines and at most one summary, each table once in it: no frame of the live display. */
function assertOnlyLogAndSummaryKept(lines: readonly string[]): void {
  const stray = lines.filter((line) => !KEPT.some((kept) => kept.test(line.trimEnd())));
  assert.deepEqual(stray, [], `lines of the live display left in the terminal:\n${lines.join('\n')}`);
  assert.ok(lines.filter((line) => /^table +mode +status/.test(line)).length <= 1, `one summary:\n${lines.join('\n')}`);
  assert.ok(lines.filter((line) => /^(success|partial|failed|interrupted): \d+ rows in /.test(line)).length <= 1, lines.join('\n'));
  const rows = lines.map((line) => /^([a-z_]+) +(full|incremental) +/.exec(line)?.[1]).filter((t) => t !== undefined);
  assert.deepEqual([...rows].sort(), [...new Set(rows)].sort(), 'each table once in the summary');
}

test('at 80×24, then 60 columns, the live display keeps one line per table, prints warnings in full and leaves only the summary', async () => {
  // The same account without latency or limit, in plain JSON logs: the warnings the run is expected to print.
  const twin = await startSimulator({ ...ACCOUNT, rateLimit: 0 });
  let warnings: string[];
  try {
    const plain = await runCli(['sync', '--url', twin.url, '--key', twin.key, '--dest', `duckdb:${join(dir, 'twin.duckdb')}`, '--rate', '1000', '--log-format', 'json']);
    assert.equal(plain.code, 0, plain.stderr);
    warnings = plain.stderr
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { event?: string; message: string })
      .filter((entry) => entry.event === 'warning')
      .map((entry) => entry.message);
  } finally {
    await twin.close();
  }
  assert.ok(warnings.length >= 2 && warnings.some((w) => w.length > 80), `long warnings to print: ${warnings.join('\n')}`);

  const session = startSync('live');
  // Live, then narrower: the terminal rewraps the frame's lines, and the display must still find its first line.
  // (A lower screen is not tried here: a terminal losing rows pushes the top ones, maybe the frame's, into the
  // scrollback, where no program can reach them.)
  await watch(session, (lines) => lines.some(inProgress));
  tmux('resize-window', '-t', session.name, '-x', '60');
  assert.equal(await exitStatus(session), '0', session.screens.at(-1)?.join('\n'));
  assertNoTableTwiceOnAScreen(session);
  const lines = history(session);
  for (const warning of warnings) assert.ok(lines.includes(`warn: ${warning}`), `the whole warning "${warning}" in:\n${lines.join('\n')}`);
  assertOnlyLogAndSummaryKept(lines);
  assert.ok(lines.some((line) => /^success: \d+ rows in /.test(line)), lines.join('\n'));
  assert.ok(lines.some((line) => /^contacts +incremental +success +300\b/.test(line)), lines.join('\n'));
});

test('Ctrl-C during the live display at 60×12: the stopped tables show as interrupted, once, under no stale frame', async () => {
  const session = startSync('stop', 60, 12);
  // Interrupted while tables are in progress on screen.
  await watch(session, (lines) => lines.some(inProgress));
  tmux('send-keys', '-t', session.name, 'C-c');
  assert.equal(await exitStatus(session), '130', session.screens.at(-1)?.join('\n'));
  assertNoTableTwiceOnAScreen(session);
  const lines = history(session);
  assertOnlyLogAndSummaryKept(lines);
  assert.ok(lines.some((line) => /^[a-z_]+ +(full|incremental) +interrupted +\d+/.test(line)), lines.join('\n'));
  assert.ok(lines.some((line) => /^interrupted: \d+ rows in /.test(line)), lines.join('\n'));
});

test('Ctrl-C as soon as the sync starts (the sideload probe is reading): interrupted, exit 130, not an error', async () => {
  const session = startSync('early');
  await watch(session, (lines) => lines.some((line) => line.startsWith('syncing ')));
  tmux('send-keys', '-t', session.name, 'C-c');
  assert.equal(await exitStatus(session), '130', session.screens.at(-1)?.join('\n'));
  const lines = history(session);
  assertOnlyLogAndSummaryKept(lines);
  assert.ok(lines.includes('warn: interrupted: every committed batch is kept, and the next sync resumes from there'), lines.join('\n'));
});
