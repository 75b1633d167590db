import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ConfigError } from '../core/errors.js';
import { redactUri } from '../core/secrets.js';
import { runConnectorJob } from '../service/api/runner.js';
import { isLoopbackHost, startApiServer } from '../service/api/server.js';
import { settleNotifications } from '../service/api/webhooks.js';
import { openService } from '../service/queue/index.js';
import { parsePositiveNumber } from './config.js';
import { runCli } from './exit.js';
import type { Logger } from './log.js';

export const DEFAULT_PORT = 8321;
export const DEFAULT_DATA_DIR = 'acsync-service';

interface ServeFlags {
  port: string;
  host: string;
  dataDir: string;
  queue?: string;
  tokenFile?: string;
  webhook?: string;
  concurrency: string;
  rate?: string;
  logFormat?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run acsync as a service: a JSON API (OpenAPI at /openapi.json) for connectors, schedules and runs')
    .option('--port <n>', 'port to listen on', String(DEFAULT_PORT))
    .option('--host <address>', 'address to listen on; beyond 127.0.0.1 a bearer token is required', '127.0.0.1')
    .option('--data-dir <dir>', 'the service folder: embedded database, master key, default DuckDB copies', DEFAULT_DATA_DIR)
    .option('--queue <url>', 'postgres://… to share connectors and runs with other serve and worker processes (runs then go to `acsync worker`)')
    .option('--token-file <file>', 'file holding the bearer token the API requires (or env ACSYNC_API_TOKEN)')
    .option('--webhook <url>', "receives every connector's failed and partial runs, and its recoveries")
    .option('--concurrency <n>', 'runs at once in this process (runs of one account never overlap)', '2')
    .addOption(new Option('--rate <n>', 'requests per second (above 5 only for a simulator on this machine)').hideHelp())
    .option('--log-format <format>', 'text or json', 'text')
    .action(async (flags: ServeFlags) => {
      process.exitCode = await runCli(flags.logFormat, (logger) => runServe(flags, logger));
    });
}

function readToken(flags: ServeFlags): string | null {
  if (flags.tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.tokenFile, 'utf8');
    } catch {
      throw new ConfigError(`cannot read the token file ${flags.tokenFile}: check the path given to --token-file`);
    }
    const token = text.trim();
    if (!token) throw new ConfigError(`the token file ${flags.tokenFile} is empty`);
    return token;
  }
  const fromEnv = process.env.ACSYNC_API_TOKEN?.trim();
  return fromEnv ? fromEnv : null;
}

async function runServe(flags: ServeFlags, logger: Logger): Promise<number> {
  const port = flags.port === '0' ? 0 : parsePositiveNumber(flags.port, '--port', 65_535);
  const concurrency = parsePositiveNumber(flags.concurrency, '--concurrency', 32) ?? 2;
  const requestsPerSecond = parsePositiveNumber(flags.rate, '--rate');
  const token = readToken(flags);
  const webhook = flags.webhook !== undefined ? checkWebhook(flags.webhook) : null;
  // Said before the database opens: a refused start should cost nothing.
  if (!isLoopbackHost(flags.host) && token === null) {
    throw new ConfigError(`listening on ${flags.host} (beyond this machine) needs a bearer token: set ACSYNC_API_TOKEN or pass --token-file`);
  }
  const dataDir = resolve(flags.dataDir);
  const service = await openService({
    dataDir,
    queue: flags.queue,
    onError: (error) => logger.warn(`queue: ${error.message}`),
  });
  let server;
  try {
    server = await startApiServer({ db: service.db, queue: service.jobs, dataDir, port: port ?? DEFAULT_PORT, host: flags.host, token, webhook });
  } catch (error) {
    await service.close();
    throw error;
  }
  // Without a shared queue, nothing else would run the jobs: this process does.
  const working = flags.queue === undefined
    ? service.jobs.work(
      runConnectorJob({
        db: service.db,
        box: server.box,
        ...(requestsPerSecond !== undefined && { requestsPerSecond }),
        log: (level, message) => logger.log(level, message),
      }),
      { concurrency: Math.floor(concurrency) },
    )
    : Promise.resolve();
  logger.info(`acsync service on ${server.url} (OpenAPI: ${server.url}/openapi.json), data in ${dataDir}${flags.queue ? `, queue ${redactUri(flags.queue)}` : ''}`);

  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  logger.info('stopping: running syncs keep every committed batch and resume at the next start');
  await server.close();
  await service.close();
  await working.catch(() => undefined);
  await settleNotifications(5000);
  return 0;
}

function checkWebhook(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return url;
  } catch {
    // Said below.
  }
  throw new ConfigError(`--webhook must be an http:// or https:// URL (got ${redactUri(url)})`);
}
