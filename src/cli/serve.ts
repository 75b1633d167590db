import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { redactUri } from '../core/secrets.js';
import { runConnectorJob } from '../service/api/runner.js';
import { isLoopbackHost, startApiServer } from '../service/api/server.js';
import { refusedWebhookUrl } from '../service/api/webhook-targets.js';
import { settleNotifications } from '../service/api/webhooks.js';
import { DEFAULT_PORT } from '../service/defaults.js';
import { openService } from '../service/queue/index.js';
import { parsePositiveNumber, queueUrl } from './config.js';
import type { Logger } from './log.js';


export interface ServeFlags {
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

export async function runServe(flags: ServeFlags, logger: Logger): Promise<number> {
  const port = flags.port === '0' ? 0 : parsePositiveNumber(flags.port, '--port', 65_535);
  const concurrency = parsePositiveNumber(flags.concurrency, '--concurrency', 32) ?? 2;
  const requestsPerSecond = parsePositiveNumber(flags.rate, '--rate');
  const queue = queueUrl(flags.queue);
  const token = readToken(flags);
  const webhook = flags.webhook !== undefined ? checkWebhook(flags.webhook) : null;
  // Said before the database opens: a refused start should cost nothing.
  if (!isLoopbackHost(flags.host) && token === null) {
    throw new ConfigError(`listening on ${flags.host} (beyond this machine) needs a bearer token: set ACSYNC_API_TOKEN or pass --token-file`);
  }
  const dataDir = resolve(flags.dataDir);
  const service = await openService({
    dataDir,
    queue,
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
  const working = queue === undefined
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
  logger.info(`acsync service on ${server.url} (OpenAPI: ${server.url}/openapi.json), data in ${dataDir}${queue ? `, queue ${redactUri(queue)}` : ''}`);

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
  const protocol = URL.canParse(url) ? new URL(url).protocol : '';
  if (protocol !== 'http:' && protocol !== 'https:') throw new ConfigError(`--webhook must be an http:// or https:// URL (got ${redactUri(url)})`);
  const refused = refusedWebhookUrl(url);
  if (refused) throw new ConfigError(`--webhook: ${refused}`);
  return url;
}
