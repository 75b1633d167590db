import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ActiveCampaignClient, type ClientOptions } from '../src/activecampaign/client.js';
import { type Page, readPages, type ReadOptions } from '../src/activecampaign/pages.js';
import { RequestBudget } from '../src/activecampaign/rate-limiter.js';
import { type Endpoint, endpoints } from '../src/catalog/index.js';
import { ApiError } from '../src/core/errors.js';
import { type Simulator, startSimulator } from '../src/simulator/index.js';

let sim: Simulator;
before(async () => {
  sim = await startSimulator({ contacts: 1000, rateLimit: 0 });
});
after(() => sim.close());

function clientFor(target: Simulator, options: Partial<ClientOptions> = {}): ActiveCampaignClient {
  return new ActiveCampaignClient({
    baseUrl: target.url,
    key: target.key,
    budget: new RequestBudget({ requestsPerSecond: 500 }),
    retryBaseMs: 5,
    timeoutMs: 5000,
    ...options,
  });
}

async function ids(client: ActiveCampaignClient, endpoint: Endpoint, options?: ReadOptions): Promise<{ ids: string[]; pages: Page[] }> {
  const pages: Page[] = [];
  for await (const page of readPages(client, endpoint, options)) pages.push(page);
  return { ids: pages.flatMap((page) => page.rows.map((row) => String(row.id))), pages };
}

const oracle = (target: Simulator, resource: string): string[] => [...target.account.records(resource)].map((row) => String(row.id));

test('simulator: contacts by keyset, notes with prefetch and deals with their order all arrive complete', async () => {
  const client = clientFor(sim);

  const contacts = await ids(client, endpoints.contacts, { params: { include: 'fieldValues,contactTags.tag' } });
  assert.deepEqual(contacts.ids, oracle(sim, 'contacts'));
  assert.ok(contacts.pages.length >= 10);
  assert.ok(contacts.pages.some((page) => Array.isArray(page.body.fieldValues)), 'sideloads ride with their page');

  const notes = await ids(client, endpoints.notes, { prefetch: 4 });
  assert.deepEqual(notes.ids, oracle(sim, 'notes'));
  assert.equal(notes.pages[0]?.total, sim.account.count('notes'));

  const deals = await ids(client, endpoints.deals);
  assert.deepEqual([...new Set(deals.ids)].sort(), [...oracle(sim, 'deals')].sort());
  assert.equal(deals.ids.length, sim.account.count('deals'), 'orders[cdate]=ASC keeps offset pages from overlapping');

  const groups = oracle(sim, 'groups');
  const userGroups = [];
  for (const group of groups) userGroups.push(...(await ids(client, endpoints.userGroups, { pathParams: { id: group } })).ids);
  assert.deepEqual(userGroups.sort(), oracle(sim, 'userGroups').sort());

  assert.equal(client.stats.retries, 0);
  assert.deepEqual(Object.keys(client.stats.byStatus), ['200']);
});

test('simulator: every row still arrives when a quarter of the responses are faults', async () => {
  const faulty = await startSimulator({
    contacts: 1000,
    rateLimit: 0,
    faults: 0.25,
    faultKinds: ['500', '502', '503', '429', '403', 'reset', 'truncate', 'html'],
    faultSeed: 7,
  });
  try {
    // Each 429 fault asks for Retry-After: 1, honoured in full (and not counted as an attempt).
    const client = clientFor(faulty, { maxAttempts: 10 });
    assert.deepEqual((await ids(client, endpoints.notes, { prefetch: 3 })).ids, oracle(faulty, 'notes'));
    assert.deepEqual((await ids(client, endpoints.contacts)).ids, oracle(faulty, 'contacts'));
    assert.ok(client.stats.retries >= 3, `expected retries, saw ${client.stats.retries}`);
    assert.ok(faulty.stats().requests > client.stats.retries);
  } finally {
    await faulty.close();
  }
});

test("simulator: a 4/s budget stays under the simulator's 5/s limit", async () => {
  const limited = await startSimulator({ contacts: 500, rateLimit: 5 });
  try {
    const client = clientFor(limited, { budget: new RequestBudget({ requestsPerSecond: 4 }) });
    const started = performance.now();
    const notes = await ids(client, endpoints.notes, { prefetch: 4 });
    const elapsed = performance.now() - started;
    assert.deepEqual(notes.ids, oracle(limited, 'notes'));
    const requests = client.stats.requests;
    assert.ok(requests >= 3, `read ${requests} pages`);
    assert.equal(client.stats.throttled, 0);
    assert.equal(limited.stats().byStatus['429'] ?? 0, 0);
    assert.ok(elapsed >= ((requests - 1) / 4) * 1000 - 50, `${requests} requests took ${elapsed.toFixed(0)} ms at 4/s`);
  } finally {
    await limited.close();
  }
});

test("simulator: a denied table is a permission error; the simulator's one-off 403 fault is not", async () => {
  const denying = await startSimulator({ contacts: 50, rateLimit: 0, deny: ['lists'] });
  try {
    const client = clientFor(denying);
    await assert.rejects(ids(client, endpoints.lists), (error: unknown) => {
      return error instanceof ApiError && error.kind === 'permission' && /permission to view lists/.test(error.message);
    });
  } finally {
    await denying.close();
  }
  const flaky = await startSimulator({ contacts: 50, rateLimit: 0, faults: 1, faultKinds: ['403'] });
  try {
    await assert.rejects(ids(clientFor(flaky), endpoints.lists), (error: unknown) => {
      return error instanceof ApiError && error.kind === 'unavailable' && !/needs a group/.test(error.message);
    });
  } finally {
    await flaky.close();
  }
});
