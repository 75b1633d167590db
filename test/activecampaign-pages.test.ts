import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ActiveCampaignClient } from '../src/activecampaign/client.js';
import { ApiError } from '../src/core/errors.js';
import { type Page, readPages, type ReadOptions } from '../src/activecampaign/pages.js';
import { RequestBudget } from '../src/activecampaign/rate-limiter.js';
import { type Endpoint, endpoints } from '../src/catalog/index.js';
import { type Handler, json, type ScriptedServer, startScriptedServer } from './activecampaign-helpers.js';

const servers: ScriptedServer[] = [];
after(() => Promise.all(servers.map((server) => server.close())));

interface Table {
  server: ScriptedServer;
  client: ActiveCampaignClient;
  /** Most requests the server had open at once. */
  maxOpen(): number;
  offsets(): number[];
}

interface TableOptions {
  envelope: string;
  /** Row ids, in the order served. */
  ids: number[];
  /** What meta.total says (default: the row count as a string); undefined leaves meta out. */
  total?: (count: number) => unknown;
  /** Keyset paging: filter by id_greater. */
  keyset?: boolean;
  delayMs?: (offset: number) => number;
}

/** A list endpoint over `ids`, honouring limit/offset (or id_greater) as the API does. */
async function table(options: TableOptions): Promise<Table> {
  let open = 0;
  let maxOpen = 0;
  const total = options.total ?? ((count: number) => String(count));
  const handler: Handler = async (request, res) => {
    open += 1;
    maxOpen = Math.max(maxOpen, open);
    const limit = Math.min(Number(request.query.get('limit') ?? 20), 100);
    const offset = Number(request.query.get('offset') ?? 0);
    const greater = Number(request.query.get('id_greater') ?? 0);
    const matching = options.keyset ? options.ids.filter((id) => id > greater) : options.ids;
    const slice = options.keyset ? matching.slice(0, limit) : matching.slice(offset, offset + limit);
    const delay = options.delayMs?.(offset) ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    open -= 1;
    if (res.destroyed) return;
    const body: Record<string, unknown> = { [options.envelope]: slice.map((id) => ({ id: String(id) })) };
    const reported = total(matching.length);
    if (reported !== undefined) body.meta = { total: reported };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = await startScriptedServer(handler);
  servers.push(server);
  const client = new ActiveCampaignClient({
    baseUrl: server.url,
    key: 'test-key',
    budget: new RequestBudget({ requestsPerSecond: 2000, maxInFlight: 16 }),
    retryBaseMs: 5,
    timeoutMs: 3000,
  });
  return {
    server,
    client,
    maxOpen: () => maxOpen,
    offsets: () => server.requests.map((r) => Number(r.query.get('offset'))),
  };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function collect(client: ActiveCampaignClient, endpoint: Endpoint, options?: ReadOptions): Promise<Page[]> {
  const pages: Page[] = [];
  for await (const page of readPages(client, endpoint, options)) pages.push(page);
  return pages;
}

const idsOf = (pages: Page[]): number[] => pages.flatMap((page) => page.rows.map((row) => Number(row.id)));

test('offset paging sends limit=100, yields every row in order and stops on the short page', async () => {
  const t = await table({ envelope: 'lists', ids: range(1, 250) });
  const pages = await collect(t.client, endpoints.lists);
  assert.deepEqual(idsOf(pages), range(1, 250));
  assert.deepEqual(
    pages.map((p) => p.position),
    [
      { offset: 100, rows: 100 },
      { offset: 200, rows: 200 },
      { offset: 250, rows: 250 },
    ],
  );
  assert.deepEqual(
    pages.map((p) => p.total),
    [250, 250, 250],
  );
  assert.deepEqual(t.offsets(), [0, 100, 200]);
  assert.ok(t.server.requests.every((r) => r.query.get('limit') === '100'));
});

test('a full last page is followed by one more request even when the total says the table ends there', async () => {
  const t = await table({ envelope: 'deals', ids: range(1, 200), total: (count) => count });
  const pages = await collect(t.client, endpoints.deals);
  assert.deepEqual(idsOf(pages), range(1, 200));
  assert.deepEqual(t.offsets(), [0, 100, 200]);
  assert.equal(pages[0]?.total, 200, 'a JSON number total is read too');
  assert.deepEqual(
    pages.map((p) => [p.rows.length, p.last]),
    [
      [100, false],
      [100, false],
      [0, true],
    ],
  );
});

test('without meta.total paging is sequential and ends on the empty page', async () => {
  const t = await table({ envelope: 'accountCustomFieldData', ids: range(1, 200), total: () => undefined, delayMs: () => 5 });
  const pages = await collect(t.client, endpoints.accountCustomFieldData, { prefetch: 4 });
  assert.deepEqual(idsOf(pages), range(1, 200));
  assert.deepEqual(t.offsets(), [0, 100, 200]);
  assert.equal(pages[2]?.rows.length, 0);
  assert.equal(pages[0]?.total, undefined);
  assert.equal(t.maxOpen(), 1);
});

test('a total that is too low is only a hint: a full last expected page keeps paging going', async () => {
  const t = await table({ envelope: 'lists', ids: range(1, 320), total: () => '150' });
  const pages = await collect(t.client, endpoints.lists);
  assert.deepEqual(idsOf(pages), range(1, 320));
  assert.deepEqual(t.offsets(), [0, 100, 200, 300]);
});

test('a total that is too high ends on the short page; prefetched pages past it are dropped', async () => {
  const t = await table({ envelope: 'lists', ids: range(1, 150), total: () => '1000' });
  const pages = await collect(t.client, endpoints.lists, { prefetch: 3 });
  assert.deepEqual(idsOf(pages), range(1, 150));
  assert.equal(pages.length, 2);
  assert.deepEqual(pages.at(-1)?.position, { offset: 150, rows: 150 });
  assert.ok(t.offsets().every((offset) => offset < 1000));
});

test('prefetch requests pages below the total concurrently, yields them in order, and never asks past it', async () => {
  // Earlier pages answer slower, so responses arrive out of order.
  const t = await table({ envelope: 'notes', ids: range(1, 950), delayMs: (offset) => (offset === 0 ? 0 : 120 - offset / 10) });
  const pages = await collect(t.client, endpoints.notes, { prefetch: 4 });
  assert.deepEqual(idsOf(pages), range(1, 950));
  assert.deepEqual(
    pages.map((p) => p.position.offset),
    [100, 200, 300, 400, 500, 600, 700, 800, 900, 950],
  );
  assert.deepEqual(
    [...t.offsets()].sort((a, b) => a - b),
    [0, 100, 200, 300, 400, 500, 600, 700, 800, 900],
  );
  assert.ok(t.maxOpen() >= 3 && t.maxOpen() <= 4, `at most 4 pages ahead were open, saw ${t.maxOpen()}`);
});

test('prefetch 0 reads one page at a time even with a total', async () => {
  const t = await table({ envelope: 'notes', ids: range(1, 300), delayMs: () => 5 });
  const pages = await collect(t.client, endpoints.notes, { prefetch: 0 });
  assert.deepEqual(idsOf(pages), range(1, 300));
  assert.deepEqual(t.offsets(), [0, 100, 200, 300]);
  assert.equal(t.maxOpen(), 1);
});

test('overlapping pages repeat the last row of the page before, and end on a short page', async () => {
  const t = await table({ envelope: 'notes', ids: range(1, 250) });
  const pages = await collect(t.client, endpoints.notes, { overlap: 1 });
  assert.deepEqual(t.offsets().sort((a, b) => a - b), [0, 99, 198]);
  assert.deepEqual(pages.map((p) => p.rows[0]?.id), ['1', '100', '199']);
  assert.deepEqual([...new Set(idsOf(pages))], range(1, 250));
});

test('a start offset resumes there and counts rows from it', async () => {
  const t = await table({ envelope: 'lists', ids: range(1, 260) });
  const pages = await collect(t.client, endpoints.lists, { start: { offset: 200, rows: 200 } });
  assert.deepEqual(idsOf(pages), range(201, 260));
  assert.deepEqual(t.offsets(), [200]);
  assert.deepEqual(pages[0]?.position, { offset: 260, rows: 260 });
});

test('endpoint params are always sent next to the caller params, and the pager owns limit and offset', async () => {
  const t = await table({ envelope: 'deals', ids: range(1, 20), total: (count) => count });
  await collect(t.client, endpoints.deals, {
    params: { include: 'dealCustomFieldData', 'filters[updated_after]': '2024-03-01 00:00:00', limit: '5', offset: '7', 'orders[cdate]': 'DESC' },
  });
  const [seen] = t.server.requests;
  assert.ok(seen);
  assert.equal(seen.path, '/api/3/deals');
  assert.equal(seen.query.get('orders[cdate]'), 'ASC');
  assert.equal(seen.query.get('include'), 'dealCustomFieldData');
  assert.equal(seen.query.get('filters[updated_after]'), '2024-03-01 00:00:00');
  assert.equal(seen.query.get('limit'), '100');
  assert.equal(seen.query.get('offset'), '0');

  const accounts = await table({ envelope: 'accounts', ids: range(1, 3) });
  await collect(accounts.client, endpoints.accounts);
  assert.equal(accounts.server.requests[0]?.query.get('count_deals'), 'true');
});

test('keyset paging walks id_greater from 0 with orders[id]=ASC and stops on a short page', async () => {
  const ids = range(1, 230).map((i) => i * 7 + (i % 5)); // sparse, ascending
  const t = await table({ envelope: 'contacts', ids, keyset: true });
  const pages = await collect(t.client, endpoints.contacts, {
    params: { 'filters[updated_after]': '2024-01-01', include: 'fieldValues,contactTags.tag' },
  });
  assert.deepEqual(idsOf(pages), ids);
  const greater = t.server.requests.map((r) => r.query.get('id_greater'));
  assert.deepEqual(greater, ['0', String(ids[99]), String(ids[199])]);
  for (const request of t.server.requests) {
    assert.equal(request.query.get('orders[id]'), 'ASC');
    assert.equal(request.query.get('limit'), '100');
    assert.equal(request.query.get('offset'), null);
    assert.equal(request.query.get('filters[updated_after]'), '2024-01-01');
    assert.equal(request.query.get('include'), 'fieldValues,contactTags.tag');
  }
  assert.deepEqual(
    pages.map((p) => p.position),
    [
      { lastId: ids[99], rows: 100 },
      { lastId: ids[199], rows: 200 },
      { lastId: ids[229], rows: 230 },
    ],
  );
});

test('keyset paging resumes after a last id and asks once more after an exactly full page', async () => {
  const ids = range(1, 300);
  const t = await table({ envelope: 'contacts', ids, keyset: true });
  const pages = await collect(t.client, endpoints.contacts, { start: { lastId: 100, rows: 100 } });
  assert.deepEqual(idsOf(pages), range(101, 300));
  assert.deepEqual(
    t.server.requests.map((r) => r.query.get('id_greater')),
    ['100', '200', '300'],
  );
  assert.deepEqual(pages.at(-1)?.position, { lastId: 300, rows: 300 });
});

test('keyset paging refuses a page whose ids do not advance instead of looping', async () => {
  const server = await startScriptedServer(json(200, { contacts: Array.from({ length: 100 }, () => ({ id: '5' })) }));
  servers.push(server);
  const client = new ActiveCampaignClient({ baseUrl: server.url, key: 'k', budget: new RequestBudget({ requestsPerSecond: 1000 }) });
  await assert.rejects(collect(client, endpoints.contacts, { start: { lastId: 5, rows: 0 } }), (error: unknown) => {
    return error instanceof ApiError && error.kind === 'bad_response';
  });
  assert.equal(server.requests.length, 1);
});

test('per-parent endpoints fill {id} from pathParams; a missing envelope is an empty page', async () => {
  const server = await startScriptedServer(json(200, {}));
  servers.push(server);
  const client = new ActiveCampaignClient({ baseUrl: server.url, key: 'k', budget: new RequestBudget({ requestsPerSecond: 1000 }) });
  const pages = await collect(client, endpoints.userGroups, { pathParams: { id: '3' } });
  assert.equal(server.requests[0]?.path, '/api/3/groups/3/userGroups');
  assert.equal(pages.length, 1);
  assert.deepEqual(pages[0]?.rows, []);
  assert.deepEqual(pages[0]?.position, { offset: 0, rows: 0 });
  await assert.rejects(collect(client, endpoints.userGroups), /pass pathParams\.id/);
});

test('an unpaged endpoint is read in one request without limit or offset', async () => {
  const rows = range(1, 130).map((id) => ({ id: String(id) }));
  const server = await startScriptedServer(json(200, { contactTags: rows }));
  servers.push(server);
  const client = new ActiveCampaignClient({ baseUrl: server.url, key: 'k', budget: new RequestBudget({ requestsPerSecond: 1000 }) });
  const perContact: Endpoint = { path: '/contacts/{id}/contactTags', envelope: 'contactTags', paging: 'offset', total: 'absent', unpaged: true, permission: 'Contacts' };
  const pages = await collect(client, perContact, { pathParams: { id: '1002' } });
  assert.equal(server.requests.length, 1);
  assert.equal(server.requests[0]?.path, '/api/3/contacts/1002/contactTags');
  assert.equal(server.requests[0]?.query.get('limit'), null);
  assert.equal(pages[0]?.rows.length, 130);
  assert.deepEqual(pages[0]?.position, { offset: 130, rows: 130 });
});

test('a server that ignores limit and sends more rows than asked ends paging instead of looping', async () => {
  const server = await startScriptedServer(json(200, { contactTags: range(1, 150).map((id) => ({ id: String(id) })) }));
  servers.push(server);
  const client = new ActiveCampaignClient({ baseUrl: server.url, key: 'k', budget: new RequestBudget({ requestsPerSecond: 1000 }) });
  const pages = await collect(client, endpoints.contactTags);
  assert.equal(pages.length, 1);
  assert.equal(server.requests.length, 1);
});

test('a failing page surfaces in order, and stopping early cancels the pages requested ahead', async () => {
  const failing = await startScriptedServer((request, res, req) => {
    const offset = Number(request.query.get('offset'));
    if (offset === 200) return json(404, { message: 'No Result found' })(request, res, req);
    return json(200, { notes: range(offset + 1, offset + 100).map((id) => ({ id: String(id) })), meta: { total: '600' } })(request, res, req);
  });
  servers.push(failing);
  const client = new ActiveCampaignClient({ baseUrl: failing.url, key: 'k', budget: new RequestBudget({ requestsPerSecond: 1000 }) });
  const seen: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const page of readPages(client, endpoints.notes)) seen.push(page.position.offset ?? -1);
    })(),
    (error: unknown) => error instanceof ApiError && error.kind === 'not_found',
  );
  assert.deepEqual(seen, [100, 200]);

  const slow = await table({ envelope: 'notes', ids: range(1, 1000), delayMs: (offset) => (offset === 0 ? 0 : 1000) });
  const started = performance.now();
  for await (const page of readPages(slow.client, endpoints.notes, { prefetch: 4 })) {
    assert.equal(page.position.offset, 100);
    break;
  }
  assert.ok(performance.now() - started < 700, 'breaking out does not wait for the pages requested ahead');
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(slow.server.requests.length <= 5, 'no request is made after the consumer stopped');
});

test('the caller signal stops paging', async () => {
  const t = await table({ envelope: 'notes', ids: range(1, 1000), delayMs: () => 30 });
  const controller = new AbortController();
  const pages: Page[] = [];
  await assert.rejects(
    (async () => {
      for await (const page of readPages(t.client, endpoints.notes, { signal: controller.signal })) {
        pages.push(page);
        if (pages.length === 2) controller.abort(new Error('stop now'));
      }
    })(),
    /stop now/,
  );
  assert.equal(pages.length, 2);
});

test('a total too low that falls on a page boundary does not stop paging: every row still arrives', async () => {
  const t = await table({ envelope: 'lists', ids: range(1, 300), total: () => '200' });
  const pages = await collect(t.client, endpoints.lists, { prefetch: 4 });
  assert.deepEqual(idsOf(pages), range(1, 300));
  assert.deepEqual(t.offsets(), [0, 100, 200, 300]);
  assert.ok(pages.every((p) => p.announcedTotal === 200), 'the announced total is reported as it was, for the engine to compare');
});

test('meta.total as a number, a string, garbage or absent: paging is the same, announcedTotal follows what was said', async () => {
  for (const [said, expected] of [
    [(count: number) => count, 250],
    [(count: number) => String(count), 250],
    [() => 'n/a', undefined],
    [() => '-3', undefined],
    [() => undefined, undefined],
  ] as const) {
    const t = await table({ envelope: 'notes', ids: range(1, 250), total: said });
    const pages = await collect(t.client, endpoints.notes);
    assert.deepEqual(idsOf(pages), range(1, 250));
    assert.deepEqual(
      pages.map((p) => p.announcedTotal),
      [expected, expected, expected],
    );
    assert.deepEqual(
      pages.map((p) => p.last),
      [false, false, true],
    );
  }
});

test('announcedTotal keeps the latest total when a later page has none', async () => {
  const server = await startScriptedServer((request, res, req) => {
    const offset = Number(request.query.get('offset'));
    const rows = range(offset + 1, Math.min(offset + 100, 230)).map((id) => ({ id: String(id) }));
    return json(200, offset === 0 ? { notes: rows, meta: { total: '230' } } : { notes: rows })(request, res, req);
  });
  servers.push(server);
  const client = new ActiveCampaignClient({ baseUrl: server.url, key: 'k', budget: new RequestBudget({ requestsPerSecond: 1000 }) });
  const pages = await collect(client, endpoints.notes);
  assert.deepEqual(
    pages.map((p) => [p.total, p.announcedTotal]),
    [
      [230, 230],
      [undefined, 230],
      [undefined, 230],
    ],
  );
});

/** A /contacts endpoint answering each id_greater with `pageFor(idGreater)`. */
async function keysetServer(pageFor: (idGreater: number) => unknown[]): Promise<ActiveCampaignClient> {
  const server = await startScriptedServer((request, res, req) => {
    const rows = pageFor(Number(request.query.get('id_greater')));
    return json(200, { contacts: rows, meta: { total: String(rows.length) } })(request, res, req);
  });
  servers.push(server);
  return new ActiveCampaignClient({ baseUrl: server.url, key: 'k', budget: new RequestBudget({ requestsPerSecond: 1000 }) });
}

const keysetFailure = (pattern: RegExp) => (error: unknown) =>
  error instanceof ApiError && error.kind === 'bad_response' && error.path === '/contacts' && pattern.test(error.message);

test('keyset paging refuses ids that do not ascend within a page', async () => {
  const ids = [...range(1, 50), 40, ...range(51, 99)];
  const client = await keysetServer(() => ids.map((id) => ({ id: String(id) })));
  await assert.rejects(
    collect(client, endpoints.contacts),
    keysetFailure(/^\/contacts \(keyset paging\) sent id 40 after id 50: ids must strictly ascend/),
  );
});

test('keyset paging refuses a page that starts at or below the previous page\'s last id', async () => {
  // The second page overlaps the first: a server that ignored part of id_greater.
  const client = await keysetServer((greater) => range(greater === 0 ? 1 : greater - 10, (greater === 0 ? 0 : greater - 11) + 100).map((id) => ({ id: String(id) })));
  const seen: Page[] = [];
  await assert.rejects(
    (async () => {
      for await (const page of readPages(client, endpoints.contacts)) seen.push(page);
    })(),
    keysetFailure(/sent id 90 after id_greater=100/),
  );
  assert.equal(seen.length, 1, 'the first page was fine');
});

test('keyset paging refuses a row without a numeric id, and takes JSON number ids', async () => {
  const bad = await keysetServer(() => [{ id: '1' }, { id: 'abc' }]);
  await assert.rejects(collect(bad, endpoints.contacts), keysetFailure(/id "abc" is not a number/));
  const numbers = await keysetServer((greater) => (greater === 0 ? [{ id: 1 }, { id: 2 }] : []));
  assert.deepEqual(idsOf(await collect(numbers, endpoints.contacts)), [1, 2]);
});

test('keyset announcedTotal is the first page\'s total of a walk from id 0, and unknown for a resumed walk', async () => {
  const t = await table({ envelope: 'contacts', ids: range(1, 250), keyset: true });
  const fresh = await collect(t.client, endpoints.contacts);
  assert.deepEqual(
    fresh.map((p) => [p.total, p.announcedTotal, p.last]),
    [
      [250, 250, false],
      [150, 250, false],
      [50, 250, true],
    ],
  );
  const resumed = await collect(t.client, endpoints.contacts, { start: { lastId: 100, rows: 100 } });
  assert.deepEqual(
    resumed.map((p) => p.announcedTotal),
    [undefined, undefined],
  );
});

test('an unpaged page is the last one and announces its own total', async () => {
  const server = await startScriptedServer(json(200, { userGroups: [{ id: '1' }], meta: { total: '1' } }));
  servers.push(server);
  const client = new ActiveCampaignClient({ baseUrl: server.url, key: 'k', budget: new RequestBudget({ requestsPerSecond: 1000 }) });
  const perParent: Endpoint = { ...endpoints.userGroups, unpaged: true };
  const [only] = await collect(client, perParent, { pathParams: { id: '3' } });
  assert.ok(only);
  assert.equal(only.last, true);
  assert.equal(only.announcedTotal, 1);
});
