/**
 * acsync as an Airbyte source (Airbyte protocol v0): SPEC, CONNECTION_STATUS, CATALOG, and a message sink turning
 * the engine's passes into RECORD, per-stream STATE and stream-status TRACE messages.
 *
 * A stream's state is the engine's TableState, the same JSON acsync stores in a database: a failed attempt's
 * next attempt resumes each pass at its last committed position, and incremental streams keep their cursor.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { TABLES, getTable, offersIncremental, type Permission, type ReplicationMode, type TableDef } from '../catalog/index.js';
import type { TableState } from '../core/contract.js';
import { GRANT_HINT, checkAccess } from '../engine/access.js';
import { openAccount, type Account } from '../engine/run.js';
import { replicationKey, selectColumns, tableSchema } from './json-schema.js';
import { MessageSink, type JsonLineWriter, type PassMessages, type SinkStream } from './message-sink.js';
import { MAX_REQUESTS_PER_SECOND } from '../core/defaults.js';
import { errorText, isConfigProblem } from './failures.js';
import {
  accountSettings,
  parseTableState,
  type ProtocolEnvironment,
  type SourceConfig,
} from './source.js';

export { errorTraceMessage, type FailureType } from './failures.js';

export type SyncMode = 'full_refresh' | 'incremental';
export type LogLevel = 'FATAL' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE';

const SYNC_MODES: Readonly<Record<ReplicationMode, SyncMode>> = { full: 'full_refresh', incremental: 'incremental' };

/** The connector's SPEC message: the config it takes, as the JSON Schema Airbyte renders its form from. */
export function specMessage(): unknown {
  return {
    type: 'SPEC',
    spec: {
      connectionSpecification: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        title: 'ActiveCampaign (acsync)',
        type: 'object',
        required: ['url', 'key'],
        additionalProperties: true,
        properties: {
          url: {
            type: 'string',
            title: 'API URL',
            description: 'The API URL from ActiveCampaign Settings → Developer.',
            examples: ['https://youraccount.api-us1.com'],
            pattern: '^https?://',
            order: 0,
          },
          key: {
            type: 'string',
            title: 'API key',
            description: 'The API key from the same page. The key\'s user needs every permission the synced streams read.',
            airbyte_secret: true,
            order: 1,
          },
          timezone: {
            type: 'string',
            title: 'Account time zone',
            description: 'IANA name of the account\'s time zone, for timestamps the API sends without an offset. Without it the offset is read from the API\'s own timestamps.',
            examples: ['America/Sao_Paulo'],
            order: 2,
          },
          start_date: {
            type: 'string',
            title: 'Start date',
            description: 'Incremental streams read nothing updated before this instant on their first sync (RFC 3339).',
            format: 'date-time',
            examples: ['2024-01-01T00:00:00Z'],
            order: 3,
          },
          requests_per_second: {
            type: 'number',
            title: 'Requests per second',
            description: 'Requests per second to the API, at most 5: the limit of an account, shared by everything using it.',
            exclusiveMinimum: 0,
            maximum: MAX_REQUESTS_PER_SECOND,
            default: MAX_REQUESTS_PER_SECOND,
            order: 4,
          },
        },
      },
      supportsIncremental: true,
    },
  };
}

export interface AirbyteStream {
  readonly name: string;
  readonly json_schema: Record<string, unknown>;
  readonly supported_sync_modes: readonly SyncMode[];
  readonly source_defined_cursor?: boolean;
  readonly default_cursor_field?: readonly string[];
  readonly source_defined_primary_key: readonly (readonly string[])[];
  readonly is_resumable: boolean;
}

/** The CATALOG message: the 33 tables with their modes, keys and cursors. */
export function catalogMessage(): unknown {
  return { type: 'CATALOG', catalog: { streams: TABLES.map(airbyteStream) } };
}

function airbyteStream(table: TableDef): AirbyteStream {
  const incremental = offersIncremental(table);
  const cursor = replicationKey(table);
  return {
    name: table.name,
    json_schema: tableSchema(table, 'airbyte'),
    supported_sync_modes: table.modes.map((m) => SYNC_MODES[m]),
    // The cursor is acsync's to choose (the API's update filter); child tables follow their parent's, which is
    // not one of their columns, so they name no field.
    ...(incremental && { source_defined_cursor: true }),
    ...(cursor && { default_cursor_field: [cursor] }),
    source_defined_primary_key: table.primaryKey.map((k) => [k]),
    // Passes checkpoint their position, except per-parent lists (users_groups), which start over.
    is_resumable: !table.source.perParent,
  };
}

/** A configured stream to read. */
export interface ReadStream extends SinkStream {
  readonly mode: ReplicationMode;
}

const configuredCatalogSchema = z.object({
  streams: z.array(
    z.looseObject({
      stream: z.looseObject({
        name: z.string(),
        json_schema: z.looseObject({ properties: z.record(z.string(), z.unknown()).optional() }).optional(),
      }),
      sync_mode: z.enum(['full_refresh', 'incremental']),
    }),
  ),
});

/**
 * The streams of a configured catalog, in catalog order, each in its `sync_mode`. The columns are those of the
 * configured `json_schema` (Airbyte narrows it when fields are deselected), keys and cursor always included.
 */
export function parseConfiguredCatalog(json: unknown): ReadStream[] {
  const parsed = configuredCatalogSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`the configured catalog is not valid: ${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}`);
  }
  const chosen = new Map<string, ReadStream>();
  for (const configured of parsed.data.streams) {
    const table = getTable(configured.stream.name);
    if (!table) throw new ConfigError(`the configured catalog names an unknown stream ${JSON.stringify(configured.stream.name)}; run discover for the 33 streams`);
    if (chosen.has(table.name)) throw new ConfigError(`the configured catalog lists the stream ${table.name} twice`);
    const mode: ReplicationMode = configured.sync_mode === 'incremental' ? 'incremental' : 'full';
    if (!table.modes.includes(mode)) {
      throw new ConfigError(`${table.name} cannot be read incrementally (the API has no update filter for it); configure full_refresh`);
    }
    const properties = configured.stream.json_schema?.properties;
    const columns = selectColumns(table, properties ? new Set(Object.keys(properties)) : null);
    chosen.set(table.name, { table, mode, columns });
  }
  return TABLES.flatMap((table) => chosen.get(table.name) ?? []);
}

/**
 * The engine's states from an Airbyte state file: an array of state messages (per-stream, global or legacy),
 * one such message, or a legacy object mapping stream names to their state. States acsync did not write are
 * left out with a warning: those streams start afresh.
 */
export function parseAirbyteState(json: unknown, warn: (message: string) => void): Map<string, TableState> {
  const states = new Map<string, TableState>();
  const take = (name: unknown, value: unknown) => {
    if (typeof name !== 'string' || !getTable(name)) return;
    if (value === undefined || value === null || (isObject(value) && Object.keys(value).length === 0)) return;
    const state = parseTableState(value);
    if (state) states.set(name, state);
    else warn(`${name}: the stream state is not one acsync wrote; the stream starts afresh`);
  };
  const takeStream = (stream: unknown) => {
    if (isObject(stream) && isObject(stream.stream_descriptor)) take(stream.stream_descriptor.name, stream.stream_state);
  };
  const takeLegacy = (data: unknown) => {
    if (isObject(data)) for (const [name, value] of Object.entries(data)) take(name, value);
  };
  const takeMessage = (message: Record<string, unknown>) => {
    if (message.type === 'GLOBAL') {
      const global = message.global;
      if (isObject(global) && Array.isArray(global.stream_states)) global.stream_states.forEach(takeStream);
    } else if (message.type === 'STREAM' || (message.type === undefined && 'stream' in message)) {
      takeStream(message.stream);
    } else {
      // The protocol reads a state message without a type as LEGACY.
      takeLegacy(message.data);
    }
  };

  if (Array.isArray(json)) {
    for (const message of json) if (isObject(message)) takeMessage(message);
  } else if (isObject(json)) {
    const isMessage = ['STREAM', 'GLOBAL', 'LEGACY'].includes(String(json.type)) || 'stream' in json || 'data' in json;
    // Otherwise a legacy state as a plain object: stream name → state.
    if (isMessage) takeMessage(json);
    else takeLegacy(json);
  } else {
    throw new ConfigError('the state must be a JSON array of state messages or a JSON object');
  }
  return states;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The Airbyte face of a run: stream statuses, RECORDs, and a per-stream STATE after each batch and each pass. */
export class AirbyteSink extends MessageSink {
  constructor(out: JsonLineWriter, streams: readonly ReadStream[], starting: ReadonlyMap<string, TableState>) {
    super('Airbyte messages on stdout', out, streams, starting);
  }

  protected openPass(stream: SinkStream): PassMessages {
    const name = stream.table.name;
    let running = false;
    return {
      begin: () => [streamStatus(name, 'STARTED')],
      records: (rows) => {
        const emittedAt = Date.now();
        const records = rows.map((data) => ({ type: 'RECORD', record: { stream: name, data, emitted_at: emittedAt } }));
        if (running || rows.length === 0) return records;
        running = true;
        return [streamStatus(name, 'RUNNING'), ...records];
      },
      committed: (state, rows) => [stateMessage(name, state, rows)],
      finished: (state) => [stateMessage(name, state, 0), streamStatus(name, 'COMPLETE')],
      aborted: () => [streamStatus(name, 'INCOMPLETE')],
    };
  }
}

function stateMessage(name: string, state: TableState, records: number): unknown {
  return {
    type: 'STATE',
    state: {
      type: 'STREAM',
      stream: { stream_descriptor: { name }, stream_state: state },
      sourceStats: { recordCount: records },
    },
  };
}

function streamStatus(name: string, status: 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE'): unknown {
  return {
    type: 'TRACE',
    trace: { type: 'STREAM_STATUS', emitted_at: Date.now(), stream_status: { stream_descriptor: { name }, status } },
  };
}

export function logMessage(level: LogLevel, message: string): unknown {
  return { type: 'LOG', log: { level, message } };
}

export function connectionStatusMessage(status: 'SUCCEEDED' | 'FAILED', message?: string): unknown {
  return { type: 'CONNECTION_STATUS', connectionStatus: { status, ...(message !== undefined && { message }) } };
}

export interface ConnectionCheck {
  readonly succeeded: boolean;
  readonly message: string;
}

/**
 * `check`: the credentials, then one small request per endpoint for every table. Problems the user fixes (URL,
 * key, permissions) are a failed check; anything else (the API unreachable) is thrown.
 */
export async function checkConnection(config: SourceConfig, environment: ProtocolEnvironment): Promise<ConnectionCheck> {
  let account: Account;
  try {
    account = await openAccount(accountSettings(config, environment));
  } catch (error) {
    if (isConfigProblem(error)) return { succeeded: false, message: errorText(error) };
    throw error;
  }
  const { client, user } = account;
  const who = String(user.username ?? user.email ?? user.id);
  const access = await checkAccess(client, TABLES);
  const denied = access.filter((a) => !a.readable);
  if (denied.length === 0) return { succeeded: true, message: `${config.baseUrl} as ${who}: all ${access.length} streams readable` };
  const byPermission = new Map<Permission, string[]>();
  for (const a of denied) byPermission.set(a.permission, [...(byPermission.get(a.permission) ?? []), a.table]);
  const grants = [...byPermission].map(([permission, tables]) => `the "${permission}" permission (for ${tables.join(', ')})`);
  return {
    succeeded: false,
    message: `the key of ${who} cannot read ${denied.length} of ${access.length} streams: grant ${grants.join(' and ')}. ${GRANT_HINT}`,
  };
}
