/**
 * The generated account and its mutations: determinism, consistent foreign keys, realistic proportions, and
 * changes that show through the normal endpoints (updated rows pass `filters[updated_after]`, deleted rows and
 * their children are gone everywhere, inserted rows appear, `meta.total` follows).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_KEY, startSimulator, type Simulator } from '../src/simulator/index.js';

type Rec = Record<string, unknown>;

function oracle(sim: Simulator, resource: string): Rec[] {
  return [...sim.account.records(resource)];
}

async function get(sim: Simulator, path: string): Promise<{ status: number; body: Rec }> {
  const response = await fetch(`${sim.url}/api/3${path}`, { headers: { 'Api-Token': DEMO_KEY } });
  return { status: response.status, body: (await response.json()) as Rec };
}

async function keyset(sim: Simulator, extra: string): Promise<Rec[]> {
  const out: Rec[] = [];
  let last = '0';
  for (;;) {
    const { body } = await get(sim, `/contacts?orders[id]=ASC&id_greater=${last}&limit=100${extra}`);
    const page = body.contacts as Rec[];
    out.push(...page);
    if (page.length < 100) return out;
    last = page.at(-1)?.id as string;
  }
}

/** Every foreign key of the account points at an existing row. */
function assertReferentialIntegrity(sim: Simulator): void {
  const idsOf = (resource: string): Set<unknown> => new Set(oracle(sim, resource).map((r) => r.id));
  const contacts = idsOf('contacts');
  const deals = idsOf('deals');
  const accounts = idsOf('accounts');
  const activities = idsOf('dealActivities');
  const check = (resource: string, key: string, parents: Set<unknown>, when: (r: Rec) => boolean = () => true): void => {
    for (const row of sim.account.records(resource)) {
      if (when(row)) assert.ok(parents.has(row[key]), `${resource} ${row.id as string}: ${key} ${String(row[key])} does not exist`);
    }
  };
  check('fieldValues', 'contact', contacts);
  check('contactTags', 'contact', contacts);
  check('contactLists', 'contact', contacts);
  check('accountContacts', 'contact', contacts);
  check('accountContacts', 'account', accounts);
  check('accountCustomFieldData', 'accountId', new Set([...accounts].map(Number)));
  check('deals', 'contact', contacts, (r) => r.isDisabled === false);
  check('deals', 'account', accounts, (r) => r.isDisabled === false && r.account !== null);
  check('dealActivities', 'd_id', deals);
  check('deals.dealCustomFieldData', 'deal_id', deals);
  check('contactDeals', 'deal', deals);
  check('contactDeals', 'contact', contacts);
  check('notes', 'relid', contacts, (r) => r.reltype === 'Subscriber');
  check('notes', 'relid', deals, (r) => r.reltype === 'Deal');
  check('notes', 'relid', accounts, (r) => r.reltype === 'CustomerAccount');
  check('notes', 'relid', activities, (r) => r.reltype === 'Activity');
  check('dealTasks', 'relid', contacts, (r) => r.reltype === 'Subscriber');
  check('dealTasks', 'relid', deals, (r) => r.reltype === 'Deal');
  check('fieldValues', 'field', idsOf('fields'));
  check('contactTags', 'tag', idsOf('tags'));
  check('contactLists', 'list', idsOf('lists'));
  check('dealStages', 'group', idsOf('dealGroups'));
  check('deals', 'stage', idsOf('dealStages'), (r) => r.isDisabled === false);
  // Tag counts follow the associations.
  const perTag = new Map<unknown, number>();
  for (const t of sim.account.records('contactTags')) perTag.set(t.tag, (perTag.get(t.tag) ?? 0) + 1);
  for (const tag of sim.account.records('tags')) assert.equal(tag.subscriber_count, String(perTag.get(tag.id) ?? 0));
}

/** A record without `links` (their host and port differ between simulators). */
function strip(record: Rec): Rec {
  const { links: _links, ...rest } = record;
  return rest;
}

describe('the generated account', () => {
  test('is deterministic for a seed and differs across seeds', async () => {
    const a = await startSimulator({ contacts: 150, seed: 42, rateLimit: 0 });
    const b = await startSimulator({ contacts: 150, seed: 42, rateLimit: 0 });
    const c = await startSimulator({ contacts: 150, seed: 43, rateLimit: 0 });
    try {
      for (const resource of ['contacts', 'deals', 'notes', 'fieldValues', 'dealTasks', 'deals.dealCustomFieldData', 'accounts']) {
        assert.deepEqual(oracle(a, resource).map(strip), oracle(b, resource).map(strip), resource);
      }
      assert.notDeepEqual(oracle(a, 'contacts').map(strip), oracle(c, 'contacts').map(strip));
      assert.deepEqual(a.mutate(3, 80).applied, b.mutate(3, 80).applied);
      assert.deepEqual(oracle(a, 'contacts').map((r) => r.id), oracle(b, 'contacts').map((r) => r.id));
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  test('has realistic proportions per 1000 contacts and consistent foreign keys', async () => {
    const sim = await startSimulator({ contacts: 3000, seed: 5, rateLimit: 0 });
    try {
      const per1000 = (resource: string): number => (sim.account.count(resource) * 1000) / 3000;
      const within = (resource: string, lo: number, hi: number): void => {
        const n = per1000(resource);
        assert.ok(n >= lo && n <= hi, `${resource}: ${n.toFixed(0)} per 1000 contacts`);
      };
      within('accounts', 95, 105);
      within('deals', 150, 300);
      within('fieldValues', 2500, 3500);
      within('contactTags', 1200, 1800);
      within('contactLists', 1200, 1800);
      within('accountContacts', 300, 500);
      within('dealActivities', 600, 1400);
      within('notes', 300, 800);
      within('dealTasks', 200, 500);
      assert.equal(sim.account.count('users'), 8);
      assert.equal(sim.account.count('groups'), 3);
      assert.equal(sim.account.count('dealGroups'), 3);
      assert.equal(sim.account.count('tags'), 25);
      assert.ok(sim.account.count('fieldOptions') > 0 && sim.account.count('campaigns') > 0 && sim.account.count('tasktypeOutcomeRels') > 0);
      assertReferentialIntegrity(sim);
    } finally {
      await sim.close();
    }
  });
});

describe('mutations', () => {
  let sim: Simulator;
  const snapshot = new Map<string, Rec[]>();
  const RESOURCES = ['contacts', 'fieldValues', 'contactTags', 'contactLists', 'accountContacts', 'deals', 'dealActivities', 'deals.dealCustomFieldData', 'contactDeals', 'notes', 'dealTasks', 'accounts'];
  let cutoff = '';
  let result: { applied: Record<string, { insert: number; update: number; delete: number }>; changes: number };

  before(async () => {
    sim = await startSimulator({ contacts: 600, seed: 9, rateLimit: 0 });
    for (const r of RESOURCES) snapshot.set(r, oracle(sim, r));
    // The cutoff is account-local wall-clock time, one second before the changes.
    cutoff = new Date(Date.now() - 1000 - 3 * 3600 * 1000).toISOString().slice(0, 19).replace('T', ' ');
    const response = await fetch(`${sim.url}/__sim/mutate`, { method: 'POST', body: JSON.stringify({ seed: 77, changes: 400 }) });
    assert.equal(response.status, 200);
    result = (await response.json()) as typeof result;
  });

  after(async () => {
    await sim.close();
  });

  test('the answer counts inserts, updates and deletes per resource', () => {
    assert.equal(result.changes, 400);
    for (const counts of Object.values(result.applied)) assert.deepEqual(Object.keys(counts), ['insert', 'update', 'delete']);
    for (const r of ['contacts', 'fieldValues', 'contactTags', 'deals']) {
      const counts = result.applied[r];
      assert.ok(counts && counts.insert > 0 && counts.update + counts.delete > 0, r);
    }
    for (const r of RESOURCES.filter((x) => x !== 'deals.dealCustomFieldData')) {
      const counts = result.applied[r] ?? { insert: 0, update: 0, delete: 0 };
      assert.equal(sim.account.count(r), (snapshot.get(r) as Rec[]).length + counts.insert - counts.delete, r);
    }
  });

  test('updated and inserted contacts pass filters[updated_after]; their timestamps are now, in all three styles', async () => {
    const changed = await keyset(sim, `&filters[updated_after]=${encodeURIComponent(cutoff)}`);
    const before = new Map((snapshot.get('contacts') as Rec[]).map((c) => [c.id, c]));
    const expected = oracle(sim, 'contacts').filter((c) => !before.has(c.id) || before.get(c.id)?.udate !== c.udate);
    assert.ok(expected.length > 0);
    assert.deepEqual(changed.map((c) => c.id), expected.map((c) => c.id));
    const start = Date.now() - 60_000;
    for (const c of changed) {
      const udate = Date.parse(c.udate as string);
      assert.ok(udate >= start && udate <= Date.now() + 1000);
      assert.match(c.udate as string, /-03:00$/);
      const utc = c.updated_utc_timestamp as string;
      assert.equal(utc.endsWith('-03:00') ? Date.parse(utc) : Date.parse(`${utc.replace(' ', 'T')}Z`), udate);
      assert.equal(Date.parse(`${(c.updated_timestamp as string).replace(' ', 'T')}-03:00`), udate);
    }
    const inserted = changed.filter((c) => !before.has(c.id));
    assert.equal(inserted.length, result.applied.contacts?.insert);
    assert.ok(inserted.every((c) => Number(c.id) > 600 && c.cdate === c.udate));
  });

  test('field-value changes bump the contact and ride on the include sideload', async () => {
    const values = new Map((snapshot.get('fieldValues') as Rec[]).map((v) => [v.id, v]));
    const changedValues = oracle(sim, 'fieldValues').filter((v) => values.get(v.id)?.value !== v.value || values.get(v.id)?.udate !== v.udate);
    assert.ok(changedValues.length > 0);
    const changed = await keyset(sim, `&filters[updated_after]=${encodeURIComponent(cutoff)}&include=fieldValues`);
    const ids = new Set(changed.map((c) => c.id));
    for (const v of changedValues) assert.ok(ids.has(v.contact), `contact ${v.contact as string} of value ${v.id as string}`);
  });

  test('updated deals pass filters[updated_after]; deal changes add an activity', async () => {
    const before = new Map((snapshot.get('deals') as Rec[]).map((d) => [d.id, d]));
    const full = oracle(sim, 'deals').filter((d) => d.isDisabled === false);
    const changedFull = full.filter((d) => before.get(d.id)?.mdate !== d.mdate);
    assert.ok(changedFull.length > 0);
    const served: string[] = [];
    for (let offset = 0; ; offset += 100) {
      const { body } = await get(sim, `/deals?orders[cdate]=ASC&filters[updated_after]=${encodeURIComponent(cutoff)}&limit=100&offset=${offset}`);
      served.push(...(body.deals as Rec[]).map((d) => d.id as string));
      if ((body.deals as Rec[]).length < 100) break;
    }
    for (const d of changedFull) assert.ok(served.includes(d.id as string), `deal ${d.id as string}`);
    const activities = oracle(sim, 'dealActivities');
    const newActivities = activities.filter((a) => Number(a.id) > Math.max(...(snapshot.get('dealActivities') as Rec[]).map((x) => Number(x.id))));
    assert.ok(newActivities.length >= (result.applied.deals?.insert ?? 0));
  });

  test('deleted contacts are gone, with their children everywhere; per-parent lists answer 404', async () => {
    const now = new Set(oracle(sim, 'contacts').map((c) => c.id));
    const deleted = (snapshot.get('contacts') as Rec[]).map((c) => c.id as string).filter((id) => !now.has(id));
    assert.equal(deleted.length, result.applied.contacts?.delete);
    assert.ok(deleted.length > 0);
    for (const id of deleted.slice(0, 5)) {
      const { status } = await get(sim, `/contacts/${id}/notes`);
      assert.equal(status, 404);
      const listed = await get(sim, `/contacts?ids=${id}`);
      assert.equal((listed.body.contacts as Rec[]).length, 0);
    }
    assertReferentialIntegrity(sim);
  });

  test('tag adds and removes change /contactTags and the per-contact lists', async () => {
    const before = new Set((snapshot.get('contactTags') as Rec[]).map((t) => t.id));
    const after = oracle(sim, 'contactTags');
    const added = after.filter((t) => !before.has(t.id));
    assert.ok(added.length > 0);
    const sample = added[0] as Rec;
    const { body } = await get(sim, `/contacts/${sample.contact as string}/contactTags`);
    assert.ok((body.contactTags as Rec[]).some((t) => t.id === sample.id));
    const total = await get(sim, '/contactTags?limit=1');
    assert.equal((total.body.meta as Rec).total, String(after.length));
  });

  test('mutations accumulate and keep memory proportional to the changes', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const second = sim.mutate(78, 2000);
    assert.equal(second.changes, 2000);
    assertReferentialIntegrity(sim);
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 200 * 1024 * 1024);
  });
});

test('POST /__sim/tag changes one tag and no contact; bad changes are refused', async () => {
  const sim = await startSimulator({ seed: 4, contacts: 50, rateLimit: 0 });
  try {
    const post = (body: unknown) => fetch(`${sim.url}/__sim/tag`, { method: 'POST', body: JSON.stringify(body) });
    const contactsBefore = oracle(sim, 'contacts');
    assert.equal((await post({ id: 2, tag: 'renamed', description: 'new', subscriber_count: 77 })).status, 200);
    assert.equal((await post({ id: 5, delete: true })).status, 200);
    const tags = (await get(sim, '/tags?limit=100')).body.tags as Rec[];
    const renamed = tags.find((t) => t.id === '2');
    assert.equal(renamed?.tag, 'renamed');
    assert.equal(renamed?.description, 'new');
    assert.equal(renamed?.subscriber_count, '77');
    assert.equal(tags.some((t) => t.id === '5'), false);
    // The associations of the deleted tag stay, pointing at a tag that no longer resolves.
    assert.ok(oracle(sim, 'contactTags').some((ct) => ct.tag === '5'));
    assert.deepEqual(oracle(sim, 'contacts'), contactsBefore);
    for (const bad of [{ id: 5, tag: 'gone' }, { id: 999 }, { id: 2, colour: 'red' }, { id: 2, subscriber_count: -1 }, { id: 2, tag: 3 }]) {
      assert.equal((await post(bad)).status, 400, JSON.stringify(bad));
    }
  } finally {
    await sim.close();
  }
});
