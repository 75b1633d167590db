/**
 * The reliability campaign: trials of fault-injected syncs killed with SIGKILL and resumed, each ending with a copy
 * compared table by table with the simulated account (bench/support/reliability-trial.ts tells how a trial works).
 *
 *   npm run reliability -- [--minutes 5] [--seed N] [--dest duckdb,postgres,parquet] [--trials N] [--verbose]
 *   npm run reliability -- --trial-seed N --dest duckdb [--trials 5]     (repeat one trial's plan, as printed)
 *
 * No trial starts after `--minutes`; the one in flight finishes. Trials take the destinations in turn, in an order
 * shuffled anew for every round. The seed (default: from the clock) is printed: the same seed gives the same trials.
 * One line a trial, then one JSON line with the figures; the exit code is 1 if any row was lost or duplicated, any
 * run exited 0 with a copy unequal to the account (a silent mismatch), or a final sync with faults off failed.
 */
import { parseArgs } from 'node:util';
import type { TestPostgres } from '../test/support/postgres.js';
import {
  DESTINATION_KINDS, Random, addFigures, checkBuilt, describeTrial, emptyFigures, killRunningChildren, planTrial, runTrial, trialSeed,
  type DestinationKind,
} from './support/reliability-trial.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    seed: { type: 'string' },
    dest: { type: 'string', default: DESTINATION_KINDS.join(',') },
    trials: { type: 'string' },
    'trial-seed': { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const minutes = Number(args.minutes);
if (!(minutes > 0)) fail(`--minutes must be a positive number (got ${args.minutes})`);
const seed = args.seed === undefined ? Date.now() % 2_147_483_647 : Number(args.seed);
if (!Number.isSafeInteger(seed)) fail(`--seed must be an integer (got ${args.seed})`);
const maxTrials = args.trials === undefined ? Infinity : Number(args.trials);
if (!(maxTrials >= 1)) fail(`--trials must be a positive integer (got ${args.trials})`);
const onlySeed = args['trial-seed'] === undefined ? undefined : Number(args['trial-seed']);
if (onlySeed !== undefined && !Number.isSafeInteger(onlySeed)) fail(`--trial-seed must be an integer (got ${args['trial-seed']})`);
const dests = [...new Set(args.dest.split(',').map((d) => d.trim()).filter(Boolean))] as DestinationKind[];
const unknown = dests.filter((d) => !DESTINATION_KINDS.includes(d));
if (dests.length === 0 || unknown.length > 0) fail(`--dest must list some of ${DESTINATION_KINDS.join(', ')} (got ${args.dest})`);
try {
  checkBuilt();
} catch (error) {
  fail((error as Error).message);
}

console.log(`reliability campaign: seed ${seed} (repeat with --seed ${seed}), ${minutes} min, destinations ${dests.join(', ')}`);
console.log('each trial: kill -9 at random moments with faults on, resume, a final sync with faults off, the copy compared with the account;');
console.log('after changes to the account, incremental tables are compared as the correctness suite does (no --full-refresh): rows deleted');
console.log('in the account may remain until a full pass, contacts_tags may lack associations added since; every other row must be current.');

let postgres: TestPostgres | undefined;
let stopping = false;
const onSignal = () => {
  if (stopping) {
    killRunningChildren();
    process.exit(130);
  }
  stopping = true;
  console.log('stopping after the trial in flight (Ctrl-C again to stop now)');
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const started = Date.now();
const deadline = started + minutes * 60_000;
const totals = emptyFigures();
let trials = 0;
try {
  if (dests.includes('postgres')) {
    const { startPostgres } = await import('../test/support/postgres.js');
    postgres = await startPostgres();
  }
  const order = new Random(seed);
  let round: DestinationKind[] = [];
  while (!stopping && Date.now() < deadline && trials < maxTrials) {
    if (round.length === 0) round = [...dests].sort(() => order.next() - 0.5);
    const dest = round.shift() as DestinationKind;
    const plan = planTrial(onlySeed ?? trialSeed(seed, trials), dest);
    trials++;
    const result = await runTrial(plan, {
      ...(postgres && { postgresUrl: postgres.url }),
      ...(args.verbose && { onRun: (line: string) => console.log(line) }),
    });
    addFigures(totals, result.figures);
    console.log(describeTrial(trials, result));
  }
} finally {
  killRunningChildren();
  await postgres?.stop();
}

const elapsedMinutes = Math.round(((Date.now() - started) / 60_000) * 100) / 100;
console.log(JSON.stringify({ ...totals, trials, minutes: elapsedMinutes, seed }));
const bad = totals.rowsLost + totals.rowsDuplicated + totals.silentMismatches + totals.failedResumes;
process.exitCode = bad > 0 ? 1 : 0;
