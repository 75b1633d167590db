/** `acsync simulate`: the work behind the command declared in ./commands/simulate.ts. */
import {
  resolveOptions, startSimulator, type LimiterKind, type SimulatorOptions, type TotalMode,
} from '../simulator/index.js';

export interface SimulateFlags {
  port: string;
  host?: string;
  seed?: string;
  contacts?: string;
  latencyMs?: string;
  jitterMs?: string;
  rateLimit?: string;
  rateLimitStatus?: string;
  limiter?: string;
  retryAfterSeconds?: string;
  key?: string;
  faults?: string;
  deny?: string;
  sideloads?: string;
  total?: string;
  cdateTies?: boolean;
  /** false with --no-child-changes-bump-parent. */
  childChangesBumpParent?: boolean;
  perParentIdsIgnored?: boolean;
  notFoundParents?: string;
  clockSkewSeconds?: string;
  dateHeader?: boolean;
  changesDuringSync?: string;
}

const USAGE_ERROR = 2;

function integer(flag: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new RangeError(`${flag} must be an integer (got ${JSON.stringify(value)})`);
  return Number(value);
}

function decimal(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new RangeError(`${flag} must be a number (got ${JSON.stringify(value)})`);
  return n;
}

/** Turns the command's flags into simulator options; throws a RangeError naming the first bad flag. */
export function simulatorOptionsFromFlags(flags: SimulateFlags): SimulatorOptions {
  const options: SimulatorOptions = { port: integer('--port', flags.port) };
  if (flags.host !== undefined) options.host = flags.host;
  if (flags.seed !== undefined) options.seed = integer('--seed', flags.seed);
  if (flags.contacts !== undefined) options.contacts = integer('--contacts', flags.contacts);
  if (flags.latencyMs !== undefined) options.latencyMs = decimal('--latency-ms', flags.latencyMs);
  if (flags.jitterMs !== undefined) options.jitterMs = decimal('--jitter-ms', flags.jitterMs);
  if (flags.rateLimit !== undefined) options.rateLimit = decimal('--rate-limit', flags.rateLimit);
  if (flags.rateLimitStatus !== undefined) options.rateLimitStatus = integer('--rate-limit-status', flags.rateLimitStatus) as 429 | 503;
  if (flags.limiter !== undefined) options.limiter = flags.limiter as LimiterKind;
  if (flags.retryAfterSeconds !== undefined) options.retryAfterSeconds = integer('--retry-after-seconds', flags.retryAfterSeconds);
  if (flags.key !== undefined) options.key = flags.key;
  if (flags.faults !== undefined) options.faults = decimal('--faults', flags.faults);
  if (flags.deny !== undefined) options.deny = flags.deny.split(',').map((t) => t.trim()).filter(Boolean);
  if (flags.sideloads !== undefined) {
    const mode = flags.sideloads.trim();
    options.sideloads = mode === 'full' || mode === 'none' ? mode : integer('--sideloads', mode);
  }
  if (flags.total !== undefined) options.total = flags.total as TotalMode;
  if (flags.cdateTies) options.cdateTies = true;
  if (flags.childChangesBumpParent === false) options.childChangesBumpParent = false;
  if (flags.perParentIdsIgnored) options.perParentIds = 'ignored';
  if (flags.notFoundParents !== undefined) options.notFoundParents = decimal('--not-found-parents', flags.notFoundParents);
  if (flags.clockSkewSeconds !== undefined) options.clockSkewSeconds = integer('--clock-skew-seconds', flags.clockSkewSeconds);
  if (flags.dateHeader === false) options.dateHeader = false;
  if (flags.changesDuringSync !== undefined) {
    const match = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(flags.changesDuringSync);
    if (!match) throw new RangeError(`--changes-during-sync must be <every>:<changes>, e.g. 200:50 (got ${JSON.stringify(flags.changesDuringSync)})`);
    options.changesDuringSync = { every: Number(match[1]), changes: Number(match[2]) };
  }
  // Same checks as startSimulator, so a bad value is a usage error before anything listens.
  try {
    resolveOptions(options);
  } catch (error) {
    // resolveOptions names the option (`latencyMs must be…`); say it as the flag the user typed.
    const message = (error as Error).message.replace(/^(\w+)/, (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    throw new RangeError(message);
  }
  return options;
}

/** `acsync simulate`: runs the ActiveCampaign simulator in the foreground until SIGINT or SIGTERM. */
export async function runSimulate(flags: SimulateFlags): Promise<void> {
  let options: SimulatorOptions;
  try {
    options = simulatorOptionsFromFlags(flags);
  } catch (error) {
    process.stderr.write(`acsync simulate: ${(error as Error).message}\n`);
    process.exitCode = USAGE_ERROR;
    return;
  }
  let simulator;
  try {
    simulator = await startSimulator(options);
  } catch (error) {
    process.stderr.write(`acsync simulate: cannot listen: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`ActiveCampaign simulator at ${simulator.url}  key: ${simulator.key}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await simulator.close();
  process.stdout.write('simulator stopped\n');
}
