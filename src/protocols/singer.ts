/**
 * acsync as a Singer tap (Singer spec 0.2, as Meltano runs taps): the discovery catalog with standard metadata,
 * stream and column selection from a catalog, and a message sink turning the engine's passes into SCHEMA, RECORD,
 * STATE and ACTIVATE_VERSION messages.
 *
 * State: `{"bookmarks": {<stream>: <the engine's TableState>}}`, the same JSON acsync stores in a database, so a
 * run resumes an interrupted pass at its last committed position. A full pass stamps a table version on its
 * records (and on its bookmark while it runs, so a resumed pass keeps it) and ends with ACTIVATE_VERSION, which
 * tells the target to drop rows of older versions: the replace that `full` means in a database.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { TABLES, defaultMode, getTable, offersIncremental, type ReplicationMode, type TableDef } from '../catalog/index.js';
import type { TableState } from '../core/contract.js';
import { replicationKey, requiredColumns, selectColumns, tableSchema } from './json-schema.js';
import { MessageSink, type JsonLineWriter, type PassMessages, type SinkStream } from './message-sink.js';
import { parseTableState } from './source.js';

export type SingerMethod = 'FULL_TABLE' | 'INCREMENTAL';

const METHODS: Readonly<Record<ReplicationMode, SingerMethod>> = { full: 'FULL_TABLE', incremental: 'INCREMENTAL' };

export interface SingerMetadata {
  readonly breadcrumb: readonly string[];
  readonly metadata: Record<string, unknown>;
}

export interface SingerCatalogStream {
  readonly tap_stream_id: string;
  readonly stream: string;
  readonly schema: Record<string, unknown>;
  readonly key_properties: readonly string[];
  readonly replication_key?: string;
  readonly replication_method: SingerMethod;
  readonly metadata: readonly SingerMetadata[];
}

/** The discovery catalog: the 33 tables, all selected, each in its default replication method. */
export function singerCatalog(): { streams: SingerCatalogStream[] } {
  return { streams: TABLES.map(catalogStream) };
}

function catalogStream(table: TableDef): SingerCatalogStream {
  const key = replicationKey(table);
  const method = METHODS[defaultMode(table)];
  const automatic = requiredColumns(table);
  return {
    tap_stream_id: table.name,
    stream: table.name,
    schema: tableSchema(table, 'singer'),
    key_properties: [...table.primaryKey],
    ...(key && { replication_key: key }),
    replication_method: method,
    metadata: [
      {
        breadcrumb: [],
        metadata: {
          selected: true,
          inclusion: 'available',
          'selected-by-default': true,
          'table-key-properties': [...table.primaryKey],
          ...(!offersIncremental(table) && { 'forced-replication-method': METHODS.full }),
          'valid-replication-keys': key ? [key] : [],
          'replication-method': method,
          ...(key && { 'replication-key': key }),
        },
      },
      ...table.columns.map((column) => ({
        breadcrumb: ['properties', column.name],
        metadata: { inclusion: automatic.has(column.name) ? 'automatic' : 'available', 'selected-by-default': true },
      })),
    ],
  };
}

/** A stream to sync: its table, mode and emitted columns. */
export interface SingerStream extends SinkStream {
  readonly mode: ReplicationMode;
}

/** Every table in its default mode with all its columns: a run without `--catalog`. */
export function defaultStreams(): SingerStream[] {
  return TABLES.map((table) => ({ table, mode: defaultMode(table), columns: selectColumns(table, null) }));
}

const catalogSchema = z.object({
  streams: z.array(
    z.looseObject({
      tap_stream_id: z.string().optional(),
      stream: z.string().optional(),
      replication_method: z.string().optional(),
      schema: z.looseObject({ selected: z.boolean().optional() }).optional(),
      metadata: z
        .array(z.looseObject({ breadcrumb: z.array(z.union([z.string(), z.number()])), metadata: z.record(z.string(), z.unknown()) }))
        .optional(),
    }),
  ),
});

/**
 * The streams a catalog selects (`selected`, else `selected-by-default`, in the stream's breadcrumb-[] metadata),
 * in catalog order, with their method (`replication-method`, else the stream's `replication_method`, else the
 * default) and their columns (properties marked `selected: false` are left out, unless they are automatic).
 * An INCREMENTAL request for a table the API cannot filter runs FULL_TABLE, with a warning, so that a wildcard
 * rule in a Meltano project does not fail the run.
 */
export function parseSingerCatalog(json: unknown, warn: (message: string) => void): SingerStream[] {
  const parsed = catalogSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`the catalog is not a Singer catalog: ${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}`);
  }
  const chosen = new Map<string, SingerStream>();
  for (const entry of parsed.data.streams) {
    const name = entry.tap_stream_id ?? entry.stream;
    const table = name === undefined ? undefined : getTable(name);
    if (!table) {
      throw new ConfigError(`the catalog names an unknown stream ${JSON.stringify(name ?? null)}; run "acsync singer --discover" for the 33 streams`);
    }
    if (chosen.has(table.name)) throw new ConfigError(`the catalog lists the stream ${table.name} twice`);
    const metadata = entry.metadata ?? [];
    const root = Object.assign({}, ...metadata.filter((m) => m.breadcrumb.length === 0).map((m) => m.metadata)) as Record<string, unknown>;
    const selected = root.selected ?? entry.schema?.selected ?? root['selected-by-default'] ?? false;
    if (selected !== true) continue;

    const method = root['replication-method'] ?? entry.replication_method ?? root['forced-replication-method'] ?? METHODS[defaultMode(table)];
    let mode: ReplicationMode;
    if (method === METHODS.full) mode = 'full';
    else if (method !== METHODS.incremental) {
      throw new ConfigError(`${table.name}: replication method ${JSON.stringify(method)} is not offered; use FULL_TABLE or INCREMENTAL`);
    } else if (offersIncremental(table)) mode = 'incremental';
    else {
      warn(`${table.name}: INCREMENTAL asked, but the API cannot filter this table by update time; it runs FULL_TABLE`);
      mode = 'full';
    }

    const deselected = new Set<string>();
    for (const { breadcrumb, metadata: property } of metadata) {
      if (breadcrumb.length !== 2 || breadcrumb[0] !== 'properties') continue;
      if ((property.selected ?? property['selected-by-default'] ?? true) === false) deselected.add(String(breadcrumb[1]));
    }
    const wanted = deselected.size === 0 ? null : new Set(table.columns.map((c) => c.name).filter((n) => !deselected.has(n)));
    chosen.set(table.name, { table, mode, columns: selectColumns(table, wanted) });
  }
  return TABLES.flatMap((table) => chosen.get(table.name) ?? []);
}

/** A `--state` file read back: the engine's states, and everything to carry over into the STATE messages. */
export interface SingerState {
  readonly states: Map<string, TableState>;
  /** Every bookmark as read, streams of other taps included, in file order. */
  readonly bookmarks: Map<string, unknown>;
  /** Table versions of full passes in progress. */
  readonly versions: Map<string, number>;
}

export function parseSingerState(json: unknown, warn: (message: string) => void): SingerState {
  const state: SingerState = { states: new Map(), bookmarks: new Map(), versions: new Map() };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError('the state must be a JSON object, the value of the last STATE message');
  }
  const bookmarks = (json as Record<string, unknown>).bookmarks;
  if (bookmarks === undefined) return state;
  if (typeof bookmarks !== 'object' || bookmarks === null || Array.isArray(bookmarks)) {
    throw new ConfigError('the state\'s "bookmarks" must be an object with one entry per stream');
  }
  for (const [name, value] of Object.entries(bookmarks)) {
    if (!getTable(name)) {
      state.bookmarks.set(name, value);
      continue;
    }
    const { version, ...rest } = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
    let tableState = parseTableState(rest);
    if (!tableState) {
      warn(`${name}: the bookmark in the state is not one acsync wrote; the stream starts afresh`);
      continue;
    }
    const versioned = typeof version === 'number' && Number.isSafeInteger(version);
    // A full pass can only be continued under the version its first records carry; without one it starts over.
    if (tableState.inProgress?.mode === 'full' && !versioned) {
      const { inProgress: _dropped, ...atRest } = tableState;
      tableState = atRest;
    }
    if (versioned && tableState.inProgress) state.versions.set(name, version);
    state.states.set(name, tableState);
    state.bookmarks.set(name, value);
  }
  return state;
}

/** The Singer face of a run: a SCHEMA per stream, RECORDs, a STATE after each batch, ACTIVATE_VERSION after a full pass. */
export class SingerSink extends MessageSink {
  private readonly bookmarks: Map<string, unknown>;
  private readonly versions: ReadonlyMap<string, number>;
  private lastVersion = 0;

  constructor(out: JsonLineWriter, streams: readonly SingerStream[], starting: ReadonlyMap<string, TableState>, stored: SingerState) {
    super('Singer messages on stdout', out, streams, starting);
    this.bookmarks = new Map(stored.bookmarks);
    this.versions = stored.versions;
  }

  protected openPass(stream: SinkStream, mode: ReplicationMode, resume: boolean): PassMessages {
    const { table, columns } = stream;
    const name = table.name;
    const version = mode === 'full' ? ((resume ? this.versions.get(name) : undefined) ?? this.newVersion()) : undefined;
    const key = replicationKey(table);
    return {
      begin: () => [
        {
          type: 'SCHEMA',
          stream: name,
          schema: tableSchema(table, 'singer', columns),
          key_properties: [...table.primaryKey],
          ...(mode === 'incremental' && key && { bookmark_properties: [key] }),
        },
      ],
      records: (rows) => {
        // The rows were read since the previous batch, at most a few seconds before this commit.
        const extracted = new Date().toISOString();
        return rows.map((record) => ({
          type: 'RECORD',
          stream: name,
          record,
          ...(version !== undefined && { version }),
          time_extracted: extracted,
        }));
      },
      committed: (state) => {
        this.bookmarks.set(name, version !== undefined && state.inProgress ? { ...state, version } : state);
        return [this.stateMessage()];
      },
      finished: (state) => {
        this.bookmarks.set(name, state);
        // Activation before the STATE that ends the pass: if the run stops in between, the pass is resumed and
        // activated again, never recorded as done without its activation.
        return [...(version !== undefined ? [{ type: 'ACTIVATE_VERSION', stream: name, version }] : []), this.stateMessage()];
      },
      aborted: () => [],
    };
  }

  private stateMessage(): unknown {
    return { type: 'STATE', value: { bookmarks: Object.fromEntries(this.bookmarks) } };
  }

  /** Milliseconds since the epoch, as Singer taps stamp versions; distinct for the tables of one run. */
  private newVersion(): number {
    this.lastVersion = Math.max(Date.now(), this.lastVersion + 1);
    return this.lastVersion;
  }
}
