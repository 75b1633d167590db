/**
 * `acsync worker --queue postgres://…`: takes sync jobs from the service's shared queue and runs them. Start any
 * number, on any machines, beside one or more `acsync serve --queue` with the same URL. SIGTERM (or Ctrl-C) stops
 * each running sync after its current batch and hands its job back to the queue at once; a second signal quits
 * at once, leaving the jobs to be taken again after their lease.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../core/errors.js';
import { runConnectorJob } from '../service/api/runner.js';
import { MASTER_KEY_FILE } from '../service/api/secrets.js';
import { prepareApi } from '../service/api/server.js';
import type { RunJobHandler, ServiceDb } from '../service/jobs.js';
import { DEFAULT_DATA_DIR, DEFAULT_QUEUE_TIMING } from '../service/defaults.js';
import { openService } from '../service/queue/index.js';
import { parsePositiveNumber, queueUrl } from './config.js';
import { EXIT } from './exit.js';
import type { Logger } from './log.js';

export interface WorkerFlags {
  queue?: string;
  concurrency?: string;
  dataDir?: string;
  lease?: string;
  poll?: string;
  handler?: string;
  rate?: string;
  logFormat?: string;
}

/** What a test's run handler gets to work with (`--handler`): the service's database and folder. */
export interface WorkerContext {
  readonly db: ServiceDb;
  readonly dataDir: string;
}

/** A module given with `--handler` exports `createRunJobHandler(context)`. */
interface HandlerModule {
  createRunJobHandler?: (context: WorkerContext) => RunJobHandler;
}


export async function runWorker(flags: WorkerFlags, logger: Logger): Promise<number> {
  const queue = queueUrl(flags.queue);
  if (!queue) throw new ConfigError('acsync worker needs --queue postgres://… (or ACSYNC_QUEUE): the database shared with acsync serve --queue');
  const concurrency = parsePositiveNumber(flags.concurrency, '--concurrency') ?? 1;
  if (!Number.isInteger(concurrency)) throw new ConfigError(`--concurrency must be a whole number (got ${flags.concurrency})`);
  const leaseSeconds = parsePositiveNumber(flags.lease, '--lease') ?? DEFAULT_QUEUE_TIMING.leaseSeconds;
  const pollSeconds = parsePositiveNumber(flags.poll, '--poll') ?? DEFAULT_QUEUE_TIMING.pollSeconds;
  const requestsPerSecond = parsePositiveNumber(flags.rate, '--rate');
  const dataDir = resolve(flags.dataDir ?? DEFAULT_DATA_DIR);
  const handlerModule = flags.handler ? await loadHandlerModule(flags.handler) : null;
  // A worker decrypts keys the API sealed: a master key of its own would open none of them.
  if (!handlerModule && !process.env.ACSYNC_MASTER_KEY && !existsSync(join(dataDir, MASTER_KEY_FILE))) {
    throw new ConfigError(`the worker needs the service's master key: set ACSYNC_MASTER_KEY as for acsync serve, or --data-dir to a folder holding its ${MASTER_KEY_FILE}`);
  }

  const service = await openService({
    queue,
    dataDir,
    // A job whose account is busy is tried again a little after the next poll.
    timing: { leaseSeconds, pollSeconds, busyRetrySeconds: pollSeconds * 2.5 },
    onError: (error) => logger.warn(`queue: ${error.message}`),
  });
  let run: RunJobHandler;
  try {
    run = handlerModule ? handlerOf(handlerModule, { db: service.db, dataDir }) : runConnectorJob({
      db: service.db,
      box: await prepareApi(service.db, dataDir),
      ...(requestsPerSecond !== undefined && { requestsPerSecond }),
      log: (level, message) => logger[level](message),
    });
  } catch (error) {
    await service.close();
    throw error;
  }
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

async function loadHandlerModule(path: string): Promise<HandlerModule> {
  return (await import(pathToFileURL(resolve(path)).href)) as HandlerModule;
}

function handlerOf(module: HandlerModule, context: WorkerContext): RunJobHandler {
  if (typeof module.createRunJobHandler !== 'function') throw new ConfigError('the --handler module exports no createRunJobHandler');
  return module.createRunJobHandler(context);
}
