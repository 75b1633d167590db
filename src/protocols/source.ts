/**
 * What the Singer and Airbyte modes share: their config file, the engine state they carry between runs, and one
 * run of the unchanged engine (`sync`) writing into a message sink instead of a database.
 */
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { normalizeBaseUrl } from '../activecampaign/url.js';
import type { Destination, TableState } from '../core/contract.js';
import { DEFAULT_REQUESTS_PER_SECOND, MAX_REQUESTS_PER_SECOND } from '../core/defaults.js';
import { ConfigError } from '../core/errors.js';
import { registerSecret } from '../core/secrets.js';
import { isValidTimeZone } from '../core/time-zone.js';
import type { TableSelection } from '../engine/cursor.js';
import { runSync, type AccountSettings, type RunOutcome } from '../engine/run.js';
import type { SyncEvent } from '../engine/sync.js';

/** Where a protocol run reads and writes: the process's streams, or buffers in tests. */
export interface ProtocolEnvironment {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Aborts the run (SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
  /** Overrides the request rate of the config; for simulators without a rate limit (tests, benchmarks). */
  readonly requestsPerSecond?: number;
  /** Rows per committed batch, hence per STATE message (engine default when absent). */
  readonly batchRows?: number;
}

/** The config both protocols accept: acsync's names, and the `api_url`/`api_key` of other ActiveCampaign taps. */
const configSchema = z.object({
  url: z.string().optional(),
  api_url: z.string().optional(),
  key: z.string().optional(),
  api_key: z.string().optional(),
  timezone: z.string().optional(),
  requests_per_second: z.number().positive().max(MAX_REQUESTS_PER_SECOND).optional(),
  start_date: z.string().optional(),
});

export interface SourceConfig {
  readonly baseUrl: string;
  readonly key: string;
  /** IANA zone of the account (docs/tables.md 1.5), or null to learn the offset from the API. */
  readonly timeZone: string | null;
  readonly requestsPerSecond: number;
  /** ISO UTC lower bound of the first incremental pass of a table, or null. */
  readonly startDate: string | null;
}

/** Checks a parsed config file; every problem is a ConfigError naming the setting. Unknown keys are ignored. */
export function parseSourceConfig(json: unknown): SourceConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError('the config must be a JSON object with url and key');
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`the config has a bad setting at ${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}`);
  }
  const config = parsed.data;
  const url = config.url ?? config.api_url;
  const key = (config.key ?? config.api_key)?.trim();
  if (!url) throw new ConfigError('the config has no url: the API URL from ActiveCampaign Settings → Developer');
  if (!key) throw new ConfigError('the config has no key: the API key from ActiveCampaign Settings → Developer');
  const timeZone = config.timezone?.trim() || null;
  if (timeZone !== null && !isValidTimeZone(timeZone)) {
    throw new ConfigError(`unknown time zone "${timeZone}" in the config: use an IANA name such as America/Sao_Paulo`);
  }
  let startDate: string | null = null;
  if (config.start_date !== undefined) {
    const ms = Date.parse(config.start_date);
    if (Number.isNaN(ms)) {
      throw new ConfigError(`start_date "${config.start_date}" is not a date: use RFC 3339, e.g. 2024-01-01T00:00:00Z`);
    }
    startDate = new Date(ms).toISOString();
  }
  // The key is masked before anything is said about the URL: a key pasted into the URL must not be echoed.
  registerSecret(key);
  return {
    baseUrl: normalizeBaseUrl(url),
    key,
    timeZone,
    requestsPerSecond: config.requests_per_second ?? DEFAULT_REQUESTS_PER_SECOND,
    startDate,
  };
}

/** Reads a JSON file named on the command line; `what` names it in the error. */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`cannot read the ${what} file ${path}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(`the ${what} file ${path} is not valid JSON (${(error as Error).message})`);
  }
}

const isoTimestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a timestamp');
const mode = z.enum(['full', 'incremental']);

/** The engine's TableState (destinations/types.ts). Loose: fields a later engine adds pass through. */
const tableStateSchema = z.looseObject({
  mode,
  cursor: isoTimestamp.optional(),
  lastFullAt: isoTimestamp.optional(),
  inProgress: z
    .looseObject({
      runId: z.string(),
      mode,
      stream: z.string(),
      position: z.looseObject({
        offset: z.number().optional(),
        lastId: z.number().optional(),
        parentIndex: z.number().optional(),
        rows: z.number().optional(),
      }),
      since: isoTimestamp.optional(),
      maxCursor: isoTimestamp.optional(),
    })
    .optional(),
});

/** A stored state as the engine's TableState, or null when it is not one acsync wrote. */
export function parseTableState(value: unknown): TableState | null {
  const parsed = tableStateSchema.safeParse(value);
  return parsed.success ? (parsed.data as TableState) : null;
}

export interface EngineRun {
  readonly config: SourceConfig;
  readonly destination: Destination;
  readonly selection: readonly TableSelection[];
  readonly environment: ProtocolEnvironment;
  readonly onEvent: (event: SyncEvent) => void;
}

/** One engine run into the protocol's destination (a message sink), as every face of acsync runs one. */
export async function runEngine(run: EngineRun): Promise<RunOutcome> {
  const { config, environment } = run;
  return runSync({
    account: accountSettings(config, environment),
    destination: run.destination,
    tables: run.selection.map((s) => s.table),
    modes: new Map(run.selection.map((s) => [s.table.name, s.mode])),
    startDate: config.startDate,
    timeZone: config.timeZone,
    batchRows: environment.batchRows,
    onEvent: run.onEvent,
    signal: environment.signal,
  });
}

/** The account a protocol run reads: the config's, at the environment's rate when it overrides it (tests). */
export function accountSettings(config: SourceConfig, environment: ProtocolEnvironment): AccountSettings {
  return {
    baseUrl: config.baseUrl,
    key: config.key,
    requestsPerSecond: environment.requestsPerSecond ?? config.requestsPerSecond,
  };
}

/** Whether an error is the user's to fix (URL, key, permission, setting) rather than the program's or the network's. */
export { errorText, isConfigProblem } from './failures.js';

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
}

/** A sync event as a log line, for the events worth one: each table's outcome and the engine's warnings. */
export function eventLogLine(event: SyncEvent): LogLine | null {
  if (event.type === 'warning') return { level: 'warn', message: event.table ? `${event.table}: ${event.message}` : event.message };
  if (event.type === 'waiting') return { level: 'info', message: event.message };
  if (event.type !== 'table-done') return null;
  const { record } = event;
  if (record.status !== 'success') return { level: 'error', message: `${record.table}: ${record.status}: ${record.error ?? 'no reason given'}` };
  const nulls = record.conversionErrors > 0 ? `, ${record.conversionErrors} values not convertible (written as null)` : '';
  return { level: 'info', message: `${record.table}: ${record.rows} rows (${record.mode})${nulls}` };
}
