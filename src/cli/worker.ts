/**
 * `acsync worker --queue postgres://…`: takes sync jobs from the service's shared queue and runs them. Start any
 * number, on any machines, beside one or more `acsync serve --queue` with the same URL. SIGTERM (or Ctrl-C) stops
 * each running sync after its current batch and hands its job back to the queue at once; a second signal quits
 * at once, leaving the jobs to be taken again after their lease.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Option, type Command } from 'commander';
import { ConfigError } from '../core/errors.js';
import type { RunJobHandler, ServiceDb } from '../service/jobs.js';
import { DEFAULT_QUEUE_TIMING, isPostgresUrl, openService } from '../service/queue/index.js';
import { parsePositiveNumber } from './config.js';
import { EXIT, runCli } from './exit.js';
import type { Logger } from './log.js';

interface WorkerFlags {
  queue?: string;
  concurrency?: string;
  dataDir?: string;
  lease?: string;
  poll?: string;
  handler?: string;
  logFormat?: string;
}

/** What a run handler gets to work with: the service's database and folder. */
export interface WorkerContext {
  readonly db: ServiceDb;
  readonly dataDir: string;
}

/**
 * A module that runs jobs exports `createRunJobHandler(context)`, or `runConnectorJob(job, signal, context)`
 * (the service's own, src/service/api/runner.ts).
 */
interface HandlerModule {
  createRunJobHandler?: (context: WorkerContext) => RunJobHandler;
  runConnectorJob?: (job: Parameters<RunJobHandler>[0], signal: AbortSignal, context: WorkerContext) => Promise<void>;
}

/** The service's own runner, beside the API that records the runs. */
const SERVICE_RUNNER = '../service/api/runner.js';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('take sync jobs from the service queue shared with acsync serve --queue, and run them')
    .option('--queue <url>', 'PostgreSQL URL of the service database, as given to acsync serve --queue (env ACSYNC_QUEUE)')
    .option('--concurrency <n>', 'syncs run at once, of different accounts (default 1)')
    .option('--data-dir <dir>', 'the service folder, for its master key (default ./acsync-data; env ACSYNC_DATA_DIR)')
    .option('--lease <seconds>', `how long the job of a worker that died waits before another worker takes it (default ${DEFAULT_QUEUE_TIMING.leaseSeconds})`)
    .addOption(new Option('--poll <seconds>', 'how often an idle worker looks for a job').hideHelp())
    .addOption(new Option('--handler <module>', 'a module that runs the jobs instead of the service runner').hideHelp())
    .option('--log-format <format>', 'text or json', 'text')
    .action(async (flags: WorkerFlags) => {
      process.exitCode = await runCli(flags.logFormat, (logger) => runWorker(flags, logger));
    });
}

async function runWorker(flags: WorkerFlags, logger: Logger): Promise<number> {
  const queue = flags.queue ?? process.env.ACSYNC_QUEUE;
  if (!queue) throw new ConfigError('acsync worker needs --queue postgres://… (or ACSYNC_QUEUE): the database shared with acsync serve --queue');
  if (!isPostgresUrl(queue)) throw new ConfigError('--queue must be a PostgreSQL URL (postgres://user:password@host:port/database)');
  const concurrency = parsePositiveNumber(flags.concurrency, '--concurrency') ?? 1;
  if (!Number.isInteger(concurrency)) throw new ConfigError(`--concurrency must be a whole number (got ${flags.concurrency})`);
  const leaseSeconds = parsePositiveNumber(flags.lease, '--lease') ?? DEFAULT_QUEUE_TIMING.leaseSeconds;
  const pollSeconds = parsePositiveNumber(flags.poll, '--poll') ?? DEFAULT_QUEUE_TIMING.pollSeconds;
  const dataDir = resolve(flags.dataDir ?? process.env.ACSYNC_DATA_DIR ?? 'acsync-data');
  const handlerModule = await loadHandlerModule(flags.handler);

  const service = await openService({
    queue,
    dataDir,
    // A job whose account is busy is tried again a little after the next poll.
    timing: { leaseSeconds, pollSeconds, busyRetrySeconds: pollSeconds * 2.5 },
    onError: (error) => logger.warn(`queue: ${error.message}`),
  });
  const context: WorkerContext = { db: service.db, dataDir };
  const run = handlerOf(handlerModule, context);
  const handler: RunJobHandler = async (job, signal) => {
    logger.info(`run ${job.id} of connector ${job.connectorId} started (${job.kind}${job.attempt > 0 ? `, attempt ${job.attempt + 1}` : ''})`,
      { event: 'run_started', job: job.id, connector: job.connectorId, attempt: job.attempt });
    try {
      await run(job, signal);
      logger.info(`run ${job.id} ${signal.aborted ? 'stopped' : 'ended'}`, { event: 'run_ended', job: job.id, stopped: signal.aborted });
    } catch (error) {
      logger.warn(`run ${job.id} failed: ${error instanceof Error ? error.message : String(error)}`, { event: 'run_failed', job: job.id });
      throw error;
    }
  };

  let signals = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) process.exit(EXIT.interrupted);
    logger.info(`${name}: stopping after the current batch; running jobs go back to the queue`, { event: 'stopping' });
    void service.jobs.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    logger.info(`worker ready (pid ${process.pid}, ${concurrency} at once)`, { event: 'ready', pid: process.pid, concurrency });
    await service.jobs.work(handler, { concurrency });
  } finally {
    await service.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  logger.info('worker stopped', { event: 'stopped' });
  return EXIT.ok;
}

async function loadHandlerModule(path: string | undefined): Promise<HandlerModule> {
  const specifier = path ? pathToFileURL(resolve(path)).href : SERVICE_RUNNER;
  try {
    return (await import(specifier)) as HandlerModule;
  } catch (error) {
    if (!path && (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new ConfigError('this build of acsync has no service runner (src/service/api/runner.ts)');
    }
    throw error;
  }
}

function handlerOf(module: HandlerModule, context: WorkerContext): RunJobHandler {
  if (typeof module.createRunJobHandler === 'function') return module.createRunJobHandler(context);
  const runConnectorJob = module.runConnectorJob;
  if (typeof runConnectorJob === 'function') return (job, signal) => runConnectorJob(job, signal, context);
  throw new ConfigError('the run handler module exports neither createRunJobHandler nor runConnectorJob');
}
