/**
 * Columns a table copies from a joined object (catalog `joined`; contacts_tags copies its tag's name, description,
 * subscriber count, …) go stale on the rows an incremental pass does not re-read: the objects change on their own
 * (a tag renamed, its count moving as other contacts are tagged), and in incremental mode they ride only on the
 * changed parents' pages (`incremental.child.join`). So an incremental pass of such a table reads the objects'
 * whole list (the catalog's `source.join.endpoint`: /tags, a few pages at most) once its stream has ended, checks
 * it, and gives it to the writer's `finish`, which refreshes the copied columns of every row in the transaction
 * (or version) that publishes the pass, and sets them NULL where the object is gone (core/contract.ts).
 */
import type { ActiveCampaignClient } from '../activecampaign/client.js';
import { DistinctIds } from '../activecampaign/distinct-ids.js';
import { readPages } from '../activecampaign/pages.js';
import type { Column, Endpoint, ReplicationMode, TableDef } from '../catalog/index.js';
import type { JoinedRefresh, TypedRow } from '../core/contract.js';
import { recordOffset, rowConverter, typeValue, type ConversionIssue, type TypingContext } from './typing.js';

/** What refreshing a table's copied columns involves, from its catalog declarations. */
export interface JoinedColumns {
  /** The list of the joined objects, read whole. */
  readonly endpoint: Endpoint;
  /** The table's column holding the object's id (the row's `source.join.on` key). */
  readonly on: Column;
  /** The columns copied from the object. */
  readonly columns: readonly Column[];
}

/**
 * The copied columns a pass of `table` in `mode` must refresh, if any: in incremental mode, for a child table
 * riding on its parent's pages whose full-mode source joins an object's list and which copies columns from it.
 */
export function joinedColumns(table: TableDef, mode: ReplicationMode): JoinedColumns | undefined {
  const join = table.source.join;
  if (mode !== 'incremental' || !join || !table.incremental?.child) return undefined;
  const columns = table.columns.filter((c) => c.joined === join.as);
  const on = table.columns.find((c) => c.joined === undefined && c.source === join.on);
  if (columns.length === 0 || !on) return undefined;
  return { endpoint: join.endpoint, on, columns };
}

export interface JoinedListOptions {
  readonly timeZone: string | null;
  /** The account's offset, for naive times of objects that carry no offset of their own. */
  readonly offsetMinutes: number;
  readonly prefetch: number;
  readonly signal: AbortSignal | undefined;
  /** Counts the requests made, failed reads included. */
  readonly requests: { count: number };
}

export interface JoinedList {
  readonly refresh: JoinedRefresh;
  /** Values that did not fit their column's type (stored as NULL, as on any page). */
  readonly issues: readonly ConversionIssue[];
  /** Fewer distinct objects than the API announced: said, as for any read (a total may be too high). */
  readonly shortfall?: string;
}

/** A check the list failed: the table is not published from it. */
export class JoinedListError extends Error {
  override readonly name = 'JoinedListError';
}

/**
 * Reads the joined objects' whole list and types their copied columns as the table's own rows would have them.
 * Every object must carry an id (a whole number, as the `on` column holds it): a list whose ids cannot be matched
 * would set columns NULL on rows whose object exists, so such a list fails (JoinedListError).
 */
export async function readJoinedList(client: ActiveCampaignClient, table: TableDef, joined: JoinedColumns,
  options: JoinedListOptions): Promise<JoinedList> {
  const convert = rowConverter(table);
  const indexes = joined.columns.map((column) => table.columns.indexOf(column));
  const issues: ConversionIssue[] = [];
  const distinct = new DistinctIds();
  const rows: TypedRow[] = [];
  let announced: number | undefined;
  const path = joined.endpoint.path;
  for await (const page of readPages(client, joined.endpoint, { prefetch: options.prefetch, ...(options.signal && { signal: options.signal }) })) {
    options.requests.count++;
    if (page.announcedTotal !== undefined) announced = page.announcedTotal;
    const context: TypingContext = { timeZone: options.timeZone, offsetMinutes: (page.rows[0] ? recordOffset(page.rows[0]) : null) ?? options.offsetMinutes };
    for (const object of page.rows) {
      const raw = typeof object === 'object' && object !== null ? object.id : undefined;
      const id = typeValue(joined.on, raw, context);
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
        throw new JoinedListError(`${path} sent an object whose id ${JSON.stringify(raw) ?? 'undefined'} is not a whole number`);
      }
      distinct.add(id);
      const row = convert({}, context, issues, object);
      rows.push([id, ...indexes.map((i) => row[i] ?? null)]);
    }
  }
  const shortfall = announced !== undefined && distinct.size < announced
    ? `${path}: read ${distinct.size} distinct rows but the API announced ${announced}` : undefined;
  return {
    refresh: { on: joined.on.name, columns: joined.columns.map((c) => c.name), rows },
    issues,
    ...(shortfall && { shortfall }),
  };
}
