/**
 * Turns "these tables, in these modes" into the request streams of one run. Tables that read the same endpoint
 * share one stream (notes feed accounts_notes and contacts_notes; /fields feeds the meta and options tables;
 * /deals with include= feeds deals and deals_custom_fields_data), so each endpoint is read once per run.
 */
import type { Endpoint, ReplicationMode, Source, TableDef } from '../catalog/index.js';
import type { TableState } from '../core/contract.js';
import { passStart, updatedAfter, type AccountTime, type TableSelection } from './cursor.js';

export type { TableSelection } from './cursor.js';

/** How one table takes its rows from the pages of a stream. */
export interface TablePlan {
  readonly table: TableDef;
  readonly mode: ReplicationMode;
  /** Array of the page holding the table's rows: the envelope or a sideload. */
  readonly rowsKey: string;
  readonly where?: { readonly key: string; readonly equals: string };
  /** contacts_tags: how to find each row's tag. `sideload`: same page; `endpoint`: read in full before the stream. */
  readonly join?: { readonly on: string; readonly sideload?: string; readonly endpoint?: Endpoint };
  /** Maps a row of a documented list to the shape the columns read (catalog `reshape`). */
  readonly reshape?: Source['reshape'];
  /** Incremental children: the key naming the parent, so the parent's old children are replaced. */
  readonly parentKey?: string;
  /** Incremental children read from a per-parent list, one request per parent row of each page (engine/per-parent.ts). */
  readonly perChangedParent?: Endpoint;
  /** Incremental: the cursor key on the stream's envelope rows. */
  readonly cursor?: string;
  /** Incremental: the `updated_after` bound this pass started from (UTC ISO), if any. */
  readonly since?: string;
}

export interface StreamPlan {
  /** Identifies the stream in logs and progress: the path plus its parameters. */
  readonly id: string;
  readonly endpoint: Endpoint;
  readonly params: Readonly<Record<string, string>>;
  readonly tables: readonly TablePlan[];
  /** Per-parent streams (users_groups): one page sequence per row of this parent endpoint. */
  readonly perParent?: Endpoint;
}

export interface PlanOptions {
  /** Overlap subtracted from an incremental cursor, in seconds (docs/tables.md 1.6: default one day). */
  readonly overlapSeconds: number;
  /** The account's zone or offset: filters are written in account time. */
  readonly accountTime: AccountTime;
}

export function planStreams(
  selection: readonly TableSelection[],
  states: ReadonlyMap<string, TableState>,
  options: PlanOptions,
): StreamPlan[] {
  const groups = new Map<string, { endpoint: Endpoint; members: TablePlan[]; filters: Record<string, string>[]; includes: Set<string>; since: (string | undefined)[]; perParent?: Endpoint }>();

  const add = (key: string, endpoint: Endpoint, member: TablePlan, extras: { filter?: Record<string, string>; include?: string; perParent?: Endpoint }) => {
    let group = groups.get(key);
    if (!group) {
      group = { endpoint, members: [], filters: [], includes: new Set(), since: [], ...(extras.perParent && { perParent: extras.perParent }) };
      groups.set(key, group);
    }
    group.members.push(member);
    group.filters.push(extras.filter ?? {});
    if (extras.include) group.includes.add(extras.include);
    group.since.push(member.since);
  };

  for (const { table, mode, via } of selection) {
    // A table read per changed parent has no changed parents to go by until its first pass: that pass reads its
    // own list in full, rather than one request per parent of the whole account.
    const firstPerParent = mode === 'incremental' && !!table.incremental?.perChangedParent && passStart(states.get(table.name)) === undefined;
    if (mode === 'incremental' && !firstPerParent) {
      const inc = table.incremental;
      if (!inc) throw new Error(`${table.name} has no incremental mode`);
      const since = passStart(states.get(table.name));
      const perParent = inc.perChangedParent;
      const member: TablePlan = {
        table,
        mode,
        rowsKey: inc.child?.rows ?? perParent?.endpoint.envelope ?? inc.endpoint.envelope,
        cursor: inc.cursor,
        ...(since && { since }),
        ...(inc.child && { parentKey: inc.child.parentKey }),
        ...(perParent && { parentKey: perParent.parentKey, perChangedParent: perParent.endpoint }),
        ...(inc.child?.join && { join: { on: inc.child.join.on, sideload: inc.child.join.rows } }),
      };
      add(`incremental ${inc.endpoint.path}`, inc.endpoint, member, { ...(inc.child && { include: inc.child.include }) });
    } else {
      const source = via === 'fallback' && table.source.fallback ? table.source.fallback : table.source;
      const member: TablePlan = {
        table,
        mode: 'full',
        rowsKey: source.rows ?? source.endpoint.envelope,
        ...(source.where && { where: source.where }),
        ...(source.join && { join: { on: source.join.on, endpoint: source.join.endpoint } }),
        ...(source.reshape && { reshape: source.reshape }),
      };
      add(`full ${source.endpoint.path}`, source.endpoint, member, {
        ...(source.serverFilter && { filter: { ...source.serverFilter } }),
        ...(source.include && { include: source.include }),
        ...(source.perParent && { perParent: source.perParent.parent }),
      });
    }
  }

  return [...groups.values()].map((group) => {
    const params: Record<string, string> = { ...commonFilters(group.filters) };
    if (group.includes.size > 0) params.include = [...group.includes].sort().join(',');
    // A shared incremental stream starts from the oldest of its tables' cursors; none means read everything.
    const since = group.since.some((s) => s === undefined) ? undefined : group.since.sort()[0];
    if (since) params['filters[updated_after]'] = updatedAfter(since, options.accountTime, options.overlapSeconds);
    const id = [group.endpoint.path, ...Object.entries(params).map(([k, v]) => `${k}=${v}`)].join(' ');
    return {
      id,
      endpoint: group.endpoint,
      params,
      tables: group.members,
      ...(group.perParent && { perParent: group.perParent }),
    };
  });
}

/** Server filters all members of a shared stream ask for; the others are applied on the client only. */
function commonFilters(filters: readonly Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = filters;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((f) => f[k] === v)));
}
