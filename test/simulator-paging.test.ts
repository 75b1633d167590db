/**
 * Paging, filters, orders and sideloads of the simulator: every row is visited exactly once (offset and
 * keyset, before and after deletions), `meta.total` matches, `limit` defaults to 20 and is capped at 100,
 * the section 3 filters work (and unknown ones are ignored), and sideloads are page-scoped and consistent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { endpoints } from '../src/catalog/index.js';
import { DEMO_KEY, startSimulator, type Simulator } from '../src/simulator/index.js';

type Rec = Record<string, unknown>;

let sim: Simulator;

async function get(path: string): Promise<{ status: number; body: Rec }> {
  const response = await fetch(`${sim.url}/api/3${path}`, { headers: { 'Api-Token': DEMO_KEY } });
  return { status: response.status, body: (await response.json()) as Rec };
}

function rows(body: Rec, key: string): Rec[] {
  assert.ok(Array.isArray(body[key]), `${key} is an array`);
  return body[key] as Rec[];
}

function ids(records: Iterable<Rec>): string[] {
  return [...records].map((r) => r.id as string);
}

function oracle(resource: string): Rec[] {
  return [...sim.account.records(resource)];
}

/** Offset paging with limit=100 until a short page; returns the rows and ids in order and the last meta. */
async function offsetAll(path: string, envelope: string): Promise<{ ids: string[]; records: Rec[]; meta: unknown }> {
  const records: Rec[] = [];
  let meta: unknown;
  for (let offset = 0; ; offset += 100) {
    const sep = path.includes('?') ? '&' : '?';
    const { status, body } = await get(`${path}${sep}limit=100&offset=${offset}`);
    assert.equal(status, 200, path);
    const page = rows(body, envelope);
    records.push(...page);
    meta = body.meta;
    if (page.length < 100) break;
  }
  return { ids: ids(records), records, meta };
}

/** Keyset paging of /contacts: orders[id]=ASC&id_greater=<last id>. */
async function keysetAll(extra = ''): Promise<{ ids: string[]; pages: Rec[] }> {
  const out: string[] = [];
  const pages: Rec[] = [];
  let last = '0';
  for (;;) {
    const { status, body } = await get(`/contacts?orders[id]=ASC&id_greater=${last}&limit=100${extra}`);
    assert.equal(status, 200);
    pages.push(body);
    const page = rows(body, 'contacts');
    out.push(...ids(page));
    if (page.length < 100) break;
    last = page.at(-1)?.id as string;
  }
  return { ids: out, pages };
}

function assertUnique(list: string[], what: string): void {
  assert.equal(new Set(list).size, list.length, `${what}: a row was served twice`);
}

const LISTS: [string, string][] = [
  ...Object.values(endpoints)
    .filter((e) => !e.path.includes('{id}') && e.paging === 'offset')
    .map((e): [string, string] => [`${e.path}${e.params ? `?${new URLSearchParams(e.params).toString()}` : ''}`, e.envelope]),
  ['/dealStages', 'dealStages'],
  ['/dealCustomFieldData', 'dealCustomFieldData'],
];

async function checkEveryList(): Promise<void> {
  for (const [path, envelope] of LISTS) {
    const { ids: seen, records, meta } = await offsetAll(path, envelope);
    assertUnique(seen, path);
    // The oracle is exactly what the endpoint serves: same rows, same order, same values.
    assert.deepEqual(records, oracle(envelope), `${path}: rows, order and values`);
    if (meta !== undefined) {
      const total = (meta as Rec).total;
      assert.equal(envelope === 'deals' ? typeof total : typeof total, envelope === 'deals' ? 'number' : 'string', path);
      assert.equal(Number(total), seen.length, `${path}: meta.total`);
    } else {
      assert.ok(['accountCustomFieldData', 'accountCustomFieldMeta', 'dealCustomFieldData', 'dealCustomFieldMeta'].includes(envelope), `${path} lacks meta`);
    }
  }
  const keyset = await keysetAll();
  assertUnique(keyset.ids, 'contacts keyset');
  assert.deepEqual(keyset.pages.flatMap((p) => rows(p, 'contacts')), oracle('contacts'));
  for (const page of keyset.pages) assert.equal(Number((page.meta as Rec).total), keyset.ids.length);
  const userGroups: string[] = [];
  for (const group of oracle('groups')) userGroups.push(...ids(rows((await get(`/groups/${group.id as string}/userGroups`)).body, 'userGroups')));
  assert.deepEqual(userGroups.sort(), ids(oracle('userGroups')).sort());
}

before(async () => {
  sim = await startSimulator({ contacts: 400, rateLimit: 0, seed: 3 });
});

after(async () => {
  await sim.close();
});

describe('paging', () => {
  test('offset paging (and keyset on contacts) visits every row once; meta.total matches', async () => {
    await checkEveryList();
  });

  test('after deletions, inserts and updates, paging still visits every remaining row once', async () => {
    const before = sim.account.count('contacts');
    const result = sim.mutate(11, 300);
    assert.equal(result.changes, 300);
    assert.ok((result.applied.contacts?.delete ?? 0) > 0, 'some contacts were deleted');
    assert.notEqual(sim.account.count('contacts'), before);
    await checkEveryList();
  });

  test('limit defaults to 20, is capped at 100, and bad values fall back to the default', async () => {
    assert.equal(rows((await get('/contacts')).body, 'contacts').length, 20);
    assert.equal(rows((await get('/notes')).body, 'notes').length, 20);
    assert.equal(rows((await get('/fieldValues?limit=500')).body, 'fieldValues').length, 100);
    assert.equal(rows((await get('/fieldValues?limit=0')).body, 'fieldValues').length, 20);
    assert.equal(rows((await get('/fieldValues?limit=abc')).body, 'fieldValues').length, 20);
    assert.equal(rows((await get('/contacts?limit=3')).body, 'contacts').length, 3);
    assert.equal(rows((await get('/contacts?offset=100000')).body, 'contacts').length, 0);
    const deep = rows((await get('/fieldValues?limit=5&offset=250')).body, 'fieldValues');
    assert.deepEqual(ids(deep), ids(oracle('fieldValues')).slice(250, 255));
  });

  test('per-parent contact tags ignore limit and offset', async () => {
    const contact = oracle('contactTags')[0]?.contact as string;
    const expected = oracle('contactTags').filter((t) => t.contact === contact);
    const { body } = await get(`/contacts/${contact}/contactTags?limit=1&offset=5`);
    assert.deepEqual(ids(rows(body, 'contactTags')), ids(expected));
  });
});

describe('filters and orders', () => {
  test('filters[reltype] splits /dealTasks; raw and percent-encoded brackets agree', async () => {
    const all = oracle('dealTasks');
    for (const reltype of ['Subscriber', 'Deal']) {
      const raw = await offsetAll(`/dealTasks?filters[reltype]=${reltype}`, 'dealTasks');
      const encoded = await offsetAll(`/dealTasks?filters%5Breltype%5D=${reltype}`, 'dealTasks');
      assert.deepEqual(raw.ids, ids(all.filter((t) => t.reltype === reltype)));
      assert.deepEqual(encoded.ids, raw.ids);
      assert.equal((raw.meta as Rec).total, String(raw.ids.length));
    }
  });

  test('unknown filters and orders are ignored silently', async () => {
    const plain = await get('/contactTags?limit=100');
    const unknown = await get('/contactTags?limit=100&filters[contact]=5&filters[tag]=1&orders[whatever]=DESC');
    assert.equal(unknown.status, 200);
    assert.deepEqual(unknown.body, plain.body);
    // /notes has no reltype filter: the full mixed list comes back.
    const notes = await get('/notes?filters[reltype]=Subscriber&limit=100');
    assert.equal((notes.body.meta as Rec).total, String(sim.account.count('notes')));
    assert.ok(new Set(rows(notes.body, 'notes').map((n) => n.reltype)).size > 1);
  });

  test('filters[updated_after] on /contacts is inclusive and accepts both date forms', async () => {
    const contacts = oracle('contacts');
    const udates = contacts.map((c) => Date.parse(c.udate as string)).sort((a, b) => a - b);
    const pivot = udates[Math.floor(udates.length * 0.8)] as number;
    const local = new Date(pivot - 3 * 3600 * 1000).toISOString().slice(0, 19).replace('T', ' ');
    const expected = ids(contacts.filter((c) => Date.parse(c.udate as string) >= pivot));
    const exact = await offsetAll(`/contacts?filters[updated_after]=${encodeURIComponent(local)}`, 'contacts');
    assert.deepEqual(exact.ids, expected);
    assert.ok(exact.ids.length > 0 && exact.ids.length < contacts.length);
    const day = local.slice(0, 10);
    const dayStart = Date.parse(`${day}T00:00:00-03:00`);
    const byDay = await offsetAll(`/contacts?filters[updated_after]=${day}`, 'contacts');
    assert.deepEqual(byDay.ids, ids(contacts.filter((c) => Date.parse(c.udate as string) >= dayStart)));
    const bad = await get('/contacts?filters[updated_after]=yesterday');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, {});
  });

  test('filters[updated_after] on /deals compares mdate', async () => {
    const deals = oracle('deals').filter((d) => d.isDisabled === false);
    const mdates = deals.map((d) => Date.parse(d.mdate as string)).sort((a, b) => a - b);
    const pivot = mdates[Math.floor(mdates.length / 2)] as number;
    const local = new Date(pivot - 3 * 3600 * 1000).toISOString().slice(0, 19).replace('T', ' ');
    const got = await offsetAll(`/deals?orders[cdate]=ASC&filters[updated_after]=${encodeURIComponent(local)}`, 'deals');
    assertUnique(got.ids, 'deals');
    assert.equal((got.meta as Rec).total, got.ids.length);
    const visible = new Set(ids(deals));
    assert.deepEqual(got.ids.filter((id) => visible.has(id)), ids(deals.filter((d) => Date.parse(d.mdate as string) >= pivot)));
  });

  test('id_greater combines with filters[updated_after] and include', async () => {
    const contacts = oracle('contacts');
    const udates = contacts.map((c) => Date.parse(c.udate as string)).sort((a, b) => a - b);
    const pivot = udates[Math.floor(udates.length / 3)] as number;
    const local = new Date(pivot - 3 * 3600 * 1000).toISOString().slice(0, 19).replace('T', ' ');
    const { ids: seen, pages } = await keysetAll(`&filters[updated_after]=${encodeURIComponent(local)}&include=fieldValues,contactTags.tag`);
    assert.deepEqual(seen, ids(contacts.filter((c) => Date.parse(c.udate as string) >= pivot)));
    assert.ok(pages.length > 1);
    const values = oracle('fieldValues');
    for (const page of pages) {
      const pageIds = new Set(ids(rows(page, 'contacts')));
      assert.deepEqual(ids(rows(page, 'fieldValues')), ids(values.filter((v) => pageIds.has(v.contact as string))));
      assert.ok(rows(page, 'contactTags').every((t) => pageIds.has(t.contact as string)));
      assert.equal(Number((page.meta as Rec).total), seen.length);
    }
  });

  test('other documented filters and parameters', async () => {
    const contacts = oracle('contacts');
    const target = contacts[17] as Rec;
    assert.deepEqual(ids(rows((await get(`/contacts?ids=${target.id as string},3`)).body, 'contacts')).sort(), [target.id as string, contacts.find((c) => c.id === '3') ? '3' : ''].filter(Boolean).sort());
    if (target.email !== '') assert.deepEqual(ids(rows((await get(`/contacts?email=${encodeURIComponent(target.email as string)}`)).body, 'contacts')), [target.id]);
    const tagged = new Set(oracle('contactTags').filter((t) => t.tag === '5').map((t) => t.contact));
    assert.deepEqual((await offsetAll('/contacts?tagid=5', 'contacts')).ids, ids(contacts.filter((c) => tagged.has(c.id))));

    const deal = oracle('deals').find((d) => d.isDisabled === false && Number(d.activitycount) > 1) as Rec;
    const activities = rows((await get(`/dealActivities?deal=${deal.id as string}&limit=100`)).body, 'dealActivities');
    assert.deepEqual(ids(activities), ids(oracle('dealActivities').filter((a) => a.d_id === deal.id)));
    assert.equal(activities.length, Number(deal.activitycount));

    const contact = oracle('contactTags')[3]?.contact as string;
    assert.deepEqual(
      ids(rows((await get(`/contactTags?filters[subscriberid]=${contact}&limit=100`)).body, 'contactTags')),
      ids(oracle('contactTags').filter((t) => t.contact === contact)),
    );
    const account = oracle('accountContacts')[0]?.account as string;
    assert.deepEqual(
      ids(rows((await get(`/accountContacts?filters[account]=${account}&limit=100`)).body, 'accountContacts')),
      ids(oracle('accountContacts').filter((a) => a.account === account)),
    );
    assert.deepEqual(
      ids(rows((await get('/dealStages?filters[d_groupid]=2')).body, 'dealStages')),
      ids(oracle('dealStages').filter((s) => s.group === '2')),
    );
    const byField = await offsetAll('/fieldValues?filters[fieldid]=4', 'fieldValues');
    assert.deepEqual(byField.ids, ids(oracle('fieldValues').filter((v) => v.field === '4')));
  });

  test('orders: /lists by name, /deals by value, ascending and descending', async () => {
    const names = rows((await get('/lists?orders[name]=ASC')).body, 'lists').map((l) => (l.name as string).toLowerCase());
    assert.deepEqual(names, [...names].sort());
    const deals = await get('/deals?orders[value]=DESC&limit=100');
    const values = rows(deals.body, 'deals').filter((d) => d.isDisabled === false).map((d) => Number(d.value));
    assert.deepEqual(values, [...values].sort((a, b) => b - a));
  });

  test('count_deals=true fills contactCount and dealCount; without it they are "0"', async () => {
    const links = oracle('accountContacts');
    const plain = rows((await get('/accounts?limit=100')).body, 'accounts');
    assert.ok(plain.every((a) => a.contactCount === '0' && a.dealCount === '0'));
    const counted = rows((await get('/accounts?count_deals=true&limit=100')).body, 'accounts');
    const visibleDeals = oracle('deals').filter((d) => d.isDisabled === false);
    for (const a of counted) {
      assert.equal(a.contactCount, String(links.filter((l) => l.account === a.id).length));
      assert.ok(Number(a.dealCount) >= visibleDeals.filter((d) => d.account === a.id).length);
    }
    assert.ok(counted.some((a) => a.contactCount !== '0') && counted.some((a) => a.dealCount !== '0'));
  });
});

describe('sideloads', () => {
  test('/contacts include: id arrays on each contact, children of this page only, tags of these contact-tags', async () => {
    const { body } = await get('/contacts?orders[id]=ASC&id_greater=50&limit=30&include=fieldValues,contactTags.tag,contactLists,nonsense.path');
    assert.deepEqual(Object.keys(body), ['contactLists', 'contactTags', 'tags', 'fieldValues', 'scoreValues', 'contacts', 'meta']);
    const contacts = rows(body, 'contacts');
    const pageIds = new Set(ids(contacts));
    for (const [key, resource] of [['fieldValues', 'fieldValues'], ['contactTags', 'contactTags'], ['contactLists', 'contactLists']] as const) {
      const sideload = rows(body, key);
      assert.deepEqual(ids(sideload), ids(oracle(resource).filter((r) => pageIds.has(r.contact as string))), key);
      for (const c of contacts) {
        assert.deepEqual(c[key], ids(sideload.filter((r) => r.contact === c.id)), `${key} of contact ${c.id as string}`);
      }
      assert.deepEqual(Object.keys(contacts[0] as Rec).slice(-3), ['fieldValues', 'contactTags', 'contactLists']);
    }
    const tagIds = [...new Set(rows(body, 'contactTags').map((t) => t.tag as string))].sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(ids(rows(body, 'tags')), tagIds);
    const plain = await get('/contacts?limit=5&include=contactTags');
    assert.equal('tags' in plain.body, false, 'tags only with the .tag path');
    assert.equal('fieldValues' in (rows(plain.body, 'contacts')[0] as Rec), false);
  });

  test('/deals include=dealCustomFieldData: snake_case rows of this page; none for truncated deals', async () => {
    const { body } = await get('/deals?orders[cdate]=ASC&limit=100&offset=20&include=dealCustomFieldData');
    assert.deepEqual(Object.keys(body), ['dealCustomFieldData', 'deals', 'meta']);
    const deals = rows(body, 'deals');
    const data = rows(body, 'dealCustomFieldData');
    const visible = deals.filter((d) => d.isDisabled === false);
    assert.deepEqual(ids(data), ids(oracle('deals.dealCustomFieldData').filter((r) => visible.some((d) => d.id === r.deal_id))));
    for (const d of visible) assert.deepEqual(d.dealCustomFieldData, ids(data.filter((r) => r.deal_id === d.id)));
    for (const d of deals.filter((x) => x.isDisabled === 1)) assert.deepEqual(Object.keys(d), ['id', 'isDisabled', 'title']);
    assert.ok(data.length > 0);
    // Each snake_case row matches the documented camelCase row with the same id.
    const camel = new Map(oracle('dealCustomFieldData').map((r) => [r.id, r]));
    for (const row of data) {
      const twin = camel.get(row.id) as Rec;
      assert.equal(Number(row.deal_id), twin.dealId);
      assert.equal(Number(row.custom_field_id), twin.customFieldId);
      assert.equal(row.dealCustomFieldMetum, row.custom_field_id);
      assert.equal(row.updated_timestamp, twin.updatedTimestamp);
    }
  });
});
