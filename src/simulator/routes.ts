/**
 * The route table of the `/api/3` surface: every list endpoint with its envelope, filters, orders, sideloads
 * and `meta` form, and the per-parent lists. How a list request is answered lives in api.ts.
 */
import { hash, hashString } from './random.js';
import type { Model, ParentKind } from './model.js';
import type { Rec, RenderContext, Table } from './table.js';

export type FilterDef =
  | { kind: 'time'; key: string; op: 'after' | 'before' | 'equal' }
  | { kind: 'eq'; key: string }
  | { kind: 'contains'; key: string }
  | { kind: 'parent'; parent: ParentKind }
  /** The filter names its candidates directly (ids, an e-mail carrying the id). */
  | { kind: 'candidates'; ids: (value: string) => number[]; test?: (id: number, value: string, ctx: RenderContext) => boolean }
  | { kind: 'test'; test: (id: number, value: string, ctx: RenderContext) => boolean };

export type OrderDef =
  | { kind: 'id' }
  /** A time key that never decreases with the id (deal `cdate`): id order, no sort needed; equal values may tie. */
  | { kind: 'monotone'; key: string }
  | { kind: 'time'; key: string }
  | { kind: 'text'; key: string }
  | { kind: 'number'; key: string }
  | { kind: 'custom'; key: (id: number, ctx: RenderContext) => string };

export interface Sideloads {
  /** Keys placed before the envelope, in order. */
  before?: Rec;
  after?: Rec;
}

export interface ListRoute {
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
  /** Arrays every page carries (`/fields` options and relations, `/dealGroups` stages, `/contacts` scoreValues). */
  sideload?: (ids: number[], records: Rec[], query: URLSearchParams, ctx: RenderContext) => Sideloads;
  /** Sideloads asked for with `include=` (they may also add id arrays to the page's records). */
  include?: (ids: number[], records: Rec[], query: URLSearchParams, ctx: RenderContext) => Sideloads;
  /** A summary of the whole query for `meta` (`/deals` currencies), cached with the query's ids. */
  summary?: (ids: Iterable<number>) => Rec;
  meta?: (total: number, sequence: Sequence, query: URLSearchParams, limit: number, offset: number) => Rec;
}

export interface ChildRoute {
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

export interface Sequence {
  total: number;
  ids?: Uint32Array;
  summary?: Rec;
}

export interface Routes {
  lists: Map<string, ListRoute>;
  children: ChildRoute[];
}

export function parseCount(value: string | null, fallback: number): number {
  if (value === null || value.trim() === '') return fallback;
  const n = Number(value);
  return Number.isFinite(n) ? Math.trunc(n) : fallback;
}

/** Every route of the `/api/3` surface over a model. */
export function defineRoutes(model: Model): Routes {
  const lists = new Map<string, ListRoute>();
  const children: ChildRoute[] = [];
  const add = (route: ListRoute): void => {
    lists.set(route.path, route);
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
    include: (ids, records, query, ctx) => contactIncludes(model, ids, records, query, ctx),
    // Not an include= sideload: every /contacts page carries it.
    sideload: () => ({ before: { scoreValues: [] } }),
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
      cdate: { kind: 'monotone', key: 'cdate' },
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
    include: (ids, records, query, ctx) => dealIncludes(model, ids, records, query, ctx),
    summary: (ids) => currencies(model, ids),
    meta: (total, sequence) => ({ currencies: sequence.summary ?? {}, total }),
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
    children.push({ pattern, envelope: table.key, table, parentTable, parentKind, modelName, unpaged });
  };
  child('/contacts/{id}/notes', model.notes, model.contacts, 'contact', 'Subscriber');
  child('/contacts/{id}/contactTags', model.contactTags, model.contacts, 'contact', 'Subscriber', true);
  child('/contacts/{id}/contactLists', model.contactLists, model.contacts, 'contact', 'Subscriber');
  child('/contacts/{id}/contactDeals', model.contactDeals, model.contacts, 'contact', 'Subscriber');
  child('/deals/{id}/contactDeals', model.contactDeals, model.deals, 'deal', 'Deal');
  child('/deals/{id}/dealActivities', model.dealActivities, model.deals, 'deal', 'Deal');
  child('/campaigns/{id}/campaignMessages', model.campaignMessages, model.campaigns, 'campaign', 'Campaign');
  child('/groups/{id}/userGroups', model.userGroups, model.groups, 'group', 'Group');
  return { lists, children };
}

/** `include=` on /contacts: any of fieldValues(.field), contactTags(.tag), contactLists. */
function contactIncludes(model: Model, ids: number[], records: Rec[], query: URLSearchParams, ctx: RenderContext): Sideloads {
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
  records.forEach((record, i) => {
    if (values) record.fieldValues = (values[i] as number[]).map(String);
    if (tags) record.contactTags = (tags[i] as number[]).map(String);
    if (lists) record.contactLists = (lists[i] as number[]).map(String);
  });
  return { before };
}

/** `include=dealCustomFieldData` on /deals (the snake_case shape; none for truncated deals). */
function dealIncludes(model: Model, ids: number[], records: Rec[], query: URLSearchParams, ctx: RenderContext): Sideloads {
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

/** `meta.currencies` of `/deals`: count and value per currency over the whole query (visible deals only). */
function currencies(model: Model, ids: Iterable<number>): Rec {
  const totals = new Map<string, { count: number; value: number }>();
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
