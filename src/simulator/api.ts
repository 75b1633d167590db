/**
 * How the `/api/3` surface answers: route lookup, list paging (offset and keyset), filters and orders,
 * sideloads, `meta` forms and permission denials. The routes themselves are in routes.ts; transport concerns
 * (auth, rate limit, latency, faults) live in server.ts.
 */
import type { Permission } from '../catalog/index.js';
import { USER_GROUP_ID_BASE } from './fixed.js';
import type { Model } from './model.js';
import { DEFAULT_BEHAVIOUR, type Behaviour } from './options.js';
import { deniedBody, routeArea } from './permissions.js';
import { Tag, hashString, unit } from './random.js';
import { defineRoutes, parseCount, type ChildRoute, type FilterDef, type ListRoute, type OrderDef, type Sequence, type Sideloads } from './routes.js';
import type { Rec, RenderContext, Table } from './table.js';
import { pageWithShuffledTies } from './ties.js';
import { parseFilterTime } from './time.js';

export interface ApiResponse {
  status: number;
  /** JSON body; undefined for an empty body. */
  body?: unknown;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
const CACHE_ENTRIES = 8;
/** How far `meta.total` is off with `total: 'low'` or `'high'`: one page. */
const TOTAL_ERROR = 100;

const FILTER_KEY = /^filters\[(.+)\]$/;
const ORDER_KEY = /^orders\[(.+)\]$/;

/** Small least-recently-used cache of computed id sequences. */
class SequenceCache {
  private readonly entries = new Map<string, Sequence>();

  clear(): void {
    this.entries.clear();
  }

  get(key: string, compute: () => Sequence): Sequence {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const value = compute();
    this.entries.set(key, value);
    if (this.entries.size > CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }
}

export class Api {
  private readonly lists: Map<string, ListRoute>;
  private readonly childRoutes: ChildRoute[];
  private readonly cache = new SequenceCache();
  private behaviour: Behaviour = { ...DEFAULT_BEHAVIOUR };
  /** Route path (or pattern) → the area it needs, for every route but `/users/me`. */
  private readonly areas = new Map<string, Permission>();

  constructor(private readonly model: Model) {
    const routes = defineRoutes(model);
    this.lists = routes.lists;
    this.childRoutes = routes.children;
    const named: [string, string][] = [
      ...[...this.lists.values()].map((r): [string, string] => [r.path, r.envelope]),
      ...this.childRoutes.map((r): [string, string] => [r.pattern, r.envelope]),
      ['/users/{id}/userGroup', 'userGroups'],
      ['/messages/{id}', 'messages'],
    ];
    for (const [path, envelope] of named) {
      const area = routeArea(path, envelope);
      if (area) this.areas.set(path, area);
    }
  }

  /** Takes the behaviour switches the surface reads (sideloads, total, cdateTies, notFoundParents, deny). */
  configure(behaviour: Behaviour): void {
    this.behaviour = behaviour;
    // Cached sequences may hold filters or orders on tied `cdate`s.
    this.cache.clear();
  }

  /** Handles `GET /api/3<path>`. */
  handle(path: string, query: URLSearchParams, ctx: RenderContext): ApiResponse {
    const normalized = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const list = this.lists.get(normalized);
    if (list) return this.deniedResponse(list.path) ?? this.list(list, query, ctx);
    if (normalized === '/users/me') return { status: 200, body: { user: this.model.users.record(1, ctx) } };
    const users = /^\/users\/(\d+)\/userGroup$/.exec(normalized);
    if (users) {
      const denial = this.deniedResponse('/users/{id}/userGroup');
      if (denial) return denial;
      const user = Number(users[1]);
      if (!this.model.users.rows.has(user)) return notFound('User', users[1] as string);
      return { status: 200, body: { userGroup: this.model.userGroups.record(USER_GROUP_ID_BASE + user, ctx) } };
    }
    const message = /^\/messages\/(\d+)$/.exec(normalized);
    if (message) {
      const denial = this.deniedResponse('/messages/{id}');
      if (denial) return denial;
      const id = Number(message[1]);
      if (!this.model.messages.rows.has(id)) return notFound('Message', message[1] as string);
      return { status: 200, body: { message: this.model.messages.record(id, ctx) } };
    }
    for (const route of this.childRoutes) {
      const [prefix, suffix] = route.pattern.split('{id}') as [string, string];
      if (!normalized.startsWith(prefix) || !normalized.endsWith(suffix)) continue;
      const raw = normalized.slice(prefix.length, normalized.length - suffix.length);
      if (!/^\d+$/.test(raw)) continue;
      const denial = this.deniedResponse(route.pattern);
      if (denial) return denial;
      return this.children(route, Number(raw), query, ctx);
    }
    return { status: 404, body: { message: `No Result found for Route with path /api/3${normalized}` } };
  }

  /** Every row of a resource as its list endpoint serves it (the test oracle). */
  *records(resource: string, ctx: RenderContext): Generator<Rec> {
    const model = this.model;
    if (resource === 'deals.dealCustomFieldData') {
      for (const id of model.dealCustomFieldData.rows.all()) yield model.dealFieldSideload(id, ctx);
      return;
    }
    const table = model.table(resource);
    if (!table) throw new RangeError(`unknown simulator resource: ${resource}`);
    const reachable = this.reachableThroughParents(table);
    for (const id of reachable ?? table.rows.all()) yield table.record(id, ctx);
  }

  count(resource: string): number {
    const table = this.model.table(resource === 'deals.dealCustomFieldData' ? 'dealCustomFieldData' : resource);
    if (!table) throw new RangeError(`unknown simulator resource: ${resource}`);
    return this.reachableThroughParents(table)?.length ?? table.rows.count();
  }

  /**
   * For a table no list endpoint serves (`userGroups`), while some parents answer 404 (`notFoundParents`): the
   * rows the per-parent lists still serve, ascending. Undefined when every row is reachable.
   */
  private reachableThroughParents(table: Table<unknown>): number[] | undefined {
    if (this.behaviour.notFoundParents === 0 || [...this.lists.values()].some((r) => r.table === table)) return undefined;
    const routes = this.childRoutes.filter((r) => r.table === table);
    if (routes.length === 0) return undefined;
    const ids = new Set<number>();
    for (const route of routes) {
      for (const parent of route.parentTable.rows.all()) {
        if (!this.parentMissing(route, parent)) for (const id of table.children(route.parentKind, parent)) ids.add(id);
      }
    }
    return [...ids].sort((a, b) => a - b);
  }

  // ------------------------------------------------------------------ permissions

  private deniedResponse(routePath: string): ApiResponse | undefined {
    const area = this.areas.get(routePath);
    return area !== undefined && this.behaviour.deny.includes(area) ? { status: 403, body: deniedBody(area) } : undefined;
  }

  // ------------------------------------------------------------------ lists

  private list(route: ListRoute, query: URLSearchParams, ctx: RenderContext): ApiResponse {
    let limit = parseCount(query.get('limit'), route.defaultLimit ?? DEFAULT_LIMIT);
    if (limit <= 0) limit = route.defaultLimit ?? DEFAULT_LIMIT;
    limit = Math.min(limit, MAX_LIMIT);
    const offset = Math.max(0, parseCount(query.get('offset'), 0));

    const active: [string, FilterDef, string][] = [];
    let order: OrderDef = { kind: 'id' };
    let descending = false;
    let explicitOrder = false;
    for (const [key, value] of query) {
      const filter = FILTER_KEY.exec(key);
      const name = filter ? filter[1] as string : key;
      const def = filter ? route.filters?.[name] : route.params?.[key];
      if (def && value.trim() !== '') {
        if (def.kind === 'time' && parseFilterTime(value) === undefined) return { status: 400, body: {} };
        active.push([filter ? `filters[${name}]` : key, def, value.trim()]);
        continue;
      }
      const ordered = ORDER_KEY.exec(key);
      const orderDef = ordered ? route.orders?.[ordered[1] as string] : undefined;
      if (orderDef && !explicitOrder) {
        order = orderDef;
        descending = value.trim().toUpperCase() === 'DESC';
        explicitOrder = true;
      }
    }
    const idGreater = route.keyset ? parseCount(query.get('id_greater'), -1) : -1;
    const rows = route.table.rows;

    let sequence: Sequence;
    let ids: number[];
    const idOrder = order.kind === 'id' || order.kind === 'monotone';
    const rotate = route.unstable === true && !explicitOrder;
    if (active.length === 0 && idOrder) {
      const summary = route.summary;
      sequence = summary
        ? this.cache.get(`${route.path}|all|${this.model.version}`, () => ({ total: rows.count(), summary: summary(rows.all()) }))
        : { total: rows.count() };
      ids = this.fastPage(route, sequence.total, offset, limit, descending, idGreater, rotate);
    } else {
      const signature = `${route.path}|${active.map(([k, , v]) => `${k}=${v}`).sort().join('&')}|${JSON.stringify(order)}|${descending}|${this.model.version}`;
      sequence = this.cache.get(signature, () => this.computeSequence(route, active, order, descending, ctx));
      ids = this.slowPage(sequence, offset, limit, idGreater, idOrder && !descending, rotate);
    }

    if (order.kind === 'monotone' && this.behaviour.cdateTies) {
      // Equal `cdate`s (bulk-created deals) come back in a new order on every request.
      const sorted = sequence.ids;
      const at = sorted ? (k: number) => sorted[k] as number : descending ? (k: number) => rows.select(sequence.total - 1 - k) : (k: number) => rows.select(k);
      const seed = ctx.requestSeed ?? Math.floor(Math.random() * 2 ** 32);
      ids = pageWithShuffledTies(at, sequence.total, offset, limit, (id) => route.table.time(id, order.key, ctx), seed);
    }

    const records = ids.map((id) => route.table.record(id, ctx));
    const sideloads = this.behaviour.sideloads;
    const included = sideloads === 'none' ? {} : capSideloads(route.include?.(ids, records, query, ctx) ?? {}, sideloads);
    const always = route.sideload?.(ids, records, query, ctx) ?? {};
    const body: Rec = { ...included.before, ...always.before, [route.envelope]: records, ...always.after, ...included.after };
    const meta = this.meta(route, sequence, query, limit, offset);
    if (meta) body.meta = meta;
    return { status: 200, body };
  }

  /** `meta` of a list page, its `total` as the switch `total` says. */
  private meta(route: ListRoute, sequence: Sequence, query: URLSearchParams, limit: number, offset: number): Rec | undefined {
    const mode = this.behaviour.total;
    const total = mode === 'low' ? Math.max(0, sequence.total - TOTAL_ERROR) : mode === 'high' ? sequence.total + TOTAL_ERROR : sequence.total;
    let meta: Rec | undefined;
    if (route.meta) meta = route.meta(total, sequence, query, limit, offset);
    else if (route.total === 'string') meta = { total: String(total) };
    else if (route.total === 'number') meta = { total };
    if (meta && mode === 'absent') {
      delete meta.total;
      if (Object.keys(meta).length === 0) return undefined;
    }
    return meta;
  }

  private fastPage(route: ListRoute, total: number, offset: number, limit: number, descending: boolean, idGreater: number, rotate: boolean): number[] {
    const rows = route.table.rows;
    if (idGreater >= 0 && !descending) return rows.after(idGreater, offset + limit).slice(offset);
    if (offset >= total) return [];
    const want = Math.min(limit, total - offset);
    if (descending) {
      const out: number[] = [];
      for (let i = 0; i < want; i++) {
        const id = rows.select(total - 1 - offset - i);
        if (idGreater < 0 || id > idGreater) out.push(id);
      }
      return out;
    }
    // The unstable order of /deals: the id order rotated by a random amount on every request.
    const start = rotate ? (offset + Math.floor(Math.random() * total)) % total : offset;
    const first = rows.select(start);
    const out = [first, ...rows.after(first, want - 1)];
    if (out.length < want) out.push(...rows.after(0, want - out.length));
    return out;
  }

  private slowPage(sequence: Sequence, offset: number, limit: number, idGreater: number, ascendingIds: boolean, rotate: boolean): number[] {
    let ids = sequence.ids as Uint32Array;
    if (idGreater >= 0) {
      if (ascendingIds) {
        let lo = 0;
        let hi = ids.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if ((ids[mid] as number) <= idGreater) lo = mid + 1;
          else hi = mid;
        }
        ids = ids.subarray(lo);
      } else {
        ids = ids.filter((id) => id > idGreater);
      }
    }
    if (offset >= ids.length) return [];
    const want = Math.min(limit, ids.length - offset);
    const start = rotate ? Math.floor(Math.random() * ids.length) : 0;
    const out: number[] = [];
    for (let i = 0; i < want; i++) out.push(ids[(start + offset + i) % ids.length] as number);
    return out;
  }

  private computeSequence(route: ListRoute, active: [string, FilterDef, string][], order: OrderDef, descending: boolean, ctx: RenderContext): Sequence {
    const table = route.table;
    let candidates: Iterable<number> | undefined;
    const predicates: ((id: number) => boolean)[] = [];
    for (const [, def, value] of active) {
      if (def.kind === 'parent' || def.kind === 'candidates') {
        const named = def.kind === 'parent'
          ? table.children(def.parent, Number(value))
          : def.ids(value).filter((id) => table.rows.has(id));
        const set = candidates ? new Set(candidates) : undefined;
        candidates = set ? named.filter((id) => set.has(id)) : named;
      }
      if (def.kind !== 'parent') predicates.push(this.predicate(table, def, value, ctx));
    }
    const matched: number[] = [];
    const visit = (id: number): void => {
      for (const p of predicates) if (!p(id)) return;
      matched.push(id);
    };
    if (candidates) [...new Set(candidates)].sort((a, b) => a - b).forEach(visit);
    else table.rows.forEach(visit);

    if (order.kind !== 'id' && order.kind !== 'monotone') {
      const keyed = matched.map((id) => ({ id, key: this.sortKey(table, order, id, ctx) }));
      keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id - b.id));
      matched.length = 0;
      for (const k of keyed) matched.push(k.id);
    }
    if (descending) matched.reverse();
    const sequence: Sequence = { total: matched.length, ids: Uint32Array.from(matched) };
    if (route.summary) sequence.summary = route.summary(matched);
    return sequence;
  }

  private sortKey(table: Table<unknown>, order: OrderDef, id: number, ctx: RenderContext): number | string {
    if (order.kind === 'time') return table.time(id, order.key, ctx) ?? -Infinity;
    if (order.kind === 'custom') return order.key(id, ctx).toLowerCase();
    const record = table.fullRecord(id, ctx);
    if (order.kind === 'number') {
      const n = Number(record[order.key]);
      return Number.isFinite(n) ? n : -Infinity;
    }
    const value = order.kind === 'text' ? record[order.key] : undefined;
    return typeof value === 'string' ? value.toLowerCase() : '';
  }

  private predicate(table: Table<unknown>, def: FilterDef, value: string, ctx: RenderContext): (id: number) => boolean {
    switch (def.kind) {
      case 'time': {
        const limit = parseFilterTime(value) as number;
        const op = def.op;
        return (id) => {
          const t = table.time(id, def.key, ctx);
          if (t === undefined) return false;
          return op === 'after' ? t >= limit : op === 'before' ? t <= limit : t === limit;
        };
      }
      case 'eq':
        return (id) => {
          const v = table.fullRecord(id, ctx)[def.key];
          return v !== null && v !== undefined && String(v) === value;
        };
      case 'contains': {
        const needle = value.toLowerCase();
        return (id) => String(table.fullRecord(id, ctx)[def.key] ?? '').toLowerCase().includes(needle);
      }
      case 'test':
        return (id) => def.test(id, value, ctx);
      case 'candidates': {
        const test = def.test;
        return test ? (id) => test(id, value, ctx) : () => true;
      }
      case 'parent':
        return () => true;
    }
  }

  // ------------------------------------------------------------------ per-parent lists

  private children(route: ChildRoute, parentId: number, query: URLSearchParams, ctx: RenderContext): ApiResponse {
    if (!route.parentTable.rows.has(parentId) || this.parentMissing(route, parentId)) return notFound(route.modelName, String(parentId));
    const ignoresId = this.behaviour.perParentIds === 'ignored' && route.parentKind === 'deal';
    let ids = ignoresId ? [...route.table.rows.all()] : route.table.children(route.parentKind, parentId).sort((a, b) => a - b);
    if (!route.unpaged) {
      let limit = parseCount(query.get('limit'), DEFAULT_LIMIT);
      if (limit <= 0) limit = DEFAULT_LIMIT;
      const offset = Math.max(0, parseCount(query.get('offset'), 0));
      ids = ids.slice(offset, offset + Math.min(limit, MAX_LIMIT));
    }
    return { status: 200, body: { [route.envelope]: ids.map((id) => route.table.record(id, ctx)) } };
  }

  /** With `notFoundParents`, this parent answers 404 on this per-parent list (deterministic by seed, route and id). */
  private parentMissing(route: ChildRoute, parentId: number): boolean {
    const fraction = this.behaviour.notFoundParents;
    return fraction > 0 && unit(this.model.base.seed, Tag.missingParent, hashString(route.pattern), parentId) < fraction;
  }
}

/** Each sideload array cut to its first `mode` entries (a number), or left whole (`full`). */
function capSideloads(sideloads: Sideloads, mode: Behaviour['sideloads']): Sideloads {
  if (typeof mode !== 'number') return sideloads;
  const cap = (part: Rec | undefined): Rec | undefined => {
    if (!part) return part;
    const out: Rec = {};
    for (const [key, value] of Object.entries(part)) out[key] = Array.isArray(value) ? value.slice(0, mode) : value;
    return out;
  };
  return { before: cap(sideloads.before), after: cap(sideloads.after) };
}

function notFound(model: string, id: string): ApiResponse {
  return { status: 404, body: { message: `No Result found for ${model} with id ${id}` } };
}

