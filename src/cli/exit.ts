/**
 * How every command ends: its exit code, one line for an error, and Ctrl-C turned into a clean stop.
 *
 * Exit codes: 0 every table copied; 1 the run failed; 2 bad input (nothing written); 3 some tables skipped or
 * failed; 130 interrupted (SIGINT/SIGTERM), to be resumed by the next run.
 */
import type { RunRecord } from '../core/contract.js';
import { ApiError, ConfigError } from '../core/errors.js';
import { createLogger, parseLogFormat, type Logger } from './log.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, partial: 3, interrupted: 130 } as const;

/** The exit code of a finished run. */
export function exitCodeOf(status: RunRecord['status']): number {
  if (status === 'success') return EXIT.ok;
  if (status === 'interrupted') return EXIT.interrupted;
  return status === 'partial' ? EXIT.partial : EXIT.failed;
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
    // Asked to wait beyond the ceiling: nothing is wrong, the run stopped to resume later.
    return error.kind === 'throttled' ? EXIT.partial : EXIT.failed;
  }
  logger.error(error instanceof Error ? error.message : String(error), { kind: 'internal' });
  return EXIT.failed;
}

/** Runs `body` with a signal that SIGINT and SIGTERM abort: the run stops after its committed batches. */
export async function withInterruption<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body(abort.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
