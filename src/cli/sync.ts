/** `acsync sync`: the work behind the command declared in ./commands/sync.ts. */
import { DEFAULT_DEST } from '../core/defaults.js';
import { openDestination } from '../destinations/index.js';
import { runSync as run, type RunOutcome } from '../engine/run.js';
import {
  checkTimeZone,
  loadConfigFile,
  parseFullRefresh,
  parseModes,
  parsePositiveNumber,
  parseRefreshEvery,
  resolveConnection,
  selectTables,
  type SyncFlags,
} from './config.js';
import { EXIT, exitCodeOf, withInterruption } from './exit.js';
import type { Logger } from './log.js';
import { createProgress } from './progress.js';
import { utcTime } from './runs.js';

export interface SyncOverrides {
  /** Lifts the 5/s cap: for the demo and benchmarks against an unthrottled simulator. */
  readonly requestsPerSecond?: number;
}

export async function runSync(flags: SyncFlags, logger: Logger, interactive: boolean, overrides: SyncOverrides = {}): Promise<number> {
  // Everything the user typed is checked before the destination is touched.
  const file = loadConfigFile(flags.config, (message) => logger.warn(message));
  const connection = resolveConnection(flags, file);
  const tables = selectTables(flags.tables ?? file.tables, flags.exclude ?? file.exclude);
  const modes = parseModes(flags.mode ?? file.mode);
  const fullRefresh = parseFullRefresh(flags.fullRefresh);
  const refreshEveryHours = parseRefreshEvery(flags.refreshEvery ?? file.refreshEveryHours, modes);
  const timeZone = checkTimeZone(flags.timezone ?? file.timezone);
  const rate = overrides.requestsPerSecond ?? parsePositiveNumber(flags.rate, '--rate') ?? file.requestsPerSecond;
  const overlapHours = parsePositiveNumber(flags.overlapHours, '--overlap-hours', undefined, { zero: true }) ?? file.overlapHours;
  const batchRows = parsePositiveNumber(flags.batchRows, '--batch-rows');
  const maxWaitSeconds = parsePositiveNumber(flags.maxWait, '--max-wait') ?? file.maxWaitSeconds;
  const destination = await openDestination(flags.dest ?? process.env.ACSYNC_DEST ?? file.dest ?? DEFAULT_DEST);

  let requests = () => 0;
  const progress = createProgress(logger, () => requests(), interactive);
  try {
    return await withInterruption(async (signal) => {
      const interruption = 'interrupted: every committed batch is kept, and the next sync resumes from there';
      const outcome = await run({
        account: { ...connection, requestsPerSecond: rate, maxWaitSeconds },
        destination,
        tables,
        modes,
        fullRefresh,
        fullRefreshEveryDays: file.fullRefreshEveryDays,
        refreshEveryHours,
        timeZone,
        overlapHours,
        batchRows,
        signal,
        onEvent: (event) => progress.onEvent(event),
        onStart: (selection) => {
          progress.logger.info(`syncing ${selection.length} tables from ${connection.baseUrl} into ${destination.description}`);
        },
        onConnected: (account) => {
          requests = () => account.client.stats.requests;
        },
      }).catch((error: unknown) => {
        // Ctrl-C before the tables' streams began (the sideload probe, the destination opening) ends the run with
        // the request it stopped: an interruption like any other, not an error.
        if (signal.aborted) return undefined;
        throw error;
      });
      progress.stop();
      if (outcome === undefined) {
        logger.warn(interruption);
        return EXIT.interrupted;
      }
      const interrupted = signal.aborted;
      printSummary(outcome, logger, interrupted);
      if (interrupted) {
        logger.warn(interruption);
        return EXIT.interrupted;
      }
      if (outcome.retryAt !== undefined) {
        const when = new Date(outcome.retryAt).toISOString().replace('T', ' ').slice(0, 19);
        logger.warn(`the API asked to wait until ${when} UTC, longer than --max-wait: every committed batch is kept; run the sync again after that time and it resumes`);
        return EXIT.partial;
      }
      return exitCodeOf(outcome.run.status);
    });
  } finally {
    progress.stop();
  }
}

function printSummary(result: RunOutcome, logger: Logger, interrupted: boolean): void {
  const { run, seconds } = result;
  const rows = run.tables.reduce((sum, t) => sum + t.rows, 0);
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  if (logger.format === 'json') {
    // CPU (user + system, every thread: DuckDB's and V8's helpers too) so far: CPU per row moves far less than
    // wall rows/s when other processes share the machine, so benchmarks can compare runs with it.
    const cpu = process.cpuUsage();
    const cpuSeconds = Math.round((cpu.user + cpu.system) / 10_000) / 100;
    logger.info('run finished', { event: 'summary', ...run, requests: result.requests, throttled: result.throttled, seconds, peakRssMb, cpuSeconds });
    return;
  }
  const width = Math.max(...run.tables.map((t) => t.table.length), 5);
  const lines = [
    `${'table'.padEnd(width)}  mode         status   ${'rows'.padStart(9)}  conversion NULLs`,
    ...run.tables.map(
      (t) =>
        `${t.table.padEnd(width)}  ${t.mode.padEnd(11)}  ${(t.notDueUntil ? 'not due' : t.status).padEnd(7)}  ${String(t.rows).padStart(9)}  ${t.conversionErrors || ''}`,
    ),
    '',
    `${run.status}: ${rows} rows in ${seconds.toFixed(1)} s, ${result.requests} requests (${(result.requests / Math.max(seconds, 0.001)).toFixed(1)}/s), ${result.throttled} throttled, ${result.retries} retried, peak memory ${peakRssMb} MB`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  // A stop (Ctrl-C, or a wait beyond the ceiling) is said once, not once per table.
  if (!interrupted && result.retryAt === undefined) {
    for (const t of run.tables) if (t.error && t.notDueUntil === undefined) logger.warn(`${t.table}: ${t.error}`);
  }
  // Tables not due are said once, together: a daily refresh of a dozen tables is not a dozen warnings.
  const notDue = run.tables.filter((t) => t.notDueUntil !== undefined);
  if (notDue.length > 0) {
    const next = notDue.map((t) => t.notDueUntil as string).sort()[0] as string;
    logger.info(`not due (refresh interval): ${notDue.map((t) => t.table).join(', ')}; the first is read again after ${utcTime(next, 16)} UTC`);
  }
}
