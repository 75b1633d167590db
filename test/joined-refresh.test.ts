/**
 * engine/joined-refresh.ts: which tables refresh copied columns (from the catalog's declarations alone), and the
 * checks on the list they refresh from, read over HTTP from a scripted API.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ActiveCampaignClient } from '../src/activecampaign/client.js';
import { RequestBudget } from '../src/activecampaign/rate-limiter.js';
import { TABLES } from '../src/catalog/index.js';
import { JoinedListError, joinedColumns, readJoinedList } from '../src/engine/joined-refresh.js';
import { rowConverter } from '../src/engine/typing.js';
import { json, startScriptedServer, type ScriptedServer } from './activecampaign-helpers.js';

const servers: ScriptedServer[] = [];
after(() => Promise.all(servers.map((server) => server.close())));

const contactsTags = TABLES.find((t) => t.name === 'contacts_tags') ?? assert.fail('the catalog has no contacts_tags');

test('only an incremental pass of a table copying a joined object\'s columns refreshes them, as the catalog declares', () => {
  const joined = joinedColumns(contactsTags, 'incremental');
  assert.ok(joined);
  assert.equal(joined.endpoint.path, '/tags');
  assert.equal(joined.on.name, 'tag_id');
  assert.deepEqual(joined.columns.map((c) => c.name), contactsTags.columns.filter((c) => c.joined).map((c) => c.name));
  assert.equal(joined.columns.length, 8);
  // A full pass joins the list itself; no other table copies columns.
  assert.equal(joinedColumns(contactsTags, 'full'), undefined);
  for (const table of TABLES.filter((t) => t !== contactsTags)) assert.equal(joinedColumns(table, 'incremental'), undefined, table.name);
});

const TAG = {
  tagType: 'contact', tag: 'vip ⭐', description: 'Top 1%', cdate: '2024-01-05T11:00:00-03:00', subscriber_count: '12',
  created_timestamp: '2024-01-05 11:00:00', updated_timestamp: '2024-02-05 11:00:00', created_by: '1', updated_by: null, id: '3',
};

async function clientFor(body: Record<string, unknown>): Promise<ActiveCampaignClient> {
  const server = await startScriptedServer(json(200, body));
  servers.push(server);
  return new ActiveCampaignClient({
    baseUrl: server.url, key: 'test-key', budget: new RequestBudget({ requestsPerSecond: 2000, maxInFlight: 4 }), retryBaseMs: 5, timeoutMs: 3000,
  });
}

async function read(body: Record<string, unknown>) {
  const joined = joinedColumns(contactsTags, 'incremental');
  assert.ok(joined);
  const requests = { count: 0 };
  const list = await readJoinedList(await clientFor(body), contactsTags, joined,
    { timeZone: null, offsetMinutes: -180, prefetch: 0, signal: undefined, requests });
  return { list, requests: requests.count };
}

test('the list is typed as the table\'s own rows type the tag they join', async () => {
  const { list, requests } = await read({ tags: [TAG, { ...TAG, id: '4', tag: 'b2b', subscriber_count: '0' }], meta: { total: '2' } });
  assert.equal(requests, 1);
  assert.equal(list.shortfall, undefined);
  const row = rowConverter(contactsTags)({ tag: '3' }, { timeZone: null, offsetMinutes: -180 }, [], TAG);
  const at = (name: string) => contactsTags.columns.findIndex((c) => c.name === name);
  assert.deepEqual(list.refresh.on, 'tag_id');
  assert.deepEqual(list.refresh.rows[0], [3, ...list.refresh.columns.map((name) => row[at(name)])]);
  assert.equal(list.refresh.rows[1]?.[1 + list.refresh.columns.indexOf('subscriber_count')], 0);
});

test('an object without a whole-number id fails the list: its rows could not be matched', async () => {
  await assert.rejects(read({ tags: [TAG, { ...TAG, id: undefined }] }), JoinedListError);
  await assert.rejects(read({ tags: [TAG, { ...TAG, id: 'x7' }] }), JoinedListError);
});

test('fewer objects than announced is said, as for any read', async () => {
  const { list } = await read({ tags: [TAG], meta: { total: '5' } });
  assert.match(list.shortfall ?? '', /read 1 distinct rows but the API announced 5/);
});
