/**
 * The `/api/3` surface: routes, list paging (offset and keyset), filters and orders, sideloads, `meta`
 * forms and permission denials. Transport concerns (auth, rate limit, latency, faults) live in server.ts.
 */
import { TABLES } from '../catalog/index.js';
import { USER_GROUP_ID_BASE } from './fixed.js';
import type { Model, ParentKind } from './model.js';
import { hash, hashString } from './random.js';
import type { Rec, RenderContext, Table } from './table.js';
import { parseFilterTime } from './time.js';

export interface ApiResponse {
  status: number;
  /** JSON body; undefined for an empty body. */
  body?: unknown;
}

type FilterDef =
  | { kind: 'time'; key: string; op: 'after' | 'before' | 'equal' }
  | { kind: 'eq'; key: string }
  | { kind: 'contains'; key: string }
  | { kind: 'parent'; parent: ParentKind }
  /** The filter names its candidates directly (ids, an e-mail carrying the id). */
  | { kind: 'candidates'; ids: (value: string) => number[]; test?: (id: number, value: string, ctx: RenderContext) => boolean }
  | { kind: 'test'; test: (id: number, value: string, ctx: RenderContext) => boolean };

type OrderDef =
  | { kind: 'id' }
  /** A key that grows with the id (deal `cdate`): id order, no sort needed. */
  | { kind: 'monotone' }
  | { kind: 'time'; key: string }
  | { kind: 'text'; key: string }
  | { kind: 'number'; key: string }
  | { kind: 'custom'; key: (id: number, ctx: RenderContext) => string };

interface Sideloads {
  /** Keys placed before the envelope, in order. */
  before?: Rec;
  after?: Rec;
}

interface ListRoute {
  path: string;
  envelope: string;
  table: Table<unknown>;
  total: 'string' | 'number' | 'absent';
  defaultLimit?: number;
  filters?: Record<string, FilterDef>;
  /** Plain query parameters that filter (`deal=`, `search=`, `ids=`…). */
  params?: Record<string, FilterDef>;
  orders?: Record<string, OrderDef>;
  /** Without an explicit order, the order changes between requests (`/deals`). */
  unstable?: boolean;
  /** `id_greater` keyset paging (`/contacts` only). */
  keyset?: boolean;
  sideload?: (ids: number[], records: Rec[], query: URLSearchParams, ctx: RenderContext) => Sideloads;
  meta?: (total: number, sequence: Sequence, query: URLSearchParams, limit: number, offset: number) => Rec;
}

interface ChildRoute {
  /** Pattern such as `/contacts/{id}/notes`. */
  pattern: string;
  envelope: string;
  parentTable: Table<unknown>;
  parentKind: ParentKind;
  /** Internal model name used in 404 messages (Subscriber = contact). */
  modelName: string;
  table: Table<unknown>;
  /** Ignores limit/offset and returns every row. */
  unpaged?: boolean;
}

interface Sequence {
  total: number;
  ids?: Uint32Array;
  currencies?: Rec;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
const CACHE_ENTRIES = 8;

function parseCount(value: string | null, fallback: number): number {
  if (value === null || value.trim() === '') return fallback;
  const n = Number(value);
  return Number.isFinite(n) ? Math.trunc(n) : fallback;
}

const FILTER_KEY = /^filters\[(.+)\]$/;
const ORDER_KEY = /^orders\[(.+)\]$/;

/** Small least-recently-used cache of computed id sequences. */
class SequenceCache {
  private readonly entries = new Map<string, Sequence>();

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
  private readonly lists = new Map<string, ListRoute>();
  private readonly childRoutes: ChildRoute[] = [];
  private readonly cache = new SequenceCache();
  /** Route path → 403 detail, for routes every reading table of which is denied. */
  private readonly denied = new Map<string, string>();

  constructor(
    private readonly model: Model,
    deny: readonly string[] = [],
  ) {
    this.defineRoutes();
    this.computeDenials(new Set(deny));
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
    for (const id of table.rows.all()) yield table.record(id, ctx);
  }

  count(resource: string): number {
    const table = this.model.table(resource === 'deals.dealCustomFieldData' ? 'dealCustomFieldData' : resource);
    if (!table) throw new RangeError(`unknown simulator resource: ${resource}`);
    return table.rows.count();
  }

  // ------------------------------------------------------------------ permissions

  private deniedResponse(routePath: string): ApiResponse | undefined {
    const detail = this.denied.get(routePath);
    return detail === undefined ? undefined : { status: 403, body: { errors: [{ status: 403, title: 'Forbidden', detail }] } };
  }

  /**
   * A route is denied when every catalog table reading it is denied. A table reads a route when it names
   * the route's path (source, join, per-parent parent, incremental stream) or takes its rows from the array
   * the route serves (`/dealStages` for pipelines_stages, `/contacts/{id}/notes` for the note tables).
   */
  private computeDenials(deny: ReadonlySet<string>): void {
    if (deny.size === 0) return;
    const routes: [string, string][] = [
      ...[...this.lists.values()].map((r): [string, string] => [r.path, r.envelope]),
      ...this.childRoutes.map((r): [string, string] => [r.pattern, r.envelope]),
      ['/users/{id}/userGroup', 'userGroups'],
      ['/messages/{id}', 'messages'],
    ];
    for (const [path, rows] of routes) {
      const readers = TABLES.filter((t) =>
        [t.source.endpoint.path, t.source.join?.endpoint.path, t.source.perParent?.parent.path, t.incremental?.endpoint.path].includes(path)
        || [t.source.rows ?? t.source.endpoint.envelope, t.incremental?.child?.rows, t.incremental?.child?.joinRows, t.source.join?.endpoint.envelope].includes(rows));
      if (readers.length > 0 && readers.every((t) => deny.has(t.name))) {
        const permission = (readers[0] as (typeof readers)[number]).source.endpoint.permission.toLowerCase();
        this.denied.set(path, `You do not have permission to view ${permission}.`);
      }
    }
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
      sequence = route.envelope === 'deals'
        ? this.cache.get(`deals|all|${this.model.version}`, () => ({ total: rows.count(), currencies: this.currencies(rows.all()) }))
        : { total: rows.count() };
      ids = this.fastPage(route, sequence.total, offset, limit, descending, idGreater, rotate);
    } else {
      const signature = `${route.path}|${active.map(([k, , v]) => `${k}=${v}`).sort().join('&')}|${JSON.stringify(order)}|${descending}|${this.model.version}`;
      sequence = this.cache.get(signature, () => this.computeSequence(route, active, order, descending, ctx));
      ids = this.slowPage(sequence, offset, limit, idGreater, idOrder && !descending, rotate);
    }

    const records = ids.map((id) => route.table.record(id, ctx));
    const sideloads = route.sideload?.(ids, records, query, ctx) ?? {};
    const body: Rec = { ...sideloads.before, [route.envelope]: records, ...sideloads.after };
    if (route.meta) body.meta = route.meta(sequence.total, sequence, query, limit, offset);
    else if (route.total === 'string') body.meta = { total: String(sequence.total) };
    else if (route.total === 'number') body.meta = { total: sequence.total };
    return { status: 200, body };
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
    if (route.envelope === 'deals') sequence.currencies = this.currencies(matched);
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

  /** `meta.currencies` of `/deals`: count and value per currency over the whole query (visible deals only). */
  private currencies(ids: Iterable<number>): Rec {
    const totals = new Map<string, { count: number; value: number }>();
    const model = this.model;
    for (const id of ids) {
      if (model.isRestrictedPipeline(model.deals.struct(id).pipeline)) continue;
      const money = model.dealMoney(id);
      const code = money.currency.toUpperCase();
      const entry = totals.get(code) ?? { count: 0, value: 0 };
      entry.count++;
      entry.value += money.value;
      totals.set(code, entry);
    }
    const out: Rec = {};
    for (const code of [...totals.keys()].sort()) {
      const entry = totals.get(code) as { count: number; value: number };
      out[code] = { currency: code, total: String(entry.count), value: String(entry.value) };
    }
    return out;
  }

  // ------------------------------------------------------------------ per-parent lists

  private children(route: ChildRoute, parentId: number, query: URLSearchParams, ctx: RenderContext): ApiResponse {
    if (!route.parentTable.rows.has(parentId)) return notFound(route.modelName, String(parentId));
    let ids = route.table.children(route.parentKind, parentId).sort((a, b) => a - b);
    if (!route.unpaged) {
      let limit = parseCount(query.get('limit'), DEFAULT_LIMIT);
      if (limit <= 0) limit = DEFAULT_LIMIT;
      const offset = Math.max(0, parseCount(query.get('offset'), 0));
      ids = ids.slice(offset, offset + Math.min(limit, MAX_LIMIT));
    }
    return { status: 200, body: { [route.envelope]: ids.map((id) => route.table.record(id, ctx)) } };
  }

  // ------------------------------------------------------------------ route table

  private defineRoutes(): void {
    const model = this.model;
    const add = (route: ListRoute): void => {
      this.lists.set(route.path, route);
    };
    const simple = (path: string, table: Table<unknown>, extra: Partial<ListRoute> = {}): void =>
      add({ path, envelope: table.key, table, total: 'string', ...extra });

    add({
      path: '/contacts',
      envelope: 'contacts',
      table: model.contacts,
      total: 'string',
      keyset: true,
      filters: {
        updated_after: { kind: 'time', key: 'udate', op: 'after' },
        updated_before: { kind: 'time', key: 'udate', op: 'before' },
        created_after: { kind: 'time', key: 'cdate', op: 'after' },
        created_before: { kind: 'time', key: 'cdate', op: 'before' },
      },
      params: {
        ids: { kind: 'candidates', ids: (value) => value.split(',').map((v) => Number(v.trim())).filter(Number.isInteger) },
        // Generated addresses carry the contact id (`ana.souza17@…`), which keeps the lookup O(1) on big accounts.
        email: {
          kind: 'candidates',
          ids: (value) => {
            const named = /(\d+)@/.exec(value);
            return named ? [Number(named[1])] : [];
          },
          test: (id, value, ctx) => String(model.contacts.record(id, ctx).email).toLowerCase() === value.toLowerCase(),
        },
        listid: {
          kind: 'test',
          test: (id, value) => model.contactLists.children('contact', id).some((c) => model.contactLists.struct(c).list === Number(value)),
        },
        tagid: {
          kind: 'test',
          test: (id, value) => model.contactTags.children('contact', id).some((c) => model.contactTags.struct(c).tag === Number(value)),
        },
      },
      orders: { id: { kind: 'id' } },
      sideload: (ids, records, query, ctx) => this.contactSideloads(ids, records, query, ctx),
      meta: (total, _sequence, query, limit, offset) => ({
        total: String(total),
        page_input: {
          segmentid: 0,
          formid: 0,
          listid: parseCount(query.get('listid'), 0),
          tagid: parseCount(query.get('tagid'), 0),
          limit,
          offset,
          search: query.get('search'),
          sort: null,
          seriesid: 0,
          waitid: 0,
          status: parseCount(query.get('status'), -1),
          forceQuery: 0,
          cacheid: [0, 1, 2, 3].map((i) => hash(hashString(query.toString()), i).toString(16).padStart(8, '0')).join(''),
        },
      }),
    });
    add({
      path: '/deals',
      envelope: 'deals',
      table: model.deals,
      total: 'number',
      unstable: true,
      filters: {
        updated_after: { kind: 'time', key: 'mdate', op: 'after' },
        created_after: { kind: 'time', key: 'cdate', op: 'after' },
        group: { kind: 'test', test: (id, value) => model.deals.struct(id).pipeline === Number(value) },
        stage: { kind: 'eq', key: 'stage' },
        status: { kind: 'eq', key: 'status' },
        owner: { kind: 'eq', key: 'owner' },
      },
      orders: {
        cdate: { kind: 'monotone' },
        title: { kind: 'text', key: 'title' },
        value: { kind: 'number', key: 'value' },
        contact_name: { kind: 'custom', key: (id) => {
          const names = model.contactNames(model.deals.struct(id).contact);
          return `${names.first} ${names.last}`;
        } },
        contact_orgname: { kind: 'custom', key: (id, ctx) => {
          const contact = model.deals.struct(id).contact;
          return model.contacts.rows.has(contact) ? String(model.contacts.record(contact, ctx).orgname) : '';
        } },
        'next-action': { kind: 'time', key: 'nextdate' },
      },
      sideload: (ids, records, query, ctx) => this.dealSideloads(ids, records, query, ctx),
      meta: (total, sequence) => ({ currencies: sequence.currencies ?? {}, total }),
    });

    simple('/accounts', model.accounts, { params: { search: { kind: 'contains', key: 'name' } } });
    simple('/accountContacts', model.accountContacts, {
      filters: { account: { kind: 'parent', parent: 'account' }, contact: { kind: 'parent', parent: 'contact' } },
    });
    simple('/accountCustomFieldData', model.accountCustomFieldData, { total: 'absent', filters: { customerAccountId: { kind: 'parent', parent: 'account' } } });
    simple('/accountCustomFieldMeta', model.accountCustomFieldMeta, { total: 'absent', defaultLimit: 100 });
    simple('/notes', model.notes);
    simple('/campaigns', model.campaigns, {
      filters: { seriesid: { kind: 'eq', key: 'seriesid' } },
      orders: { sdate: { kind: 'time', key: 'sdate' }, ldate: { kind: 'time', key: 'ldate' } },
    });
    simple('/campaignMessages', model.campaignMessages);
    simple('/messages', model.messages);
    simple('/fieldValues', model.fieldValues, {
      filters: {
        fieldid: { kind: 'test', test: (id, value) => model.fieldValues.struct(id).field === Number(value) },
        val: { kind: 'eq', key: 'value' },
      },
    });
    simple('/fields', model.fields, {
      defaultLimit: 100,
      filters: { perstag: { kind: 'eq', key: 'perstag' } },
      sideload: (ids, _records, _query, ctx) => ({
        before: {
          fieldOptions: ids.flatMap((id) => model.fieldOptions.children('field', id)).map((id) => model.fieldOptions.record(id, ctx)),
          fieldRels: ids.flatMap((id) => model.fieldRels.children('field', id)).map((id) => model.fieldRels.record(id, ctx)),
        },
      }),
    });
    simple('/contactLists', model.contactLists);
    simple('/tags', model.tags);
    simple('/contactTags', model.contactTags, {
      filters: {
        subscriberid: { kind: 'parent', parent: 'contact' },
        tagid: { kind: 'test', test: (id, value) => model.contactTags.struct(id).tag === Number(value) },
        cdate: { kind: 'time', key: 'cdate', op: 'equal' },
      },
      orders: { cdate: { kind: 'time', key: 'cdate' } },
    });
    simple('/dealTasks', model.dealTasks, {
      filters: {
        reltype: { kind: 'test', test: (id, value) => model.dealTasks.struct(id).reltype === value },
        relid: { kind: 'test', test: (id, value) => model.dealTasks.struct(id).relid === Number(value) },
        status: { kind: 'test', test: (id, value) => model.taskStatus(id) === Number(value) },
        d_tasktypeid: { kind: 'eq', key: 'dealTasktype' },
        assignee_userid: { kind: 'eq', key: 'assignee' },
        outcome_id: { kind: 'eq', key: 'outcomeId' },
        due_after: { kind: 'time', key: 'duedate', op: 'after' },
      },
    });
    simple('/dealActivities', model.dealActivities, {
      params: {
        deal: { kind: 'parent', parent: 'deal' },
        exclude: { kind: 'test', test: (id, value, ctx) => value !== 'email' || model.dealActivities.record(id, ctx).dataType !== 'email' },
      },
      filters: { data_type: { kind: 'eq', key: 'dataType' }, data_id: { kind: 'eq', key: 'dataId' } },
    });
    simple('/dealCustomFieldData', model.dealCustomFieldData, { total: 'absent', filters: { dealId: { kind: 'parent', parent: 'deal' } } });
    simple('/dealCustomFieldMeta', model.dealCustomFieldMeta, { total: 'absent', defaultLimit: 100 });
    simple('/contactDeals', model.contactDeals);
    simple('/lists', model.lists, { filters: { name: { kind: 'contains', key: 'name' } }, orders: { name: { kind: 'text', key: 'name' } } });
    simple('/dealGroups', model.dealGroups, {
      filters: { title: { kind: 'contains', key: 'title' }, have_stages: { kind: 'test', test: (id, value) => value !== '1' || model.dealStages.children('pipeline', id).length > 0 } },
      orders: { title: { kind: 'text', key: 'title' } },
      sideload: (ids, _records, _query, ctx) => ({
        after: { dealStages: ids.flatMap((id) => model.dealStages.children('pipeline', id)).map((id) => model.dealStages.record(id, ctx)) },
      }),
    });
    simple('/dealStages', model.dealStages, {
      filters: { d_groupid: { kind: 'parent', parent: 'pipeline' }, title: { kind: 'contains', key: 'title' } },
      orders: { title: { kind: 'text', key: 'title' } },
    });
    simple('/scores', model.scores);
    simple('/taskOutcomes', model.taskOutcomes, { filters: { sentiment: { kind: 'eq', key: 'sentiment' } } });
    simple('/dealTasktypes', model.dealTasktypes);
    simple('/tasktypeOutcomeRels', model.tasktypeOutcomeRels);
    simple('/groups', model.groups);
    simple('/users', model.users);

    const child = (pattern: string, table: Table<unknown>, parentTable: Table<unknown>, parentKind: ParentKind, modelName: string, unpaged = false): void => {
      this.childRoutes.push({ pattern, envelope: table.key, table, parentTable, parentKind, modelName, unpaged });
    };
    child('/contacts/{id}/notes', model.notes, model.contacts, 'contact', 'Subscriber');
    child('/contacts/{id}/contactTags', model.contactTags, model.contacts, 'contact', 'Subscriber', true);
    child('/contacts/{id}/contactLists', model.contactLists, model.contacts, 'contact', 'Subscriber');
    child('/contacts/{id}/contactDeals', model.contactDeals, model.contacts, 'contact', 'Subscriber');
    child('/deals/{id}/contactDeals', model.contactDeals, model.deals, 'deal', 'Deal');
    child('/deals/{id}/dealActivities', model.dealActivities, model.deals, 'deal', 'Deal');
    child('/campaigns/{id}/campaignMessages', model.campaignMessages, model.campaigns, 'campaign', 'Campaign');
    child('/groups/{id}/userGroups', model.userGroups, model.groups, 'group', 'Group');
  }

  private contactSideloads(ids: number[], records: Rec[], query: URLSearchParams, ctx: RenderContext): Sideloads {
    const model = this.model;
    const paths = new Set((query.get('include') ?? '').split(',').map((p) => p.trim()).filter(Boolean));
    const roots = new Set([...paths].map((p) => p.split('.')[0]));
    const before: Rec = {};
    const perContact = (table: Table<unknown>): number[][] => ids.map((id) => table.children('contact', id));
    const lists = roots.has('contactLists') ? perContact(model.contactLists) : undefined;
    const tags = roots.has('contactTags') ? perContact(model.contactTags) : undefined;
    const values = roots.has('fieldValues') ? perContact(model.fieldValues) : undefined;
    // Sideloaded rows come in ascending id order, as a `WHERE parent IN (…)` query returns them.
    const ascending = (lists: number[][]): number[] => lists.flat().sort((a, b) => a - b);
    if (lists) before.contactLists = ascending(lists).map((id) => model.contactLists.record(id, ctx));
    if (tags) {
      before.contactTags = ascending(tags).map((id) => model.contactTags.record(id, ctx));
      if (paths.has('contactTags.tag')) {
        const tagIds = [...new Set(tags.flat().map((id) => model.contactTags.struct(id).tag))].sort((a, b) => a - b);
        before.tags = tagIds.filter((id) => model.tags.rows.has(id)).map((id) => model.tags.record(id, ctx));
      }
    }
    if (values) {
      before.fieldValues = ascending(values).map((id) => model.fieldValues.record(id, ctx));
      if (paths.has('fieldValues.field')) {
        const fieldIds = [...new Set(values.flat().map((id) => model.fieldValues.struct(id).field))].sort((a, b) => a - b);
        before.fields = fieldIds.map((id) => model.fields.record(id, ctx));
      }
    }
    before.scoreValues = [];
    records.forEach((record, i) => {
      if (values) record.fieldValues = (values[i] as number[]).map(String);
      if (tags) record.contactTags = (tags[i] as number[]).map(String);
      if (lists) record.contactLists = (lists[i] as number[]).map(String);
    });
    return { before };
  }

  private dealSideloads(ids: number[], records: Rec[], query: URLSearchParams, ctx: RenderContext): Sideloads {
    const model = this.model;
    const paths = new Set((query.get('include') ?? '').split(',').map((p) => p.trim()));
    if (!paths.has('dealCustomFieldData')) return {};
    const all: number[] = [];
    records.forEach((record, i) => {
      if (record.isDisabled === 1) return;
      const children = model.dealCustomFieldData.children('deal', ids[i] as number);
      record.dealCustomFieldData = children.map(String);
      all.push(...children);
    });
    all.sort((a, b) => a - b);
    return { before: { dealCustomFieldData: all.map((id) => model.dealFieldSideload(id, ctx)) } };
  }
}

function notFound(model: string, id: string): ApiResponse {
  return { status: 404, body: { message: `No Result found for ${model} with id ${id}` } };
}

