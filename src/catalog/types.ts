/**
 * The shape of the catalog: what a table is, where its rows come from and how its columns are typed.
 * Everything else (sync, discover, the simulator's key lists, the diagram, the protocols) reads these
 * declarations; nothing else names a table or a column.
 */

export type LogicalType = 'float' | 'text' | 'timestamp' | 'date' | 'boolean';

export type ReplicationMode = 'full' | 'incremental';

export interface Column {
  /** Destination column name: the API key in ASCII lower case, or a derived name. */
  readonly name: string;
  readonly type: LogicalType;
  /** API key the value is read from, case-exactly. */
  readonly source: string;
  /** Read from the row's joined object (contacts_tags: the tag) instead of the row itself. */
  readonly joined?: 'tag';
  /** Text column kept for a nested value: objects and arrays become compact JSON text (docs/tables.md 1.4). */
  readonly json?: true;
  /** Cut text to this many Unicode code points (campaigns_messages_content.text). */
  readonly maxChars?: number;
  readonly description?: string;
  /** Why the column's name is a reconstruction (docs/tables.md 1.8), if it is one. */
  readonly uncertain?: string;
  /**
   * Why the column's type differs from the contract's, where the contract's type would destroy the values the
   * API sends (every deviation is listed in docs/deviations.md).
   */
  readonly deviation?: string;
}

export interface ForeignKey {
  readonly column: string;
  readonly table: string;
  readonly references: string;
}

/** How `meta.total` arrives on an endpoint. */
export type TotalStyle = 'string' | 'number' | 'absent';

/** A list endpoint of API v3, as acsync requests it. */
export interface Endpoint {
  /** Path below `/api/3`, e.g. `/notes`; `{id}` stands for a parent id on per-parent lists. */
  readonly path: string;
  /** Top-level key holding the page's rows. */
  readonly envelope: string;
  /** `offset`: limit/offset paging; `keyset`: `orders[id]=ASC&id_greater=<last id>` (contacts only). */
  readonly paging: 'offset' | 'keyset';
  readonly total: TotalStyle;
  /** Parameters sent on every request (orders, flags such as `count_deals`). */
  readonly params?: Readonly<Record<string, string>>;
  /** True where the API returns every row at once and ignores limit/offset. */
  readonly unpaged?: boolean;
  /**
   * The key of the order sent in `params` when it can tie (deals by `cdate`): offset pages may then overlap and
   * skip rows where ties cross a page seam, or where rows were removed between two requests; for an incremental
   * table a skipped row stays missing, so the engine reads overlapping pages, checks each seam and re-reads
   * around the suspect ones (engine/seams.ts).
   */
  readonly tiesOn?: string;
  /** The ActiveCampaign permission a key needs to read it (check and skip messages). */
  readonly permission: Permission;
}

/** Permissions as the ActiveCampaign group editor names them (Settings → Users → Groups → Permissions). */
export type Permission =
  | 'Contacts'
  | 'Lists'
  | 'Campaigns'
  | 'Deals'
  | 'Accounts'
  | 'Reports'
  | 'Automations'
  | 'Users and groups';

/** Where a table's rows are found in a stream of pages. */
export interface Source {
  readonly endpoint: Endpoint;
  /** `include=` sent with every request (deals_custom_fields_data rides on `/deals`). */
  readonly include?: string;
  /** Key of the array holding the rows: the envelope (default) or a sideload of the same page. */
  readonly rows?: string;
  /** Server-side filter the table's rows need; also checked on the client (`where`). */
  readonly serverFilter?: Readonly<Record<string, string>>;
  /** Client-side row filter: unknown server filters are silently ignored by the API. */
  readonly where?: { readonly key: string; readonly equals: string };
  /** Rows of another array joined on `row[on] = joined.id` (contacts_tags: contact-tag → tag). */
  readonly join?: { readonly as: 'tag' | 'field'; readonly on: string; readonly endpoint: Endpoint };
  /**
   * Rows the API sends cut down because the key may not see them in full (deals in pipelines the user may not
   * manage: `{id, isDisabled: 1, title}`). They are kept, other columns NULL, and counted in a warning.
   */
  readonly truncated?: { readonly key: string; readonly equals: unknown; readonly hint: string };
  /** Rows are read per parent: one request (sequence) per id of the parent endpoint's rows. */
  readonly perParent?: { readonly parent: Endpoint };
  /**
   * Maps a row of this source to the shape the columns read, given the row joined to it (`join`), when the
   * source's own shape differs (a documented list standing in for a sideload).
   */
  readonly reshape?: (row: Record<string, unknown>, joined: Record<string, unknown> | null) => Record<string, unknown>;
  /**
   * Where the rows come from when the sideload this source reads (`include`, `rows`) fails its check on an
   * account (docs/activecampaign-api.md section 4: `include=` is not in the reference): a documented list.
   */
  readonly fallback?: Source;
}

/** Incremental replication of a table (docs/tables.md 1.6). */
export interface Incremental {
  /** The updated-since stream: the table's own endpoint or its parent's (children ride with `include=`). */
  readonly endpoint: Endpoint;
  /** Cursor key on the parent row (the row itself for parents). */
  readonly cursor: string;
  /**
   * Days after which a full pass runs anyway, unless the user sets `fullRefreshEveryDays`: children riding on
   * their parent's update date are only seen when the change also bumps the parent's date, which nobody has
   * shown the API does for every kind of child change.
   */
  readonly fullPassEveryDays?: number;
  /** Children only: the include path, the sideload holding the rows and the key naming their parent. */
  readonly child?: {
    readonly include: string;
    readonly rows: string;
    readonly parentKey: string;
    /** Sideload joined to each row on `row[on] = joined.id`, as `join` in full mode (contacts_tags: `tags`). */
    readonly join?: { readonly on: string; readonly rows: string };
  };
  /**
   * Children read from their documented per-parent list, one request per parent on each page of the parent's
   * updated-since stream (deals_activities: `/deals/{id}/dealActivities`); each such parent's children are
   * replaced. `parentKey` names the parent on the rows, and every row is checked to belong to its parent.
   */
  readonly perChangedParent?: { readonly endpoint: Endpoint; readonly parentKey: string };
}

/**
 * How a run after the first reads a table: the cheapest way the API reference allows whose responses can be
 * checked at run time (docs/tables.md 1.6). Shown by `discover`.
 * - `full`: every row, every run; nothing narrower is documented, or nothing narrower would be complete.
 * - `updated-after`: the table's own `filters[updated_after]` (its `incremental` stream is its own endpoint).
 * - `changed-parents`: rides on the `filters[updated_after]` pages of its parent as an `include=` sideload; each
 *   changed parent's children are replaced, and a periodic full pass catches changes that leave the parent's date.
 * - `changed-parents-list`: the documented per-parent list of each parent on those pages, a request per changed
 *   parent; each changed parent's children are replaced, and the periodic full pass is the same.
 */
export type ReadMethodKind = 'full' | 'updated-after' | 'changed-parents' | 'changed-parents-list';

export interface ReadMethod {
  readonly kind: ReadMethodKind;
  /** The reference the method rests on, or, for `full`, why nothing cheaper is sound. */
  readonly basis: string;
}

export interface TableDef {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly primaryKey: readonly string[];
  readonly modes: readonly ReplicationMode[];
  readonly columns: readonly Column[];
  readonly foreignKeys: readonly ForeignKey[];
  /** Where full mode reads the rows. */
  readonly source: Source;
  /** Present exactly on the tables that offer incremental mode. */
  readonly incremental?: Incremental;
  /** How later runs read the table, and on what grounds. */
  readonly method: ReadMethod;
}
