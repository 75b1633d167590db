/**
 * `include=` sideloads are not in the API reference (docs/activecampaign-api.md section 4): an account, a proxy or
 * a future API may drop them, or cut them short. Every table that reads a sideload is checked on the responses
 * themselves, before the run (one probe page per endpoint) and on every page; a table whose sideload fails is
 * read from a documented list instead, or reported failed. A parent's children are never replaced from a
 * sideload that failed its check.
 */
import type { ActiveCampaignClient } from '../activecampaign/client.js';
import { PAGE_LIMIT } from '../activecampaign/pages.js';
import type { Endpoint, TableDef } from '../catalog/index.js';
import { ApiError } from '../core/errors.js';
import type { TableSelection } from './cursor.js';

/** How a table reads a sideload in a given mode: the endpoint, the include path and the arrays it needs. */
export interface SideloadUse {
  readonly endpoint: Endpoint;
  readonly include: string;
  /** The sideload holding the table's rows; parents list the ids of their children under the same key. */
  readonly rows: string;
  /** A sideload joined to the rows (contacts_tags: `tags`), checked for presence only. */
  readonly joined?: string;
}

/** The sideload a table reads in this mode, if it reads one. */
export function sideloadUse(table: TableDef, mode: TableSelection['mode']): SideloadUse | undefined {
  const child = table.incremental?.child;
  if (mode === 'incremental' && table.incremental && child) {
    return { endpoint: table.incremental.endpoint, include: child.include, rows: child.rows, ...(child.join && { joined: child.join.rows }) };
  }
  const { source } = table;
  if (mode === 'full' && source.include && source.rows) return { endpoint: source.endpoint, include: source.include, rows: source.rows };
  return undefined;
}

/**
 * What is wrong with a page's sideload, or null when it holds what the parents on the page say it holds: the
 * array is there, and every child id a parent lists is in it (a shorter array means the sideload was capped).
 */
export function sideloadProblem(body: Readonly<Record<string, unknown>>, parents: readonly Record<string, unknown>[], use: SideloadUse): string | null {
  const rows = body[use.rows];
  if (!Array.isArray(rows)) return `the response has no '${use.rows}' list (include=${use.include} was ignored)`;
  if (use.joined !== undefined && !Array.isArray(body[use.joined])) {
    return `the response has no '${use.joined}' list (include=${use.include} was only partly honoured)`;
  }
  const present = new Set<string>();
  for (const row of rows as unknown[]) {
    if (typeof row === 'object' && row !== null) present.add(String((row as Record<string, unknown>).id));
  }
  let missing = 0;
  let listed = 0;
  for (const parent of parents) {
    const ids = parent[use.rows];
    if (!Array.isArray(ids)) continue;
    for (const id of ids) {
      listed++;
      if (!present.has(String(id))) missing++;
    }
  }
  if (missing > 0) return `the '${use.rows}' list lacks ${missing} of the ${listed} children its parents list (the sideload was cut short)`;
  return null;
}

/** A probe's verdict per include path of an endpoint: null when it works, else the problem. */
export type SideloadVerdicts = Map<string, string | null>;

const verdictKey = (use: SideloadUse) => `${use.endpoint.path} ${use.include}`;

/**
 * One full page of each endpoint whose sideloads the selection relies on, with every include it needs, checked
 * before the run. Costs one request per endpoint (two on a default sync).
 */
export async function probeSideloads(
  client: ActiveCampaignClient,
  selection: readonly TableSelection[],
  signal?: AbortSignal,
): Promise<SideloadVerdicts> {
  const byEndpoint = new Map<string, SideloadUse[]>();
  for (const { table, mode } of selection) {
    const use = sideloadUse(table, mode);
    if (!use) continue;
    const uses = byEndpoint.get(use.endpoint.path) ?? [];
    if (!uses.some((u) => u.include === use.include)) uses.push(use);
    byEndpoint.set(use.endpoint.path, uses);
  }
  const verdicts: SideloadVerdicts = new Map();
  for (const uses of byEndpoint.values()) {
    const endpoint = (uses[0] as SideloadUse).endpoint;
    const params: Record<string, string> = {
      ...endpoint.params,
      include: [...new Set(uses.map((u) => u.include))].sort().join(','),
      limit: String(PAGE_LIMIT),
      ...(endpoint.paging === 'keyset' ? { id_greater: '0' } : { offset: '0' }),
    };
    let body: Record<string, unknown>;
    try {
      body = await client.get(endpoint.path, params, signal);
    } catch (error) {
      // A key that may not read the endpoint gives no verdict: its tables fail on their own read, each with the
      // permission to grant, and the run goes on with the others (a partial run), as for any denied area.
      if (error instanceof ApiError && error.kind === 'permission') continue;
      throw error;
    }
    const parents = Array.isArray(body[endpoint.envelope]) ? (body[endpoint.envelope] as Record<string, unknown>[]) : [];
    for (const use of uses) verdicts.set(verdictKey(use), sideloadProblem(body, parents, use));
  }
  return verdicts;
}

export interface SideloadPlan {
  /** The selection with every table whose sideload failed moved to a documented list, or dropped. */
  readonly selection: TableSelection[];
  /** One line per table moved: what failed and what is read instead. */
  readonly warnings: { readonly table: string; readonly message: string }[];
  /** Tables that have no other way to be read: reported failed. */
  readonly failed: { readonly table: TableDef; readonly mode: TableSelection['mode']; readonly message: string }[];
}

/** Where a failed sideload is replaced: incremental children by their own full list, full reads by a fallback. */
export function planAroundSideloads(selection: readonly TableSelection[], verdicts: SideloadVerdicts): SideloadPlan {
  const plan: SideloadPlan = { selection: [], warnings: [], failed: [] };
  for (const chosen of selection) {
    const use = sideloadUse(chosen.table, chosen.mode);
    const problem = use ? verdicts.get(verdictKey(use)) : null;
    if (!use || !problem) {
      plan.selection.push(chosen);
      continue;
    }
    const { table } = chosen;
    const said = `${use.endpoint.path}: ${problem}`;
    const fullUse = sideloadUse(table, 'full');
    // A full read through a sideload works only where the probe said so.
    const fullWorks = !fullUse || verdicts.get(verdictKey(fullUse)) === null;
    if (chosen.mode === 'incremental' && fullWorks) {
      plan.selection.push({ table, mode: 'full' });
      plan.warnings.push({ table: table.name, message: `${said}; read in full from ${table.source.endpoint.path} instead` });
    } else if (table.source.fallback) {
      plan.selection.push({ table, mode: 'full', via: 'fallback' });
      plan.warnings.push({ table: table.name, message: `${said}; read in full from ${table.source.fallback.endpoint.path} instead` });
    } else {
      plan.failed.push({ table, mode: chosen.mode, message: `${said}, and the table has no other documented source` });
    }
  }
  return plan;
}
