/**
 * What the readers of ./readback.ts share: the reader interface, and the checks and messages every kind uses.
 */
import type { RunRecord, TableState } from '../core/contract.js';
import { ConfigError } from '../core/errors.js';

/** A query's result: column names in order, and each row as JSON-ready values keyed by column name. */
export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
}

export interface DestinationReader {
  /** A description safe to print (no password). */
  readonly description: string;
  /** Connects (read-only); a one-line ConfigError when the destination is not there or holds no copy. */
  open(): Promise<void>;
  /** Runs SQL over the copy's tables, read-only; a failure is a one-line ConfigError. */
  query(sql: string): Promise<QueryResult>;
  /** The run history, most recent first, read as it is consumed (a lake reads a file per run). */
  runs(): AsyncIterable<RunRecord>;
  /** Each table's stored state, by table name. */
  states(): Promise<Map<string, TableState>>;
  /** Rows in each of the copy's tables that exist, by table name. */
  rowCounts(): Promise<Map<string, number>>;
  /** Closes the connection and removes whatever the reader fetched. */
  close(): Promise<void>;
}

/** A run record read back from JSON (a lake's run file, or a SQL destination's row), checked for its shape. */
export function runRecordOf(value: unknown, where: string): RunRecord {
  const run = value as Partial<RunRecord> | null;
  if (!run || typeof run.runId !== 'string' || typeof run.startedAt !== 'string' || typeof run.status !== 'string' || !Array.isArray(run.tables)) {
    throw new Error(`a run record in ${where} is not one acsync wrote (${JSON.stringify(value).slice(0, 80)})`);
  }
  return { runId: run.runId, startedAt: run.startedAt, endedAt: run.endedAt ?? null, status: run.status, tables: run.tables };
}

/** A failed query as one line: the first line of the engine's message. */
export function queryError(error: unknown): ConfigError {
  const message = error instanceof Error ? error.message : String(error);
  return new ConfigError(`query failed: ${message.split('\n')[0] ?? message}`);
}

/** Runs newest first: by start time, then run id (ids begin with the start time). */
export function newestFirst(a: RunRecord, b: RunRecord): number {
  return b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId);
}
