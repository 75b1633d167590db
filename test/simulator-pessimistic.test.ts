/**
 * The simulator's pessimistic switches, over HTTP against a real server: each one where the API reference is
 * silent (sideloads, totals, cdate ties, the rate limiter, child changes and parent dates, per-parent 404s,
 * changes during a sync, permission areas), set by option, by `setBehaviour` and by POST /__sim/behaviour,
 * and each default unchanged.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { simulatorOptionsFromFlags } from '../src/cli/simulate.js';
import {
  DEFAULT_BEHAVIOUR, DEMO_KEY, startSimulator, type Simulator, type SimulatorOptions,
} from '../src/simulator/index.js';

type Rec = Record<string, unknown>;

interface Answer {
  status: number;
  headers: Headers;
  body: Rec;
}

async function withSim(options: SimulatorOptions, run: (sim: Simulator) => Promise<void>): Promise<void> {
  const sim = await startSimulator({ contacts: 300, seed: 5, rateLimit: 0, ...options });
  try {
    await run(sim);
  } finally {
    await sim.close();
  }
}

async function get(sim: Simulator, path: string, key = DEMO_KEY): Promise<Answer> {
  const res = await fetch(`${sim.url}/api/3${path}`, { headers: { 'Api-Token': key } });
  const text = await res.text();
  let body: Rec = {};
  try {
    body = text === '' ? {} : (JSON.parse(text) as Rec);
  } catch {
    // an injected fault's HTML page
  }
  return { status: res.status, headers: res.headers, body };
}

async function ok(sim: Simulator, path: string): Promise<Rec> {
  const answer = await get(sim, path);
  assert.equal(answer.status, 200, path);
  return answer.body;
}

function behaviour(sim: Simulator, body?: unknown): Promise<Response> {
  return fetch(`${sim.url}/__sim/behaviour`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
}

/** Every row of a list endpoint, offset page by offset page (limit 100). */
async function readAll(sim: Simulator, path: string, envelope: string): Promise<Rec[]> {
  const rows: Rec[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = (await ok(sim, `${path}${path.includes('?') ? '&' : '?'}limit=100&offset=${offset}`))[envelope] as Rec[];
    rows.push(...page);
    if (page.length < 100) return rows;
  }
}

const ids = (rows: Rec[]): string[] => rows.map((r) => String(r.id));
/** Deals of a pipeline the key may not manage come truncated, without dates. */
const visible = (deals: Rec[]): Rec[] => deals.filter((d) => d.isDisabled !== 1);

describe('behaviour switches: control path, setBehaviour, options and flags', () => {
  test('GET /__sim/behaviour shows the defaults; POST changes only the named switches and answers them all', async () => {
    await withSim({}, async (sim) => {
      assert.deepEqual(await (await behaviour(sim)).json(), { ...DEFAULT_BEHAVIOUR, rateLimit: 0 });
      const changed = await behaviour(sim, { total: 'low', deny: ['deals'], changesDuringSync: { every: 50, changes: 2 } });
      assert.equal(changed.status, 200);
      assert.deepEqual(await changed.json(), { ...DEFAULT_BEHAVIOUR, rateLimit: 0, total: 'low', deny: ['Deals'], changesDuringSync: { every: 50, changes: 2 } });
      const returned = sim.setBehaviour({ sideloads: 3 });
      assert.equal(returned.sideloads, 3);
      assert.equal(returned.total, 'low', 'other switches keep their value');
      assert.deepEqual(await (await behaviour(sim)).json(), returned);
      assert.equal(sim.stats().requests, 0, 'control paths are not API requests');
    });
  });

  test('unknown names and bad values: 400 over HTTP, RangeError in process, nothing changed', async () => {
    await withSim({}, async (sim) => {
      const unknown = await behaviour(sim, { total: 'high', sideloadz: 'none' });
      assert.equal(unknown.status, 400);
      assert.match(((await unknown.json()) as Rec).message as string, /unknown behaviour option "sideloadz"/);
      for (const bad of [
        { total: 'sometimes' }, { sideloads: -1 }, { sideloads: 'some' }, { cdateTies: 'yes' }, { limiter: 'leaky' },
        { retryAfterSeconds: 1.5 }, { notFoundParents: 2 }, { changesDuringSync: { every: 0, changes: 1 } },
        { changesDuringSync: { every: 5 } }, { deny: ['deals_activities'] }, { rateLimitStatus: 500 }, { childChangesBumpParent: 0 },
      ]) {
        const res = await behaviour(sim, bad);
        assert.equal(res.status, 400, JSON.stringify(bad));
        assert.throws(() => sim.setBehaviour(bad as SimulatorOptions), RangeError, JSON.stringify(bad));
      }
      assert.deepEqual(await (await behaviour(sim)).json(), { ...DEFAULT_BEHAVIOUR, rateLimit: 0 });
      await assert.rejects(startSimulator({ total: 'nope' as 'low' }), /total must be/);
    });
  });

  test('acsync simulate flags map onto the same options', () => {
    assert.deepEqual(simulatorOptionsFromFlags({
      port: '0', deny: 'deals, Users and groups', sideloads: '2', total: 'absent', cdateTies: true, childChangesBumpParent: false,
      limiter: 'window', retryAfterSeconds: '12', rateLimitStatus: '503', notFoundParents: '0.25', changesDuringSync: '200:50',
    }), {
      port: 0, deny: ['deals', 'Users and groups'], sideloads: 2, total: 'absent', cdateTies: true, childChangesBumpParent: false,
      limiter: 'window', retryAfterSeconds: 12, rateLimitStatus: 503, notFoundParents: 0.25, changesDuringSync: { every: 200, changes: 50 },
    });
    assert.deepEqual(simulatorOptionsFromFlags({ port: '0', sideloads: 'none', childChangesBumpParent: true }), { port: 0, sideloads: 'none' });
    for (const [flags, message] of [
      [{ port: '0', deny: 'deals,nope' }, /^--deny: unknown permission area "nope" \(areas: Contacts, Lists, Campaigns, Deals, Accounts, Reports, Automations, Users and groups\)$/],
      [{ port: '0', sideloads: 'some' }, /^--sideloads must be an integer/],
      [{ port: '0', total: 'wrong' }, /^--total must be/],
      [{ port: '0', limiter: 'leaky' }, /^--limiter must be/],
      [{ port: '0', notFoundParents: '3' }, /^--not-found-parents must be a number in 0\.\.1/],
      [{ port: '0', changesDuringSync: '10' }, /^--changes-during-sync must be <every>:<changes>/],
      [{ port: '0', changesDuringSync: '0:10' }, /^--changes-during-sync must be/],
    ] as const) {
      assert.throws(() => simulatorOptionsFromFlags(flags), (error: Error) => error instanceof RangeError && message.test(error.message), JSON.stringify(flags));
    }
  });
});

describe('sideloads', () => {
  const CONTACTS_INCLUDE = '/contacts?include=fieldValues.field,contactTags.tag,contactLists&orders[id]=ASC&limit=40';
  const DEALS_INCLUDE = '/deals?include=dealCustomFieldData&orders[cdate]=ASC&limit=100';
  const SIDELOADS = ['fieldValues', 'fields', 'contactTags', 'tags', 'contactLists'];
  const without = (body: Rec): Rec => {
    const copy = structuredClone(body);
    delete copy.meta; // meta.page_input.cacheid hashes the query string
    return copy;
  };

  test('default full: every asked sideload, page-scoped, and id arrays on the rows', async () => {
    await withSim({}, async (sim) => {
      const page = await ok(sim, CONTACTS_INCLUDE);
      for (const key of [...SIDELOADS, 'scoreValues']) assert.ok(Array.isArray(page[key]), key);
      const rows = page.contacts as Rec[];
      assert.equal((page.fieldValues as Rec[]).length, rows.reduce((n, r) => n + (r.fieldValues as string[]).length, 0));
      const deals = await ok(sim, DEALS_INCLUDE);
      assert.ok((deals.dealCustomFieldData as Rec[]).length > 0);
    });
  });

  test('none: /contacts and /deals answer exactly as without include=', async () => {
    await withSim({ sideloads: 'none' }, async (sim) => {
      const included = await ok(sim, CONTACTS_INCLUDE);
      const plain = await ok(sim, '/contacts?orders[id]=ASC&limit=40');
      assert.deepEqual(without(included), without(plain));
      assert.deepEqual(Object.keys(included), ['scoreValues', 'contacts', 'meta']);
      assert.ok(!('fieldValues' in (included.contacts as Rec[])[0]!), 'no id arrays on the rows');
      const deals = await ok(sim, DEALS_INCLUDE);
      assert.deepEqual(deals, await ok(sim, '/deals?orders[cdate]=ASC&limit=100'));
      assert.deepEqual(Object.keys(deals), ['deals', 'meta']);
    });
  });

  test('N: each sideload array keeps its first N entries; the rows still name every child', async () => {
    await withSim({}, async (sim) => {
      const full = await ok(sim, CONTACTS_INCLUDE);
      const fullDeals = await ok(sim, DEALS_INCLUDE);
      sim.setBehaviour({ sideloads: 3 });
      const capped = await ok(sim, CONTACTS_INCLUDE);
      for (const key of SIDELOADS) assert.deepEqual(capped[key], (full[key] as Rec[]).slice(0, 3), key);
      assert.ok((full.fieldValues as Rec[]).length > 3, 'the page has more field values than the cap');
      assert.deepEqual(capped.contacts, full.contacts, 'id arrays list the cut children too');
      const cappedDeals = await ok(sim, DEALS_INCLUDE);
      assert.deepEqual(cappedDeals.dealCustomFieldData, (fullDeals.dealCustomFieldData as Rec[]).slice(0, 3));
      assert.deepEqual(cappedDeals.deals, fullDeals.deals);
      sim.setBehaviour({ sideloads: 0 });
      assert.deepEqual((await ok(sim, CONTACTS_INCLUDE)).fieldValues, []);
      sim.setBehaviour({ sideloads: 'full' });
      assert.deepEqual(without(await ok(sim, CONTACTS_INCLUDE)), without(full));
    });
  });
});

describe('meta.total', () => {
  async function totals(sim: Simulator): Promise<Record<string, Rec | undefined>> {
    const meta = async (path: string): Promise<Rec | undefined> => (await ok(sim, path)).meta as Rec | undefined;
    return {
      contacts: await meta('/contacts?limit=1'),
      deals: await meta('/deals?orders[cdate]=ASC&limit=1'),
      tags: await meta('/tags?limit=1'),
      accountContacts: await meta('/accountContacts?limit=1'),
      dealCustomFieldMeta: await meta('/dealCustomFieldMeta'),
    };
  }

  test('exact by default, in each endpoint\'s form; low and high are one page (100) off; absent drops the key', async () => {
    await withSim({}, async (sim) => {
      const count = (r: string): number => sim.account.count(r);
      const exact = await totals(sim);
      assert.equal(exact.contacts?.total, String(count('contacts')));
      assert.equal(exact.deals?.total, count('deals'));
      assert.equal(exact.tags?.total, String(count('tags')));
      assert.equal(exact.accountContacts?.total, String(count('accountContacts')));
      assert.equal(exact.dealCustomFieldMeta, undefined);

      sim.setBehaviour({ total: 'low' });
      const low = await totals(sim);
      assert.equal(low.contacts?.total, String(count('contacts') - 100));
      assert.equal(low.deals?.total, Math.max(0, count('deals') - 100));
      assert.equal(low.tags?.total, '0', 'never below zero');
      assert.ok((low.contacts?.page_input as Rec).limit === 1, 'the rest of meta stays');

      sim.setBehaviour({ total: 'high' });
      const high = await totals(sim);
      assert.equal(high.contacts?.total, String(count('contacts') + 100));
      assert.equal(high.deals?.total, count('deals') + 100);
      assert.equal(high.accountContacts?.total, String(count('accountContacts') + 100));
      assert.equal(high.dealCustomFieldMeta, undefined);

      sim.setBehaviour({ total: 'absent' });
      const absent = await totals(sim);
      assert.ok(absent.contacts && !('total' in absent.contacts) && 'page_input' in absent.contacts);
      assert.ok(absent.deals && !('total' in absent.deals) && 'currencies' in absent.deals);
      assert.equal(absent.tags, undefined, 'a meta holding only the total goes');
      assert.equal(absent.accountContacts, undefined);
    });
  });
});

describe('cdate ties', () => {
  const TIES: SimulatorOptions = { contacts: 3000, cdateTies: true };

  /** One pass through /deals?orders[cdate]=ASC by offset. */
  async function pass(sim: Simulator, order = 'cdate'): Promise<Rec[]> {
    return readAll(sim, `/deals?orders[${order}]=ASC`, 'deals');
  }

  test('off by default: orders[cdate] pages are stable and cover every deal once', async () => {
    await withSim({ contacts: 3000 }, async (sim) => {
      const first = await pass(sim);
      assert.deepEqual(ids(first), ids(await pass(sim)));
      assert.equal(new Set(ids(first)).size, sim.account.count('deals'));
      assert.ok(new Set(visible(first).map((d) => d.cdate)).size > visible(first).length * 0.9, 'cdates nearly all distinct');
    });
  });

  test('deals come in bulk batches of about 150 sharing one cdate, never after their mdate; the oracle agrees', async () => {
    await withSim(TIES, async (sim) => {
      const deals = await pass(sim, 'title');
      const byCdate = new Map<string, number>();
      for (const deal of visible(deals)) byCdate.set(deal.cdate as string, (byCdate.get(deal.cdate as string) ?? 0) + 1);
      assert.equal(byCdate.size, 4, '3000 contacts: four batches of 750 contacts');
      // About 150 deals per batch, 85 % of them visible.
      for (const size of byCdate.values()) assert.ok(size > 90 && size < 180, `batch of ${size}`);
      const oracle = new Map([...sim.account.records('deals')].map((d) => [String(d.id), d]));
      for (const deal of deals) {
        assert.equal(deal.cdate, oracle.get(String(deal.id))?.cdate, 'the oracle shows the tied cdate');
        if (deal.isDisabled !== 1) assert.ok(Date.parse(deal.cdate as string) <= Date.parse(deal.mdate as string));
      }
      // Filters see the tied cdate too.
      const second = [...byCdate.keys()].sort()[1] as string;
      const local = new Date(Date.parse(second) - 3 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
      const after = await readAll(sim, `/deals?filters[created_after]=${encodeURIComponent(local)}&orders[title]=ASC`, 'deals');
      assert.equal(visible(after).length, visible(deals).filter((d) => (d.cdate as string) >= second).length);
    });
  });

  test('orders[cdate]: sorted, but ties are shuffled on every request, so offset pages overlap and skip', async () => {
    await withSim(TIES, async (sim) => {
      const total = sim.account.count('deals');
      const first = await pass(sim);
      const second = await pass(sim);
      for (const run of [first, second]) {
        const cdates = visible(run).map((d) => d.cdate as string);
        assert.deepEqual(cdates, [...cdates].sort(), 'cdate order is honoured');
        assert.equal(run.length, total);
      }
      assert.notDeepEqual(ids(first), ids(second), 'the order differs between passes');
      const seen = new Set(ids(first));
      assert.ok(seen.size < total, `a pass shows duplicates and misses rows (${seen.size} distinct of ${total})`);
      // The same page asked twice differs, but holds deals of the same batches.
      const a = (await ok(sim, '/deals?orders[cdate]=ASC&limit=100&offset=100')).deals as Rec[];
      const b = (await ok(sim, '/deals?orders[cdate]=ASC&limit=100&offset=100')).deals as Rec[];
      assert.notDeepEqual(ids(a), ids(b));
      assert.deepEqual(new Set(visible(a).map((d) => d.cdate)), new Set(visible(b).map((d) => d.cdate)));
      // DESC is shuffled too and still sorted.
      const descending = (await ok(sim, '/deals?orders[cdate]=DESC&limit=100&offset=50')).deals as Rec[];
      const cdates = visible(descending).map((d) => d.cdate as string);
      assert.deepEqual(cdates, [...cdates].sort().reverse());
    });
  });

  test('other orders keep their id tiebreak and stay stable; switching ties off restores distinct cdates', async () => {
    await withSim(TIES, async (sim) => {
      for (const order of ['title', 'value']) {
        const first = await pass(sim, order);
        assert.deepEqual(ids(first), ids(await pass(sim, order)), order);
        assert.equal(new Set(ids(first)).size, sim.account.count('deals'), order);
      }
      const tied = new Set(visible(await pass(sim, 'title')).map((d) => d.cdate)).size;
      sim.setBehaviour({ cdateTies: false });
      const untied = await pass(sim);
      assert.ok(new Set(visible(untied).map((d) => d.cdate)).size > tied * 100);
      assert.deepEqual(ids(untied), ids(await pass(sim)));
    });
  });
});

describe('rate limiter', () => {
  async function burst(sim: Simulator, n: number, key = DEMO_KEY): Promise<Answer[]> {
    return Promise.all(Array.from({ length: n }, () => get(sim, '/users/me', key)));
  }
  const statuses = (answers: Answer[]): number[] => answers.map((a) => a.status).sort();
  const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  test('window: at most rateLimit in any second, 429 with Retry-After 30 and the RateLimit headers', async () => {
    await withSim({ rateLimit: 5, limiter: 'window' }, async (sim) => {
      const answers = await burst(sim, 12);
      assert.deepEqual(statuses(answers), [...Array(5).fill(200), ...Array(7).fill(429)]);
      for (const answer of answers) {
        assert.equal(answer.headers.get('ratelimit-limit'), '5');
        if (answer.status === 429) {
          assert.equal(answer.headers.get('retry-after'), '30');
          assert.equal(answer.headers.get('ratelimit-remaining'), '0');
        }
      }
      await pause(1100);
      assert.deepEqual(statuses(await burst(sim, 5)), Array(5).fill(200), 'a second later the window is free again');
    });
  });

  test('window allows no burst beyond the limit where the bucket does', async () => {
    // 3 requests, half a second, 3 more: the bucket has refilled, the window still holds the first 3.
    const pattern = async (sim: Simulator): Promise<number> => {
      assert.deepEqual(statuses(await burst(sim, 3)), [200, 200, 200]);
      await pause(500);
      return (await burst(sim, 3)).filter((a) => a.status === 200).length;
    };
    await withSim({ rateLimit: 5, limiter: 'window' }, async (sim) => assert.equal(await pattern(sim), 2));
    await withSim({ rateLimit: 5 }, async (sim) => assert.equal(await pattern(sim), 3));
  });

  test('retryAfterSeconds and a 503 throttle; the bucket keeps its own Retry-After and its bare 503 by default', async () => {
    await withSim({ rateLimit: 1, limiter: 'window', retryAfterSeconds: 7 }, async (sim) => {
      const refused = (await burst(sim, 3)).filter((a) => a.status !== 200);
      assert.ok(refused.length >= 2 && refused.every((a) => a.status === 429 && a.headers.get('retry-after') === '7'));
      sim.setBehaviour({ rateLimitStatus: 503, retryAfterSeconds: null });
      const throttled = (await burst(sim, 3)).filter((a) => a.status !== 200);
      assert.ok(throttled.length >= 2);
      for (const a of throttled) {
        assert.equal(a.status, 503);
        assert.deepEqual(a.body, { message: 'Service Unavailable' });
        assert.equal(a.headers.get('retry-after'), '30', 'the window says when to come back, 503 or not');
      }
    });
    await withSim({ rateLimit: 1 }, async (sim) => {
      const refused = (await burst(sim, 3)).filter((a) => a.status !== 200);
      assert.ok(refused.length >= 2 && refused.every((a) => a.status === 429 && a.headers.get('retry-after') === '1'));
      sim.setBehaviour({ retryAfterSeconds: 9 });
      assert.ok((await burst(sim, 3)).filter((a) => a.status === 429).every((a) => a.headers.get('retry-after') === '9'));
      sim.setBehaviour({ rateLimitStatus: 503 });
      const bare = (await burst(sim, 3)).filter((a) => a.status === 503);
      assert.ok(bare.length >= 2 && bare.every((a) => a.headers.get('retry-after') === null));
    });
  });

  test('a running simulator without a limit gets one at runtime, and loses it again', async () => {
    await withSim({}, async (sim) => {
      assert.deepEqual(statuses(await burst(sim, 8)), Array(8).fill(200));
      sim.setBehaviour({ rateLimit: 2, limiter: 'window' });
      assert.deepEqual(statuses(await burst(sim, 4)), [200, 200, 429, 429]);
      sim.setBehaviour({ rateLimit: 0 });
      assert.deepEqual(statuses(await burst(sim, 8)), Array(8).fill(200));
    });
  });
});

describe('child changes and parent dates', () => {
  interface Snapshot {
    contacts: Map<string, Rec>;
    fieldValues: Map<string, Rec>;
    contactLists: Map<string, Rec>;
    deals: Map<string, Rec>;
    dealFields: Map<string, Rec>;
  }

  /** Contacts and field values, deals and their custom-field data, by id, over HTTP. */
  async function snapshot(sim: Simulator): Promise<Snapshot> {
    const byId = (rows: Rec[]): Map<string, Rec> => new Map(rows.map((r) => [String(r.id), r]));
    return {
      contacts: byId(await readAll(sim, '/contacts?orders[id]=ASC', 'contacts')),
      fieldValues: byId(await readAll(sim, '/fieldValues', 'fieldValues')),
      contactLists: byId(await readAll(sim, '/contactLists', 'contactLists')),
      deals: byId(await readAll(sim, '/deals?orders[title]=ASC', 'deals')),
      dealFields: byId(await readAll(sim, '/dealCustomFieldData', 'dealCustomFieldData')),
    };
  }

  /** After the same changes, the ids of contacts whose udate moved and of deals whose mdate moved. */
  async function bumped(options: SimulatorOptions): Promise<{ contacts: Set<string>; deals: Set<string>; before: Snapshot; after: Snapshot }> {
    let result: Awaited<ReturnType<typeof bumped>> | undefined;
    await withSim(options, async (sim) => {
      const before = await snapshot(sim);
      const res = await fetch(`${sim.url}/__sim/mutate`, { method: 'POST', body: JSON.stringify({ seed: 4, changes: 400 }) });
      assert.equal(res.status, 200);
      const after = await snapshot(sim);
      const moved = (table: 'contacts' | 'deals', key: string): Set<string> =>
        new Set([...after[table]].filter(([id, row]) => before[table].has(id) && before[table].get(id)?.[key] !== row[key]).map(([id]) => id));
      result = { contacts: moved('contacts', 'udate'), deals: moved('deals', 'mdate'), before, after };
    });
    return result as Awaited<ReturnType<typeof bumped>>;
  }

  test('by default a changed custom-field value or list membership bumps its parent; switched off, the parent is left as it was', async () => {
    const bumping = await bumped({});
    const quiet = await bumped({ childChangesBumpParent: false });
    // The same changes happen to the children either way.
    assert.deepEqual([...quiet.after.fieldValues.keys()], [...bumping.after.fieldValues.keys()]);
    assert.deepEqual([...quiet.after.fieldValues.values()].map((v) => v.value), [...bumping.after.fieldValues.values()].map((v) => v.value));
    assert.deepEqual([...quiet.after.dealFields.keys()], [...bumping.after.dealFields.keys()]);

    const onlyBumped = [...bumping.contacts].filter((id) => !quiet.contacts.has(id));
    assert.ok(onlyBumped.length > 5, `contacts bumped only through their field values: ${onlyBumped.length}`);
    for (const id of quiet.contacts) assert.ok(bumping.contacts.has(id));
    for (const id of onlyBumped) {
      assert.deepEqual(quiet.after.contacts.get(id), quiet.before.contacts.get(id), `contact ${id} untouched`);
      const contactValues = (s: Map<string, Rec>): string => JSON.stringify([...s.values()].filter((v) => v.contact === id).map((v) => [v.id, v.value, v.udate]));
      const memberships = (s: Map<string, Rec>): string => JSON.stringify([...s.values()].filter((m) => m.contact === id).map((m) => [m.id, m.status, m.udate]));
      const changed = contactValues(bumping.after.fieldValues) !== contactValues(bumping.before.fieldValues)
        || memberships(bumping.after.contactLists) !== memberships(bumping.before.contactLists);
      assert.ok(changed, `contact ${id} had a field value or list membership change`);
    }

    const dealsOnlyBumped = [...bumping.deals].filter((id) => !quiet.deals.has(id));
    assert.ok(dealsOnlyBumped.length > 0, 'deals bumped only through their custom-field data');
    for (const id of quiet.deals) assert.ok(bumping.deals.has(id));
    for (const id of dealsOnlyBumped) assert.deepEqual(quiet.after.deals.get(id), quiet.before.deals.get(id), `deal ${id} untouched`);
  });
});

describe('per-parent 404s', () => {
  async function missing(sim: Simulator, pattern: string, parents: number[]): Promise<number[]> {
    const out: number[] = [];
    for (const id of parents) {
      const answer = await get(sim, pattern.replace('{id}', String(id)));
      if (answer.status === 404) out.push(id);
      else assert.equal(answer.status, 200);
    }
    return out;
  }
  const contactIds = Array.from({ length: 60 }, (_, i) => i + 1);

  test('off by default; a fraction of parents answers 404 with the not-found body, the same ids every time', async () => {
    await withSim({}, async (sim) => {
      assert.deepEqual(await missing(sim, '/contacts/{id}/notes', contactIds), []);
      sim.setBehaviour({ notFoundParents: 0.5 });
      const half = await missing(sim, '/contacts/{id}/notes', contactIds);
      assert.ok(half.length > 15 && half.length < 45, `${half.length} of 60`);
      assert.deepEqual(await missing(sim, '/contacts/{id}/notes', contactIds), half);
      const answer = await get(sim, `/contacts/${half[0]}/notes`);
      assert.deepEqual(answer.body, { message: `No Result found for Subscriber with id ${half[0]}` });
      sim.setBehaviour({ notFoundParents: 0.2 });
      const fifth = await missing(sim, '/contacts/{id}/notes', contactIds);
      assert.ok(fifth.length < half.length && fifth.every((id) => half.includes(id)), 'a smaller fraction keeps a subset');
      sim.setBehaviour({ notFoundParents: 1 });
      assert.deepEqual(await missing(sim, '/groups/{id}/userGroups', [1, 2, 3]), [1, 2, 3]);
      const group = await get(sim, '/groups/2/userGroups');
      assert.deepEqual(group.body, { message: 'No Result found for Group with id 2' });
    });
  });

  test('the oracle holds the user-groups the per-parent lists still serve', async () => {
    await withSim({ seed: 11 }, async (sim) => {
      const all = [...sim.account.records('userGroups')];
      for (const fraction of [0.4, 0.7, 1]) {
        sim.setBehaviour({ notFoundParents: fraction });
        const served: Rec[] = [];
        for (const group of await readAll(sim, '/groups', 'groups')) {
          const answer = await get(sim, `/groups/${group.id as string}/userGroups`);
          if (answer.status === 200) served.push(...(answer.body.userGroups as Rec[]));
        }
        served.sort((a, b) => Number(a.id) - Number(b.id));
        assert.deepEqual([...sim.account.records('userGroups')], served, String(fraction));
        assert.equal(sim.account.count('userGroups'), served.length);
      }
      sim.setBehaviour({ notFoundParents: 0 });
      assert.deepEqual([...sim.account.records('userGroups')], all);
    });
  });
});

describe('changes during a sync', () => {
  const fingerprint = (sim: Simulator): string =>
    JSON.stringify(['contacts', 'deals', 'fieldValues', 'contactTags', 'notes'].map((r) => [r, sim.account.count(r), [...sim.account.records(r)].map((x) => x.id)]));

  test('off by default: reading changes nothing', async () => {
    await withSim({}, async (sim) => {
      const before = fingerprint(sim);
      for (let i = 0; i < 30; i++) await ok(sim, '/tags?limit=1');
      assert.equal(fingerprint(sim), before);
    });
  });

  test('every N-th API request served applies a batch of changes; control paths, refusals and faults do not count', async () => {
    await withSim({ changesDuringSync: { every: 10, changes: 20 } }, async (sim) => {
      const start = fingerprint(sim);
      for (let i = 0; i < 9; i++) await ok(sim, '/tags?limit=1');
      for (let i = 0; i < 5; i++) assert.equal((await fetch(`${sim.url}/__sim/stats`)).status, 200);
      for (let i = 0; i < 5; i++) assert.equal((await get(sim, '/tags', 'wrong-key')).status, 403);
      assert.equal(fingerprint(sim), start, 'nine served requests: no change yet');
      await ok(sim, '/tags?limit=1');
      const first = fingerprint(sim);
      assert.notEqual(first, start, 'the tenth applied a batch');
      for (let i = 0; i < 9; i++) await ok(sim, '/tags?limit=1');
      assert.equal(fingerprint(sim), first);
      await ok(sim, '/tags?limit=1');
      assert.notEqual(fingerprint(sim), first, 'the twentieth another');
      // Setting the switch again restarts the count.
      sim.setBehaviour({ changesDuringSync: { every: 3, changes: 20 } });
      const reset = fingerprint(sim);
      await ok(sim, '/tags?limit=1');
      await ok(sim, '/tags?limit=1');
      assert.equal(fingerprint(sim), reset);
      await ok(sim, '/tags?limit=1');
      assert.notEqual(fingerprint(sim), reset);
      sim.setBehaviour({ changesDuringSync: null });
      const off = fingerprint(sim);
      for (let i = 0; i < 10; i++) await ok(sim, '/tags?limit=1');
      assert.equal(fingerprint(sim), off);
    });
  });

  test('deterministic: batch k is mutation seed -k, as POST /__sim/mutate would apply it', async () => {
    let automatic = '';
    await withSim({ changesDuringSync: { every: 4, changes: 30 } }, async (sim) => {
      for (let i = 0; i < 8; i++) await ok(sim, '/users/me');
      automatic = fingerprint(sim);
    });
    await withSim({}, async (sim) => {
      sim.mutate(-1, 30);
      sim.mutate(-2, 30);
      assert.equal(fingerprint(sim), automatic);
    });
  });

  test('faulted requests are not served requests', async () => {
    await withSim({ changesDuringSync: { every: 2, changes: 10 }, faults: 1, faultKinds: ['500'] }, async (sim) => {
      const before = fingerprint(sim);
      for (let i = 0; i < 6; i++) assert.equal((await get(sim, '/tags')).status, 500);
      assert.equal(fingerprint(sim), before);
    });
  });
});

describe('permission areas at runtime', () => {
  test('deny takes areas, case-insensitively, and can change while the simulator runs', async () => {
    await withSim({ deny: ['accounts'] }, async (sim) => {
      assert.equal((await get(sim, '/accounts')).status, 403);
      assert.deepEqual((await get(sim, '/accountContacts')).body, {
        errors: [{ status: 403, title: 'Forbidden', detail: 'You do not have permission to view accounts.' }],
      });
      assert.equal((await get(sim, '/deals')).status, 200);
      const res = await behaviour(sim, { deny: ['DEALS', 'users AND groups'] });
      assert.deepEqual(((await res.json()) as Rec).deny, ['Deals', 'Users and groups']);
      assert.equal((await get(sim, '/accounts')).status, 200);
      for (const path of ['/deals', '/dealTasks', '/dealStages', '/deals/1/dealActivities', '/groups/1/userGroups', '/users/1/userGroup']) {
        assert.equal((await get(sim, path)).status, 403, path);
      }
      assert.equal((await get(sim, '/users/me')).status, 200, 'the credential check is never denied');
      const unknown = await behaviour(sim, { deny: ['deals_activities'] });
      assert.equal(unknown.status, 400);
      assert.match(((await unknown.json()) as Rec).message as string, /unknown permission area "deals_activities" \(areas: Contacts, Lists/);
      sim.setBehaviour({ deny: [] });
      assert.equal((await get(sim, '/deals')).status, 200);
    });
  });
});
