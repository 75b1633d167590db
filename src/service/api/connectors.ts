/**
 * Connectors: what a user saves (account URL and key, tables and modes, destination, schedule, webhook), checked
 * against the catalog before anything is stored, kept in the service database with the key sealed, and the
 * schedule handed to the queue.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Cron } from 'croner';
import { TABLES, defaultMode, getTable, offersIncremental, type ReplicationMode } from '../../catalog/index.js';
import { normalizeBaseUrl } from '../../activecampaign/url.js';
import { ConfigError } from '../../core/errors.js';
import { redactUri, registerSecret } from '../../core/secrets.js';
import { isValidTimeZone } from '../../core/time-zone.js';
import { openDestination } from '../../destinations/index.js';
import { destinationKind } from '../../destinations/kinds.js';
import { refreshIntervals, type RefreshEveryWording } from '../../engine/refresh-every.js';
import type { JobQueue, Schedule, ServiceDb } from '../jobs.js';
import { HttpError, notFound } from './errors.js';
import { refusedWebhookUrl, shownUrl } from './webhook-targets.js';
import type { ConnectorBody, ConnectorCreateInput, ConnectorUpdateInput, RefreshEveryValue, ScheduleValue } from './schemas.js';
import type { SecretBox} from './secrets.js';
import { maskKey } from './secrets.js';
import { latestRuns, queueRun } from './runs.js';

export interface ApiContext {
  readonly db: ServiceDb;
  readonly queue: JobQueue;
  readonly box: SecretBox;
  /** Where default DuckDB copies go, and relative destination paths are resolved. */
  readonly dataDir: string;
}

export interface TableMode {
  readonly name: string;
  readonly mode: ReplicationMode;
}

/** A connector as stored, secrets still sealed. */
export interface ConnectorRow {
  id: string;
  name: string;
  base_url: string;
  account: string;
  key_sealed: string;
  key_shown: string;
  tables: TableMode[];
  destination_sealed: string;
  destination_shown: string;
  schedule: ScheduleValue;
  full_refresh_every_days: number | null;
  refresh_every_hours: RefreshEveryValue;
  time_zone: string | null;
  webhook_url: string | null;
  paused: boolean;
  created_at: Date | string;
  updated_at: Date | string;
}

/** A jsonb parameter: the value as JSON text (a bare number too), or SQL NULL. */
const jsonOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

export const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

/** The queue's account: the API URL's host and port (runs of one account never overlap). */
export const accountOf = (baseUrl: string): string => new URL(baseUrl).host;

/** Every table in its default mode, or the chosen ones with their modes, checked against the catalog. */
export function resolveTables(choices: readonly { name: string; mode?: ReplicationMode | undefined }[] | undefined): TableMode[] {
  if (choices === undefined) return TABLES.map((t) => ({ name: t.name, mode: defaultMode(t) }));
  const seen = new Set<string>();
  return choices.map(({ name, mode }) => {
    const table = getTable(name);
    if (!table) throw new HttpError(400, `unknown table "${name}": GET /api/catalog lists the ${TABLES.length} tables`);
    if (seen.has(name)) throw new HttpError(400, `table "${name}" is listed twice`);
    seen.add(name);
    if (mode === 'incremental' && !offersIncremental(table)) {
      throw new HttpError(400, `${name} cannot be synced incrementally (the API has no update filter for it); use full`);
    }
    return { name, mode: mode ?? defaultMode(table) };
  });
}

/** The queue's form of a schedule: hours become minutes; a cron expression must have five valid fields. */
export function queueSchedule(schedule: ScheduleValue | undefined): Schedule | null {
  if (!schedule) return null;
  if ('everyMinutes' in schedule) return { everyMinutes: schedule.everyMinutes };
  if ('everyHours' in schedule) return { everyMinutes: schedule.everyHours * 60 };
  const fields = schedule.cron.trim().split(/\s+/);
  if (fields.length !== 5) throw new HttpError(400, `schedule.cron must have five fields (minute hour day month weekday), got ${fields.length}`);
  try {
    new Cron(fields.join(' '), { paused: true, timezone: 'UTC' }).stop();
  } catch (error) {
    throw new HttpError(400, `schedule.cron "${schedule.cron}" is not a valid cron expression: ${(error as Error).message}`);
  }
  return { cron: fields.join(' ') };
}

/** A destination URI checked by the destinations' own parser; local paths made absolute against the data folder. */
export async function resolveDestination(uri: string | undefined, id: string, dataDir: string): Promise<string> {
  if (uri === undefined) {
    const copies = join(resolve(dataDir), 'copies');
    mkdirSync(copies, { recursive: true });
    return `duckdb:${join(copies, `${id}.duckdb`)}`;
  }
  let value = uri.trim();
  const named = destinationKind(value);
  if (named?.kind === 'duckdb' || named?.kind === 'parquet') {
    const path = named.target;
    value = `${named.kind}:${path !== '' && !isAbsolute(path) ? resolve(dataDir, path) : path}`;
  }
  try {
    await openDestination(value);
  } catch (error) {
    if (error instanceof ConfigError) throw new HttpError(400, error.message.replace(/--dest/g, 'destination'));
    throw error;
  }
  return value;
}

/** The account's base URL, checked as the CLI checks it; the key (when given) is masked first. */
export function checkUrl(url: string, key: string | undefined): string {
  // The key is masked before anything is said about the URL: a key pasted as the URL must never be echoed.
  if (key) registerSecret(key);
  try {
    return normalizeBaseUrl(url);
  } catch (error) {
    if (error instanceof ConfigError) throw new HttpError(400, error.message);
    throw error;
  }
}

/** The key trimmed, long enough, and masked in all output from now on. */
export function checkKey(key: string): string {
  const trimmed = key.trim();
  if (trimmed.length < 8) throw new HttpError(400, 'the key is too short: copy the whole API key from Settings → Developer');
  registerSecret(trimmed);
  return trimmed;
}

/** The API's words for a connector's `refreshEveryHours` in the engine's messages. */
const REFRESH_EVERY_WORDING: RefreshEveryWording = {
  setting: 'refreshEveryHours',
  tableList: `GET /api/catalog lists the ${TABLES.length} tables`,
  fullMode: (table) => `tables: {"name": "${table}", "mode": "full"}`,
};

/**
 * A connector's refresh interval per table, under its tables' modes, checked as the CLI checks `--refresh-every`
 * (engine/refresh-every.ts): a table read incrementally is refused.
 */
export function refreshEveryOf(value: RefreshEveryValue | undefined, tables: readonly TableMode[]): Map<string, number> {
  return refreshIntervals(value, new Map(tables.map((t) => [t.name, t.mode])), REFRESH_EVERY_WORDING);
}

function checkRefreshEvery(value: RefreshEveryValue | undefined, tables: readonly TableMode[]): RefreshEveryValue {
  try {
    refreshEveryOf(value, tables);
  } catch (error) {
    if (error instanceof ConfigError) throw new HttpError(400, error.message);
    throw error;
  }
  return value ?? null;
}

/** A webhook URL at a refused literal address is refused here (the schema only knows it is http(s)); names are checked at delivery. */
function checkWebhookUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  const refused = refusedWebhookUrl(url);
  if (refused) throw new HttpError(400, `webhookUrl: ${refused}`);
  return url;
}

/** A saved webhook URL as the API shows it (./webhook-targets.ts `shownUrl`), or null when there is none. */
function shownWebhookUrl(url: string | null): string | null {
  return url === null ? null : shownUrl(url);
}

function checkTimeZone(zone: string | null | undefined): string | null {
  if (!zone) return null;
  if (!isValidTimeZone(zone)) throw new HttpError(400, `unknown time zone "${zone}": use an IANA name such as America/Sao_Paulo`);
  return zone;
}

export async function getConnectorRow(db: ServiceDb, id: string): Promise<ConnectorRow> {
  const { rows } = await db.query<ConnectorRow>('SELECT * FROM acsync_connectors WHERE id = $1', [id]);
  const row = rows[0];
  if (!row) throw notFound('connector', id);
  return row;
}

export async function connectorBody(db: ServiceDb, row: ConnectorRow): Promise<ConnectorBody> {
  const last = (await latestRuns(db, [row.id])).get(row.id) ?? null;
  return toBody(row, last);
}

function toBody(row: ConnectorRow, lastRun: ConnectorBody['lastRun']): ConnectorBody {
  return {
    id: row.id,
    name: row.name,
    url: row.base_url,
    key: row.key_shown,
    tables: row.tables.map((t) => ({ name: t.name, mode: t.mode })),
    destination: row.destination_shown,
    schedule: row.schedule,
    fullRefreshEveryDays: row.full_refresh_every_days,
    refreshEveryHours: row.refresh_every_hours ?? null,
    timeZone: row.time_zone,
    webhookUrl: shownWebhookUrl(row.webhook_url),
    paused: row.paused,
    createdAt: iso(row.created_at) as string,
    updatedAt: iso(row.updated_at) as string,
    lastRun,
  };
}

export async function listConnectors(db: ServiceDb): Promise<ConnectorBody[]> {
  const { rows } = await db.query<ConnectorRow>('SELECT * FROM acsync_connectors ORDER BY created_at, id');
  const last = await latestRuns(db, rows.map((r) => r.id));
  return rows.map((row) => toBody(row, last.get(row.id) ?? null));
}

const nameTaken = (error: unknown, name: string): Error =>
  (error as { code?: string }).code === '23505' ? new HttpError(409, `a connector named "${name}" already exists`) : (error as Error);

export async function createConnector(context: ApiContext, input: ConnectorCreateInput): Promise<ConnectorBody> {
  const id = `c_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const key = checkKey(input.key);
  const baseUrl = checkUrl(input.url, key);
  const tables = resolveTables(input.tables);
  const schedule = queueSchedule(input.schedule);
  const destination = await resolveDestination(input.destination, id, context.dataDir);
  const timeZone = checkTimeZone(input.timeZone);
  const webhookUrl = checkWebhookUrl(input.webhookUrl);
  const refreshEvery = checkRefreshEvery(input.refreshEveryHours, tables);
  const { rows } = await context.db
    .query<ConnectorRow>(
      `INSERT INTO acsync_connectors (id, name, base_url, account, key_sealed, key_shown, tables, destination_sealed,
         destination_shown, schedule, full_refresh_every_days, time_zone, webhook_url, refresh_every_hours)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
      [
        id, input.name, baseUrl, accountOf(baseUrl), context.box.encrypt(key), maskKey(key), JSON.stringify(tables),
        context.box.encrypt(destination), redactUri(destination), input.schedule ? JSON.stringify(input.schedule) : null,
        input.fullRefreshEveryDays ?? null, timeZone, webhookUrl, jsonOrNull(refreshEvery),
      ],
    )
    .catch((error: unknown) => {
      throw nameTaken(error, input.name);
    });
  const row = rows[0] as ConnectorRow;
  let firstRun: ConnectorBody['lastRun'] = null;
  try {
    await context.queue.setSchedule(id, row.account, schedule);
    // The first copy should not wait for the schedule's first due time.
    if (input.runNow ?? true) firstRun = await queueRun(context.db, context.queue, id, row.account, 'manual');
  } catch (error) {
    // Nothing half-saved: a connector the queue could not take is not kept.
    await context.queue.remove(id).catch(() => undefined);
    await context.db.query('DELETE FROM acsync_connectors WHERE id = $1', [id]);
    throw error;
  }
  return toBody(row, firstRun);
}

export async function updateConnector(context: ApiContext, id: string, input: ConnectorUpdateInput): Promise<ConnectorBody> {
  const before = await getConnectorRow(context.db, id);
  const key = input.key !== undefined ? checkKey(input.key) : undefined;
  const baseUrl = input.url !== undefined ? checkUrl(input.url, key) : before.base_url;
  const tables = input.tables !== undefined ? resolveTables(input.tables) : before.tables;
  const scheduleValue = input.schedule !== undefined ? input.schedule : before.schedule;
  const schedule = queueSchedule(scheduleValue);
  // The masked form sent back unchanged keeps the stored destination (its password included).
  const destination = input.destination !== undefined && input.destination !== before.destination_shown
    ? await resolveDestination(input.destination, id, context.dataDir)
    : undefined;
  const timeZone = input.timeZone !== undefined ? checkTimeZone(input.timeZone) : before.time_zone;
  // The URL as shown (path hidden) sent back unchanged keeps the saved one, as the destination does.
  const webhookUrl = input.webhookUrl !== undefined && input.webhookUrl !== shownWebhookUrl(before.webhook_url)
    ? checkWebhookUrl(input.webhookUrl)
    : before.webhook_url;
  // Checked again when only the tables change: a table named in it may have become incremental.
  const refreshEvery = checkRefreshEvery(input.refreshEveryHours !== undefined ? input.refreshEveryHours : before.refresh_every_hours, tables);
  const { rows } = await context.db
    .query<ConnectorRow>(
      `UPDATE acsync_connectors SET name = $2, base_url = $3, account = $4, key_sealed = $5, key_shown = $6, tables = $7,
         destination_sealed = $8, destination_shown = $9, schedule = $10, full_refresh_every_days = $11, time_zone = $12,
         webhook_url = $13, refresh_every_hours = $14, updated_at = now()
       WHERE id = $1 RETURNING *`,
      [
        id, input.name ?? before.name, baseUrl, accountOf(baseUrl),
        key !== undefined ? context.box.encrypt(key) : before.key_sealed, key !== undefined ? maskKey(key) : before.key_shown,
        JSON.stringify(tables),
        destination !== undefined ? context.box.encrypt(destination) : before.destination_sealed,
        destination !== undefined ? redactUri(destination) : before.destination_shown,
        scheduleValue ? JSON.stringify(scheduleValue) : null,
        input.fullRefreshEveryDays !== undefined ? input.fullRefreshEveryDays : before.full_refresh_every_days,
        timeZone,
        webhookUrl,
        jsonOrNull(refreshEvery),
      ],
    )
    .catch((error: unknown) => {
      throw nameTaken(error, input.name ?? before.name);
    });
  const row = rows[0];
  if (!row) throw notFound('connector', id);
  try {
    await context.queue.setSchedule(id, row.account, row.paused ? null : schedule);
  } catch (error) {
    await restore(context.db, before);
    throw error;
  }
  return connectorBody(context.db, row);
}

async function restore(db: ServiceDb, row: ConnectorRow): Promise<void> {
  await db.query(
    `UPDATE acsync_connectors SET name = $2, base_url = $3, account = $4, key_sealed = $5, key_shown = $6, tables = $7,
       destination_sealed = $8, destination_shown = $9, schedule = $10, full_refresh_every_days = $11, time_zone = $12,
       webhook_url = $13, paused = $14, updated_at = $15, refresh_every_hours = $16 WHERE id = $1`,
    [
      row.id, row.name, row.base_url, row.account, row.key_sealed, row.key_shown, JSON.stringify(row.tables), row.destination_sealed,
      row.destination_shown, row.schedule ? JSON.stringify(row.schedule) : null, row.full_refresh_every_days, row.time_zone,
      row.webhook_url, row.paused, row.updated_at, jsonOrNull(row.refresh_every_hours),
    ],
  );
}

export async function setPaused(context: ApiContext, id: string, paused: boolean): Promise<ConnectorBody> {
  const before = await getConnectorRow(context.db, id);
  const { rows } = await context.db.query<ConnectorRow>(
    'UPDATE acsync_connectors SET paused = $2, updated_at = now() WHERE id = $1 RETURNING *',
    [id, paused],
  );
  const row = rows[0];
  if (!row) throw notFound('connector', id);
  try {
    await context.queue.setSchedule(id, row.account, paused ? null : queueSchedule(row.schedule));
  } catch (error) {
    await restore(context.db, before);
    throw error;
  }
  return connectorBody(context.db, row);
}

/** Forgets the connector, its schedule and its run history; its copy at the destination stays. */
export async function deleteConnector(context: ApiContext, id: string): Promise<{ id: string; destination: string }> {
  const row = await getConnectorRow(context.db, id);
  const { rows: active } = await context.db.query<{ id: string }>(
    "SELECT id FROM acsync_runs WHERE connector_id = $1 AND status IN ('queued', 'running')",
    [id],
  );
  for (const run of active) await context.queue.cancel(run.id);
  await context.queue.remove(id);
  await context.db.query('DELETE FROM acsync_connectors WHERE id = $1', [id]);
  return { id, destination: row.destination_shown };
}

/** The connector's key and destination in clear, for a run or a test: never to be returned or logged. */
export function openSecrets(box: SecretBox, row: ConnectorRow): { key: string; destination: string } {
  const key = box.decrypt(row.key_sealed);
  registerSecret(key);
  return { key, destination: box.decrypt(row.destination_sealed) };
}
