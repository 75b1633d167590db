/**
 * What `acsync check` verifies about the API beyond permissions: the behaviours a sync relies on that the API
 * reference does not promise (docs/activecampaign-api.md sections 2–4), probed with a few small requests, each
 * with `ok` or what a sync does instead.
 */
import type { ActiveCampaignClient } from '../activecampaign/client.js';
import { PAGE_LIMIT } from '../activecampaign/pages.js';
import { TABLES, endpoints, type Endpoint } from '../catalog/index.js';
import { ApiError } from '../core/errors.js';
import { planAroundSideloads, probeSideloads } from './sideloads.js';

export interface Assumption {
  /** What is assumed, e.g. `/contacts honours include=fieldValues`. */
  readonly name: string;
  readonly ok: boolean;
  /** When not ok: what a sync does about it. */
  readonly instead?: string;
}

export async function checkAssumptions(client: ActiveCampaignClient): Promise<Assumption[]> {
  const results: Assumption[] = [];
  const readable = async <T>(work: () => Promise<T>): Promise<T | null> => {
    try {
      return await work();
    } catch (error) {
      // An area the key may not read is reported by the permission check; nothing to probe there.
      if (error instanceof ApiError && error.kind === 'permission') return null;
      throw error;
    }
  };

  // Sideloads: the tables that ride on them in their default modes, checked as a sync checks them.
  for (const endpoint of [endpoints.contacts, endpoints.deals]) {
    const selection = TABLES.filter((t) => t.incremental?.child && t.incremental.endpoint.path === endpoint.path).map((table) => ({ table, mode: 'incremental' as const }));
    const verdicts = await readable(() => probeSideloads(client, selection));
    if (!verdicts) continue;
    const plan = planAroundSideloads(selection, verdicts);
    const includes = [...new Set(selection.map((s) => s.table.incremental?.child?.include))].join(',');
    if (plan.warnings.length === 0 && plan.failed.length === 0) {
      results.push({ name: `${endpoint.path} honours include=${includes}`, ok: true });
    } else {
      for (const w of plan.warnings) results.push({ name: `${endpoint.path} sideload for ${w.table}`, ok: false, instead: w.message });
      for (const f of plan.failed) results.push({ name: `${endpoint.path} sideload for ${f.table.name}`, ok: false, instead: f.message });
    }
  }

  // The update filters: a bound in the future must leave nothing, or every incremental run reads every row.
  for (const endpoint of [endpoints.contacts, endpoints.deals]) {
    const future = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    const body = await readable(() => client.get(endpoint.path, { ...endpoint.params, 'filters[updated_after]': future, limit: '1' }));
    if (!body) continue;
    const rows = rowsOf(body, endpoint);
    results.push(
      rows.length === 0
        ? { name: `${endpoint.path} honours filters[updated_after]`, ok: true }
        : {
            name: `${endpoint.path} honours filters[updated_after]`,
            ok: false,
            instead: 'the filter was ignored: incremental syncs stay correct but read every row; consider --mode …=full',
          },
    );
  }

  // The orders paging relies on: ascending ids on contacts (keyset paging), ascending cdate on deals.
  const contacts = await readable(() => client.get(endpoints.contacts.path, { ...endpoints.contacts.params, id_greater: '0', limit: String(PAGE_LIMIT) }));
  if (contacts) {
    const ids = rowsOf(contacts, endpoints.contacts).map((r) => Number(r.id));
    const ascending = ids.every((id, i) => i === 0 || id > (ids[i - 1] as number));
    results.push(
      ascending
        ? { name: '/contacts orders[id]=ASC with id_greater', ok: true }
        : { name: '/contacts orders[id]=ASC with id_greater', ok: false, instead: 'ids do not ascend: a sync stops with an error on contacts rather than skip rows' },
    );
  }
  const deals = await readable(() => client.get(endpoints.deals.path, { ...endpoints.deals.params, offset: '0', limit: String(PAGE_LIMIT) }));
  if (deals) {
    const rows = rowsOf(deals, endpoints.deals);
    // Rows cut down by pipeline restrictions carry no cdate; the others must not go back in time.
    const cdates = rows.map((r) => Date.parse(String(r.cdate))).filter((c) => !Number.isNaN(c));
    const ordered = cdates.every((c, i) => i === 0 || c >= (cdates[i - 1] as number));
    results.push(
      ordered
        ? { name: '/deals orders[cdate]=ASC', ok: true }
        : { name: '/deals orders[cdate]=ASC', ok: false, instead: 'deals do not come in cdate order: a sync re-reads until no new deal appears and warns' },
    );
    const truncated = TABLES.find((t) => t.name === 'deals')?.source.truncated;
    const hidden = truncated ? rows.filter((r) => r[truncated.key] === truncated.equals).length : 0;
    if (truncated) {
      results.push(
        hidden === 0
          ? { name: 'every deal is visible to the key (first page)', ok: true }
          : { name: 'every deal is visible to the key (first page)', ok: false, instead: `${hidden} of the first ${rows.length} ${truncated.hint}` },
      );
    }
  }
  return results;
}

function rowsOf(body: Record<string, unknown>, endpoint: Endpoint): Record<string, unknown>[] {
  const rows = body[endpoint.envelope];
  return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
}
