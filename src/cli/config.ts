/**
 * Where a run's settings come from, strongest first: command-line flags, environment variables
 * (ACTIVECAMPAIGN_URL, ACTIVECAMPAIGN_KEY, ACSYNC_DEST), a JSON config file (`--config`, or `acsync.json` in the
 * working directory). Every problem is a ConfigError with one line saying what is wrong and how to fix it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { TABLES, getTable, type ReplicationMode, type TableDef } from '../catalog/index.js';
import { MAX_REQUESTS_PER_SECOND } from '../core/defaults.js';
import { ConfigError } from '../core/errors.js';
import { redactUri, registerSecret } from '../core/secrets.js';
import { isPostgresUrl } from '../destinations/uri-kind.js';
import { normalizeBaseUrl } from '../activecampaign/url.js';
import { isValidTimeZone } from '../core/time-zone.js';
import { refreshIntervals, type RefreshEverySetting, type RefreshEveryWording } from '../engine/refresh-every.js';

export const DEFAULT_CONFIG_FILE = 'acsync.json';

const listOrString = z.union([z.string(), z.array(z.string())]);

/** The config file: the same settings as the flags, in camelCase. */
const configFileSchema = z
  .object({
    url: z.string().optional(),
    key: z.string().optional(),
    dest: z.string().optional(),
    tables: listOrString.optional(),
    exclude: listOrString.optional(),
    mode: z.union([z.string(), z.record(z.string(), z.enum(['full', 'incremental']))]).optional(),
    timezone: z.string().optional(),
    requestsPerSecond: z.number().positive().max(MAX_REQUESTS_PER_SECOND).optional(),
    overlapHours: z.number().min(0).optional(),
    fullRefreshEveryDays: z.number().positive().optional(),
    refreshEveryHours: z.union([z.number().positive(), z.string(), z.record(z.string(), z.number().positive())]).optional(),
    maxWaitSeconds: z.number().positive().optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configFileSchema>;

/** Flags as commander hands them over (all optional, all strings). */
export interface ConnectionFlags {
  url?: string;
  key?: string;
  config?: string;
}

export interface SyncFlags extends ConnectionFlags {
  dest?: string;
  tables?: string;
  exclude?: string;
  mode?: string;
  fullRefresh?: string;
  refreshEvery?: string;
  timezone?: string;
  rate?: string;
  overlapHours?: string;
  batchRows?: string;
  maxWait?: string;
}

/** Reads the config file; `onWarning` hears of a file holding the key that other users may read. */
export function loadConfigFile(path: string | undefined, onWarning?: (message: string) => void): ConfigFile {
  const file = path ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (!file) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`cannot read the config file ${file}: check the path given to --config`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`the config file ${file} is not valid JSON (${(error as Error).message})`);
  }
  const parsed = configFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(top level)';
    throw new ConfigError(`the config file ${file} has a bad setting at ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const mode = statSync(file).mode & 0o777;
  if (parsed.data.key !== undefined && (mode & 0o077) !== 0) {
    onWarning?.(`the config file ${file} holds the key and other users of this machine may read it (mode ${mode.toString(8)}): chmod 600 ${file}`);
  }
  return parsed.data;
}

export interface Connection {
  readonly baseUrl: string;
  readonly key: string;
}

export function resolveConnection(flags: ConnectionFlags, file: ConfigFile, env = process.env): Connection {
  const url = flags.url ?? env.ACTIVECAMPAIGN_URL ?? file.url;
  const key = flags.key ?? env.ACTIVECAMPAIGN_KEY ?? file.key;
  if (!url) {
    throw new ConfigError('no ActiveCampaign URL: pass --url (or set ACTIVECAMPAIGN_URL); copy it from Settings → Developer');
  }
  if (!key || !key.trim()) {
    throw new ConfigError('no ActiveCampaign key: pass --key (or set ACTIVECAMPAIGN_KEY); copy it from Settings → Developer');
  }
  // The key is masked before anything is said about the URL: a key pasted into the URL must not be echoed.
  registerSecret(key.trim());
  return { baseUrl: normalizeBaseUrl(url), key: key.trim() };
}

function splitList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? value.split(',') : value;
  return items.map((s) => s.trim()).filter(Boolean);
}

function requireTable(name: string, what: string): TableDef {
  const table = getTable(name);
  if (!table) {
    throw new ConfigError(`unknown table "${name}" in ${what}; run "acsync discover" to list the 33 tables`);
  }
  return table;
}

/** The tables a run reads: `--tables` (default all) minus `--exclude`, in catalog order. */
export function selectTables(tables: string | readonly string[] | undefined, exclude: string | readonly string[] | undefined): TableDef[] {
  const wanted = splitList(tables).map((n) => requireTable(n, '--tables'));
  const excluded = new Set(splitList(exclude).map((n) => requireTable(n, '--exclude').name));
  const chosen = wanted.length > 0 ? new Set(wanted.map((t) => t.name)) : new Set(TABLES.map((t) => t.name));
  const result = TABLES.filter((t) => chosen.has(t.name) && !excluded.has(t.name));
  if (result.length === 0) throw new ConfigError('no table left to sync: check --tables and --exclude');
  return result;
}

/** `contacts=incremental,deals=full` or a config object → table → mode, checked against each table's modes. */
export function parseModes(value: string | Readonly<Record<string, string>> | undefined): Map<string, ReplicationMode> {
  const modes = new Map<string, ReplicationMode>();
  if (value === undefined) return modes;
  const entries =
    typeof value === 'string'
      ? splitList(value).map((pair) => {
          const [name, mode, ...rest] = pair.split('=').map((s) => s.trim());
          if (!name || !mode || rest.length > 0) {
            throw new ConfigError(`bad --mode entry "${pair}": write table=full or table=incremental, comma-separated`);
          }
          return [name, mode] as const;
        })
      : Object.entries(value);
  for (const [name, mode] of entries) {
    const table = requireTable(name, '--mode');
    if (mode !== 'full' && mode !== 'incremental') {
      throw new ConfigError(`bad mode "${mode}" for ${name}: use full or incremental`);
    }
    if (!table.modes.includes(mode)) {
      throw new ConfigError(`${name} cannot be synced incrementally (the API has no update filter for it); use full`);
    }
    modes.set(name, mode);
  }
  return modes;
}

/** The CLI's words for `--refresh-every` / config `refreshEveryHours` (engine/refresh-every.ts checks them). */
const REFRESH_EVERY_WORDING: RefreshEveryWording = {
  setting: '--refresh-every',
  tableList: `run "acsync discover" to list the ${TABLES.length} tables`,
  fullMode: (table) => `--mode ${table}=full`,
};

/** `--refresh-every` / `refreshEveryHours`: tables read whole at most once in so many hours (see `refreshIntervals`). */
export function parseRefreshEvery(value: RefreshEverySetting | undefined, modes: ReadonlyMap<string, ReplicationMode>): Map<string, number> {
  return refreshIntervals(value, modes, REFRESH_EVERY_WORDING);
}

/** Tables named by `--full-refresh` (`all` or a list). */
export function parseFullRefresh(value: string | undefined): Set<string> {
  if (value === undefined) return new Set();
  if (value.trim() === 'all') return new Set(TABLES.map((t) => t.name));
  return new Set(splitList(value).map((n) => requireTable(n, '--full-refresh').name));
}

/** A number flag: above 0 (or 0 too, with `zero`), and at most `max` when given. */
export function parsePositiveNumber(value: string | undefined, flag: string, max?: number, options: { zero?: boolean } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const low = options.zero ? n < 0 : n <= 0;
  if (value.trim() === '' || !Number.isFinite(n) || low || (max !== undefined && n > max)) {
    const range = `${options.zero ? 'of 0 or more' : 'above 0'}${max !== undefined ? ` and at most ${max}` : ''}`;
    throw new ConfigError(`${flag} must be a number ${range} (got "${value}")`);
  }
  return n;
}

/**
 * The service database of `serve` and `worker`: `--queue`, else env ACSYNC_QUEUE (set but empty counts as unset);
 * refused unless it is a PostgreSQL URL.
 */
export function queueUrl(flag: string | undefined, env = process.env): string | undefined {
  const url = flag ?? (env.ACSYNC_QUEUE || undefined);
  if (url !== undefined && !isPostgresUrl(url)) {
    throw new ConfigError(`--queue must be a PostgreSQL URL (postgres://user:password@host:port/database); got ${redactUri(url)}`);
  }
  return url;
}

/** Checks an IANA zone name early, so a typo does not surface as wrong timestamps. */
export function checkTimeZone(zone: string | undefined): string | null {
  if (!zone) return null;
  if (!isValidTimeZone(zone)) {
    throw new ConfigError(`unknown time zone "${zone}": use an IANA name such as America/Sao_Paulo`);
  }
  return zone;
}
