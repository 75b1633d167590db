/**
 * One trial of the reliability campaign (bench/reliability.ts; test/reliability.test.ts runs a few): a fresh
 * simulated account, one destination, faults injected at a random rate, the real CLI (`node bin/acsync.js sync`,
 * built in dist/) killed with SIGKILL at random moments and resumed, a final sync with faults off, and the copy
 * compared table by table with the account (bench/support/reliability-compare.ts).
 *
 * A trial has one or two phases. Phase 1 is the first sync, from nothing: 1 to `maxKills` runs with faults on,
 * each killed at a random moment (a resume killed in turn), then a final run with faults off. With a mutation,
 * the account then changes (inserts, updates, deletes) and phase 2 does the same for the incremental sync that
 * follows. Every run that exits 0 is compared with the account: a difference is a silent mismatch. Each phase's
 * final run must exit 0 (otherwise a failed resume; it is then run once more, to see whether the failure lasts).
 *
 * The plan (sizes, faults, kill points) follows from the trial's seed; the moment a kill lands also depends on
 * the machine's speed, so a trial repeats its plan, not always its exact kill points.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TableDef } from '../../src/catalog/index.js';
import type { TypedRow } from '../../src/core/contract.js';
import { DEFAULT_FAULT_KINDS, startSimulator, type FaultKind, type Simulator } from '../../src/simulator/index.js';
import { readDuckDbTable } from '../../test/support/oracle.js';
import { readParquetTable } from '../../test/support/read-parquet.js';
import { readPostgresTable, withPostgres } from '../../test/support/read-postgres.js';
import { compareCopy, describeDifferences, incrementalKeys, type Comparison, type PriorKeys } from './reliability-compare.js';

export type DestinationKind = 'duckdb' | 'postgres' | 'parquet';
export const DESTINATION_KINDS: readonly DestinationKind[] = ['duckdb', 'postgres', 'parquet'];

/** Fault rates a trial draws from. */
export const FAULT_RATES: readonly number[] = [0, 0.02, 0.05, 0.15];
/** Never `slow`: it stalls a request for 60 s. */
export const TRIAL_FAULT_KINDS: readonly FaultKind[] = DEFAULT_FAULT_KINDS.filter((kind) => kind !== 'slow');

/** Where a kill lands: after a share of the run's expected time, or of its expected requests. */
export interface KillPoint {
  readonly by: 'time' | 'requests';
  /** 0..1 of the estimate. */
  readonly at: number;
}

export interface TrialPlan {
  readonly seed: number;
  readonly dest: DestinationKind;
  readonly contacts: number;
  readonly simSeed: number;
  readonly faultRate: number;
  readonly faultKinds: readonly FaultKind[];
  readonly faultSeed: number;
  readonly batchRows: number;
  /** Kill points of the runs of phase 1 (the first sync), each run killed then resumed. */
  readonly kills: readonly KillPoint[];
  /** A change to the account after phase 1, and the kill points of phase 2 (the incremental sync after it). */
  readonly mutation: { readonly seed: number; readonly changes: number; readonly kills: readonly KillPoint[] } | null;
}

export interface PlanLimits {
  /** Account size range, default 200..1500 contacts. */
  readonly contacts?: readonly [number, number];
  /** Most killed runs per phase, default 3. */
  readonly maxKills?: number;
  /** Chance of a mutation and a second phase, default 0.5. */
  readonly mutationChance?: number;
  /** Fault rates to draw from, default FAULT_RATES. */
  readonly faultRates?: readonly number[];
}

/** A small, fast, seedable generator (sfc32, seeded through splitmix32). */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** The seed of the `index`-th trial of a campaign. */
export function trialSeed(campaignSeed: number, index: number): number {
  return new Random((campaignSeed >>> 0) ^ Math.imul(index + 1, 0x9e3779b1)).int(1, 2 ** 31 - 1);
}

export function planTrial(seed: number, dest: DestinationKind, limits: PlanLimits = {}): TrialPlan {
  const random = new Random(seed);
  const [low, high] = limits.contacts ?? [200, 1500];
  const maxKills = limits.maxKills ?? 3;
  const killPoints = (): KillPoint[] => {
    // One killed run, and a resume killed in turn half of the time.
    let count = 1;
    while (count < maxKills && random.chance(0.5)) count++;
    return Array.from({ length: count }, () => ({ by: random.chance(0.5) ? 'time' : 'requests', at: 0.05 + random.next() * 0.95 }));
  };
  const faultRate = random.pick(limits.faultRates ?? FAULT_RATES);
  // One kind, a few, or all of them.
  const shuffled = [...TRIAL_FAULT_KINDS].sort(() => random.next() - 0.5);
  const faultKinds = random.chance(0.3) ? [...TRIAL_FAULT_KINDS] : shuffled.slice(0, random.int(1, 3));
  const plan: TrialPlan = {
    seed,
    dest,
    contacts: random.int(low, high),
    simSeed: random.int(1, 1_000_000),
    faultRate,
    faultKinds,
    faultSeed: random.int(1, 1_000_000),
    batchRows: random.int(100, 300),
    kills: killPoints(),
    mutation: null,
  };
  if (!random.chance(limits.mutationChance ?? 0.5)) return plan;
  return { ...plan, mutation: { seed: random.int(1, 1_000_000), changes: random.int(20, 150), kills: killPoints() } };
}

export function describePlan(plan: TrialPlan): string {
  const faults = plan.faultRate === 0 ? 'no faults' : `faults ${plan.faultRate * 100}% [${plan.faultKinds.join(',')}]`;
  const mutation = plan.mutation ? `, ${plan.mutation.changes} changes then ${plan.mutation.kills.length} more kills` : '';
  return `${plan.dest}, ${plan.contacts} contacts, ${faults}, batch ${plan.batchRows}, ${plan.kills.length} kills${mutation}`;
}

/** Figures of one trial (or a campaign: the sums). */
export interface Figures {
  runs: number;
  faultsInjected: number;
  kills: number;
  rowsCompared: number;
  rowsLost: number;
  rowsDuplicated: number;
  silentMismatches: number;
  failedResumes: number;
}

export const emptyFigures = (): Figures => ({
  runs: 0, faultsInjected: 0, kills: 0, rowsCompared: 0, rowsLost: 0, rowsDuplicated: 0, silentMismatches: 0, failedResumes: 0,
});

export interface TrialResult {
  readonly plan: TrialPlan;
  readonly figures: Figures;
  /** Rows present with values other than the account's, in the final copies. */
  readonly rowsStale: number;
  /** Exit codes (or `SIGKILL`) of the runs, in order, phases separated by `|`. */
  readonly exits: string;
  /** What went wrong, one entry each: failed resumes, silent mismatches, differences, hung runs. */
  readonly problems: readonly string[];
  readonly seconds: number;
}

/** How to reach the destinations and the CLI. */
export interface TrialEnvironment {
  /** A PostgreSQL database the trial may create a schema in (postgres trials only). */
  readonly postgresUrl?: string;
  /** Where trials make their temporary directories (default: the OS's). */
  readonly workDir?: string;
  /** The longest a run may take before it counts as hung and is killed, default 180 s. */
  readonly runTimeoutMs?: number;
  /** Told of every run as it ends (`--verbose`). */
  readonly onRun?: (line: string) => void;
}

const BIN = fileURLToPath(new URL('../../bin/acsync.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

const SOURCES = fileURLToPath(new URL('../../src', import.meta.url));

function newestModification(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestModification(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Throws unless the CLI is built (bin/acsync.js runs dist/) from the sources as they are. */
export function checkBuilt(): void {
  if (!existsSync(BUILT)) throw new Error('the CLI is not built (dist/cli/main.js is missing): run npm run build');
  if (statSync(BUILT).mtimeMs < newestModification(SOURCES)) {
    throw new Error('the built CLI (dist/) is older than src/: run npm run build');
  }
}

/** Children running now, for a campaign stopped by Ctrl-C. */
const running = new Set<ReturnType<typeof spawn>>();

/** Kills (SIGKILL) every CLI child a trial has running. */
export function killRunningChildren(): void {
  for (const child of running) child.kill('SIGKILL');
}

interface RunOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Ended by our SIGKILL (a kill point). */
  readonly killed: boolean;
  /** Killed because it ran past the run timeout. */
  readonly hung: boolean;
  readonly ms: number;
  readonly requests: number;
  /** Faults the simulator injected during the run. */
  readonly faults: number;
  /** For a run that did not exit 0: its `error:` and `warn:` lines, or the last lines of its output. */
  readonly messages: string;
}

interface Target {
  readonly uri: string;
  read(table: TableDef): Promise<TypedRow[]>;
  cleanup(): Promise<void>;
}

async function openTarget(plan: TrialPlan, dir: string, environment: TrialEnvironment): Promise<Target> {
  if (plan.dest === 'duckdb') {
    const file = join(dir, 'copy.duckdb');
    return { uri: `duckdb:${file}`, read: (table) => readDuckDbTable(file, table), cleanup: async () => undefined };
  }
  if (plan.dest === 'parquet') {
    const lake = join(dir, 'lake');
    return { uri: `parquet:${lake}`, read: (table) => readParquetTable(lake, table), cleanup: async () => undefined };
  }
  const url = environment.postgresUrl;
  if (!url) throw new Error('a postgres trial needs a PostgreSQL server (TrialEnvironment.postgresUrl)');
  const schema = `reliability_${plan.seed}`;
  const dropSchema = () => withPostgres(url, async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
  await dropSchema();
  return {
    uri: `${url}${url.includes('?') ? '&' : '?'}schema=${schema}`,
    read: (table) => readPostgresTable(url, table, schema),
    cleanup: dropSchema,
  };
}

const totalFaults = (sim: Simulator) => Object.values(sim.stats().faults).reduce((sum, n) => sum + n, 0);

function childEnvironment(): NodeJS.ProcessEnv {
  // The user's own settings must not leak into a trial.
  const env = { ...process.env };
  for (const name of ['ACTIVECAMPAIGN_URL', 'ACTIVECAMPAIGN_KEY', 'ACSYNC_DEST']) delete env[name];
  return env;
}

/** Runs `acsync sync` once; `kill` (ms after the start, or requests served) ends it with SIGKILL. */
function runCli(
  args: readonly string[],
  cwd: string,
  sim: Simulator,
  kill: { readonly afterMs?: number; readonly afterRequests?: number } | null,
  timeoutMs: number,
): Promise<RunOutcome> {
  const started = Date.now();
  const requestsAtStart = sim.stats().requests;
  const faultsAtStart = totalFaults(sim);
  // A process group of its own: Ctrl-C on the campaign must not interrupt the run (the campaign finishes its trial).
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: childEnvironment(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout = (stdout + chunk.toString()).slice(-20_000); });
  child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-20_000); });
  let killedByUs = false;
  let hung = false;
  const killNow = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killedByUs = true;
    child.kill('SIGKILL');
  };
  const timers: NodeJS.Timeout[] = [];
  timers.push(setTimeout(() => {
    hung = true;
    killNow();
  }, timeoutMs));
  if (kill?.afterMs !== undefined) timers.push(setTimeout(killNow, kill.afterMs));
  if (kill?.afterRequests !== undefined) {
    const threshold = requestsAtStart + kill.afterRequests;
    const poll = setInterval(() => {
      if (sim.stats().requests >= threshold) {
        clearInterval(poll);
        killNow();
      }
    }, 3);
    timers.push(poll);
  }
  return new Promise((resolve, reject) => {
    child.on('error', (error) => {
      running.delete(child);
      for (const timer of timers) clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      for (const timer of timers) clearTimeout(timer);
      const flagged = stderr.split('\n').filter((line) => /^(error|warn): /.test(line));
      const failed = code !== 0 && !(killedByUs && !hung);
      const messages = !failed ? '' : flagged.length > 0 ? flagged.slice(0, 4).join(' / ') : (stderr || stdout).trim().split('\n').slice(-3).join(' / ');
      resolve({
        code,
        signal,
        killed: killedByUs && signal === 'SIGKILL' && !hung,
        hung,
        ms: Date.now() - started,
        requests: sim.stats().requests - requestsAtStart,
        faults: totalFaults(sim) - faultsAtStart,
        messages,
      });
    });
  });
}

const short = (text: string, length = 300) => (text.length > length ? `${text.slice(0, length)}…` : text);

/** Runs one trial to its end; never throws for what it finds (only for a broken environment). */
export async function runTrial(plan: TrialPlan, environment: TrialEnvironment = {}): Promise<TrialResult> {
  checkBuilt();
  const started = Date.now();
  const figures = emptyFigures();
  const problems: string[] = [];
  const exits: string[] = [];
  let rowsStale = 0;
  const timeoutMs = environment.runTimeoutMs ?? 180_000;

  const dir = mkdtempSync(join(environment.workDir ?? tmpdir(), `acsync-reliability-${plan.seed}-`));
  const sim = await startSimulator({ seed: plan.simSeed, contacts: plan.contacts, rateLimit: 0 });
  let target: Target | undefined;
  try {
    target = await openTarget(plan, dir, environment);
    const copy = target;
    const args = ['sync', '--url', sim.url, '--key', sim.key, '--dest', copy.uri, '--rate', '1000', '--batch-rows', String(plan.batchRows)];
    // What a run takes, to place kill points: guessed from the account's size until a whole run has been timed.
    let estimate = { ms: 1500 + plan.contacts * 5, requests: 25 + Math.ceil(plan.contacts * 0.055) };

    const compare = async (prior: PriorKeys | null): Promise<Comparison> => {
      const result = await compareCopy((table) => copy.read(table), sim.account, prior);
      figures.rowsCompared += result.compared;
      return result;
    };

    const run = async (kill: KillPoint | null, label: string): Promise<RunOutcome> => {
      const point = kill && (kill.by === 'time' ? { afterMs: Math.round(kill.at * estimate.ms) } : { afterRequests: Math.max(1, Math.round(kill.at * estimate.requests)) });
      const outcome = await runCli(args, dir, sim, point, timeoutMs);
      figures.runs++;
      if (outcome.killed) figures.kills++;
      exits.push(outcome.killed ? 'K' : outcome.hung ? 'hung' : String(outcome.code ?? outcome.signal));
      const where = point ? ('afterMs' in point ? `kill at ${point.afterMs} ms` : `kill at ${point.afterRequests} requests`) : 'no kill';
      environment.onRun?.(`  ${label}: ${where} → ${exits.at(-1)} after ${outcome.ms} ms, ${outcome.requests} requests, ${outcome.faults} faults` +
        `${outcome.messages ? `; ${short(outcome.messages)}` : ''}`);
      if (outcome.hung) problems.push(`${label} hung (killed after ${Math.round(timeoutMs / 1000)} s)${outcome.messages ? `: ${short(outcome.messages)}` : ''}`);
      return outcome;
    };

    /** Runs a phase; false when its final run failed twice (the copy is then not complete enough to go on). */
    const phase = async (number: 1 | 2, kills: readonly KillPoint[], prior: PriorKeys | null): Promise<boolean> => {
      const name = number === 1 ? 'first sync' : 'sync after the changes';
      sim.setFaults({ rate: plan.faultRate, kinds: [...plan.faultKinds], seed: plan.faultSeed + number });
      // An incremental pass re-reads the full tables and only the changed rows of the others: a guess until timed.
      if (number === 2) estimate = { ms: Math.round(estimate.ms * 0.7), requests: Math.round(estimate.requests * 0.7) };
      for (const [index, kill] of kills.entries()) {
        const label = `${name}, run ${index + 1} (faults ${plan.faultRate * 100}%)`;
        const outcome = await run(kill, label);
        if (!outcome.killed && !outcome.hung && outcome.code !== 0 && outcome.faults === 0) {
          // Faults explain a failed run; without any, it is a finding of its own (not one of the campaign's figures).
          problems.push(`${label} exited ${String(outcome.code ?? outcome.signal)} with no fault injected: ${short(outcome.messages)}`);
        }
        if (outcome.killed || outcome.code !== 0) continue;
        // The phase's whole pass, timed: the next kill points are placed within it.
        if (index === 0) estimate = { ms: outcome.ms, requests: outcome.requests };
        // Ended before its kill point, with success: its copy must equal the account.
        const result = await compare(prior);
        if (!result.equal) {
          figures.silentMismatches++;
          problems.push(`SILENT MISMATCH: ${label} exited 0 with ${describeDifferences(result.differences)}`);
        }
      }
      sim.setFaults({ rate: 0 });
      let final = await run(null, `${name}, final run`);
      if (final.code !== 0) {
        figures.failedResumes++;
        const first = final;
        // Once more, to tell a failure that lasts from one that a further run clears.
        final = await run(null, `${name}, final run again`);
        problems.push(`FAILED RESUME: ${name}, final run with faults off exited ${first.hung ? 'hung' : String(first.code ?? first.signal)}: ${short(first.messages)}` +
          ` (run again: exit ${final.hung ? 'hung' : String(final.code ?? final.signal)})`);
        if (final.code !== 0) return false;
      } else if (number === 1) {
        // A resume takes part of a pass: a pass takes at least as long.
        estimate = { ms: Math.max(estimate.ms, final.ms), requests: Math.max(estimate.requests, final.requests) };
      }
      const result = await compare(prior);
      figures.rowsLost += result.lost;
      figures.rowsDuplicated += result.duplicated;
      rowsStale += result.stale;
      if (!result.equal) {
        figures.silentMismatches++;
        problems.push(`SILENT MISMATCH: ${name}, final run exited 0 with ${describeDifferences(result.differences)}`);
      }
      return true;
    };

    const completed = await phase(1, plan.kills, null);
    if (completed && plan.mutation) {
      const prior = incrementalKeys(sim.account);
      sim.mutate(plan.mutation.seed, plan.mutation.changes);
      exits.push('|');
      await phase(2, plan.mutation.kills, prior);
    }
  } finally {
    figures.faultsInjected = totalFaults(sim);
    await sim.close();
    await target?.cleanup().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    plan,
    figures,
    rowsStale,
    exits: exits.join(' '),
    problems,
    seconds: (Date.now() - started) / 1000,
  };
}

/** Adds `b` into `a`. */
export function addFigures(a: Figures, b: Figures): void {
  for (const key of Object.keys(a) as (keyof Figures)[]) a[key] += b[key];
}

/** One human line for a trial. */
export function describeTrial(index: number, result: TrialResult): string {
  const { figures: f } = result;
  const head = `trial ${index} seed ${result.plan.seed}: ${describePlan(result.plan)}`;
  const body = `${f.runs} runs [${result.exits}], ${f.kills} killed, ${f.faultsInjected} faults, ${f.rowsCompared} rows compared`;
  const verdict = result.problems.length === 0 ? 'ok' : result.problems.join(' ; ');
  return `${head} → ${body}, ${result.seconds.toFixed(1)} s: ${verdict}`;
}
