import { Option, type Command } from 'commander';
import { ActiveCampaignClient } from '../activecampaign/client.js';
import { ApiError, ConfigError } from '../core/errors.js';
import { RequestBudget } from '../activecampaign/rate-limiter.js';
import { isLoopbackUrl } from '../activecampaign/url.js';
import { openDestination } from '../destinations/index.js';
import { checkAccount, sync, type SyncResult } from '../engine/sync.js';
import { USER_AGENT } from '../core/version.js';
import {
  DEFAULT_DEST,
  checkTimeZone,
  chooseModes,
  loadConfigFile,
  parseFullRefresh,
  parseModes,
  parsePositiveNumber,
  resolveConnection,
  selectTables,
  type SyncFlags,
} from './config.js';
import { registerSecret } from '../core/secrets.js';
import { createLogger, parseLogFormat, type Logger } from './log.js';
import { createProgress } from './progress.js';

/**
 * Exit codes: 0 every table copied; 1 the run failed; 2 bad input (nothing written); 3 some tables skipped or
 * failed; 130 interrupted (SIGINT/SIGTERM), to be resumed by the next run.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, partial: 3, interrupted: 130 } as const;

export function connectionOptions(command: Command): Command {
  return command
    .option('--url <url>', 'API URL from ActiveCampaign Settings → Developer (env ACTIVECAMPAIGN_URL)')
    .option('--key <key>', 'API key from the same page (env ACTIVECAMPAIGN_KEY); never printed')
    .option('--config <file>', 'JSON config file (default: ./acsync.json if present)')
    .option('--log-format <format>', 'text or json', 'text');
}

export function registerSync(program: Command): void {
  connectionOptions(
    program
      .command('sync')
      .description('replicate the account into the destination (incremental where possible)')
      .option('--dest <uri>', `destination (default ${DEFAULT_DEST}; env ACSYNC_DEST)`)
      .option('--tables <list>', 'only these tables (comma-separated)')
      .option('--exclude <list>', 'every table but these')
      .option('--mode <list>', 'per-table mode, e.g. contacts=incremental,deals=full')
      .option('--full-refresh <tables>', 'force a full pass on these incremental tables, or "all"')
      .option('--timezone <zone>', 'account time zone (IANA, e.g. America/Sao_Paulo) for naive timestamps')
      .option('--rate <n>', 'requests per second, at most 5 (the API limit per account; no cap for a local simulator)')
      .addOption(new Option('--batch-rows <n>', 'rows per committed batch (checkpoint granularity)').hideHelp()),
  ).action(async (flags: SyncFlags & { logFormat?: string }) => {
    process.exitCode = await runCli(flags.logFormat, (logger) => runSync(flags, logger, process.stderr.isTTY === true));
  });
}

/** Runs a command body with one place that turns errors into a one-line message and an exit code. */
export async function runCli(logFormat: string | undefined, body: (logger: Logger) => Promise<number>): Promise<number> {
  let logger = createLogger('text');
  try {
    logger = createLogger(parseLogFormat(logFormat));
    return await body(logger);
  } catch (error) {
    return reportError(error, logger);
  }
}

export function reportError(error: unknown, logger: Logger): number {
  if (error instanceof ConfigError) {
    logger.error(error.message, { kind: 'config' });
    return EXIT.usage;
  }
  if (error instanceof ApiError) {
    logger.error(error.message, { kind: error.kind, status: error.status });
    return EXIT.failed;
  }
  logger.error(error instanceof Error ? error.message : String(error), { kind: 'internal' });
  return EXIT.failed;
}

export interface SyncOverrides {
  /** Lifts the 5/s cap: for the demo and benchmarks against an unthrottled simulator. */
  readonly requestsPerSecond?: number;
  /** Receives the run's result (benchmarks read its figures). */
  readonly onResult?: (result: SyncResult, seconds: number) => void;
}

export async function runSync(flags: SyncFlags, logger: Logger, interactive: boolean, overrides: SyncOverrides = {}): Promise<number> {
  // Everything the user typed is checked before the destination is touched.
  const file = loadConfigFile(flags.config);
  const connection = resolveConnection(flags, file);
  registerSecret(connection.key);
  const tables = selectTables(flags.tables ?? file.tables, flags.exclude ?? file.exclude);
  const modes = parseModes(flags.mode ?? file.mode);
  const fullRefresh = parseFullRefresh(flags.fullRefresh);
  const timeZone = checkTimeZone(flags.timezone ?? file.timezone);
  // 5/s is the API's limit per account; only a simulator on this machine may be read faster.
  const maxRate = isLoopbackUrl(connection.baseUrl) ? undefined : 5;
  const rate = overrides.requestsPerSecond ?? parsePositiveNumber(flags.rate, '--rate', maxRate) ?? file.requestsPerSecond ?? 5;
  const overlapHours = flags.overlapHours !== undefined ? Number(flags.overlapHours) : (file.overlapHours ?? 24);
  const batchRows = parsePositiveNumber(flags.batchRows, '--batch-rows');
  const destination = openDestination(flags.dest ?? process.env.ACSYNC_DEST ?? file.dest ?? DEFAULT_DEST);

  const client = new ActiveCampaignClient({
    baseUrl: connection.baseUrl,
    key: connection.key,
    budget: new RequestBudget({ requestsPerSecond: rate }),
    userAgent: USER_AGENT,
  });
  const account = await checkAccount(client);
  if (account.offsetMinutes === null && !timeZone) {
    logger.warn('the API showed no time zone offset: naive timestamps are read as UTC; pass --timezone to fix');
  }

  await destination.open();
  const progress = createProgress(logger, () => client.stats.requests, interactive);
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const states = await destination.readState();
    const selection = chooseModes(tables, modes, fullRefresh, states, file.fullRefreshEveryDays);
    logger.info(`syncing ${selection.length} tables from ${connection.baseUrl} into ${destination.description}`);
    const started = Date.now();
    const result = await sync({
      client,
      destination,
      selection,
      timeZone,
      accountOffsetMinutes: account.offsetMinutes ?? 0,
      overlapSeconds: overlapHours * 3600,
      ...(batchRows && { batchRows }),
      onEvent: (event) => progress.onEvent(event),
      signal: abort.signal,
    });
    progress.stop();
    const seconds = (Date.now() - started) / 1000;
    const interrupted = abort.signal.aborted;
    printSummary(result, seconds, logger, interrupted);
    overrides.onResult?.(result, seconds);
    if (interrupted) {
      logger.warn('interrupted: every committed batch is kept, and the next sync resumes from there');
      return EXIT.interrupted;
    }
    if (result.run.status === 'success') return EXIT.ok;
    return result.run.status === 'partial' ? EXIT.partial : EXIT.failed;
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await destination.close();
  }
}

function printSummary(result: SyncResult, seconds: number, logger: Logger, interrupted: boolean): void {
  const { run } = result;
  const rows = run.tables.reduce((sum, t) => sum + t.rows, 0);
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  if (logger.format === 'json') {
    logger.info('run finished', { event: 'summary', ...run, requests: result.requests, throttled: result.throttled, seconds, peakRssMb });
    return;
  }
  const width = Math.max(...run.tables.map((t) => t.table.length), 5);
  const lines = [
    `${'table'.padEnd(width)}  mode         status   ${'rows'.padStart(9)}  conversion NULLs`,
    ...run.tables.map(
      (t) =>
        `${t.table.padEnd(width)}  ${t.mode.padEnd(11)}  ${t.status.padEnd(7)}  ${String(t.rows).padStart(9)}  ${t.conversionErrors || ''}`,
    ),
    '',
    `${run.status}: ${rows} rows in ${seconds.toFixed(1)} s, ${result.requests} requests (${(result.requests / Math.max(seconds, 0.001)).toFixed(1)}/s), ${result.throttled} throttled, ${result.retries} retried, peak memory ${peakRssMb} MB`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (!interrupted) for (const t of run.tables) if (t.error) logger.warn(`${t.table}: ${t.error}`);
}
