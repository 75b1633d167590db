import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TABLES, type ReplicationMode } from '../src/catalog/index.js';
import type { TableState } from '../src/core/contract.js';
import { planStreams } from '../src/engine/plan.js';
import { table } from './support/catalog.js';

const select = (...entries: [string, ReplicationMode][]) => entries.map(([name, mode]) => ({ table: table(name), mode }));
const options = { overlapSeconds: 86_400, accountTime: { timeZone: null, offsetMinutes: -180 } };

test('a full sync of all 33 tables reads each endpoint once', () => {
  const streams = planStreams(
    TABLES.map((t) => ({ table: t, mode: 'full' as const })),
    new Map(),
    options,
  );
  const paths = streams.map((s) => s.endpoint.path);
  assert.equal(new Set(paths).size, paths.length, `an endpoint is read twice: ${paths.join(' ')}`);
  const fed = streams.flatMap((s) => s.tables.map((t) => t.table.name)).sort();
  assert.deepEqual(fed, TABLES.map((t) => t.name).sort());
});

test('tables sharing an endpoint share its stream; server filters only where all members agree', () => {
  const streams = planStreams(select(['contacts_tasks', 'full'], ['deals_tasks', 'full'], ['accounts_notes', 'full'], ['contacts_notes', 'full']), new Map(), options);
  assert.equal(streams.length, 2);
  const tasks = streams.find((s) => s.endpoint.path === '/dealTasks');
  assert.ok(tasks);
  assert.deepEqual(tasks.params, {}, 'two reltypes: read once, split on the client');
  assert.deepEqual(tasks.tables.map((t) => t.where?.equals).sort(), ['Deal', 'Subscriber']);

  const alone = planStreams(select(['deals_tasks', 'full']), new Map(), options);
  assert.deepEqual(alone[0]?.params, { 'filters[reltype]': 'Deal' }, 'one reltype: filtered on the server too');
});

test('deals and their custom field data come from one /deals stream with include=', () => {
  const streams = planStreams(select(['deals', 'full'], ['deals_custom_fields_data', 'full']), new Map(), options);
  assert.equal(streams.length, 1);
  assert.equal(streams[0]?.params.include, 'dealCustomFieldData');
  assert.deepEqual(streams[0]?.tables.map((t) => t.rowsKey), ['deals', 'dealCustomFieldData']);
});

test('incremental contacts and children ride one stream; the filter is the oldest cursor minus the overlap, in account time', () => {
  const states = new Map<string, TableState>([
    ['contacts', { mode: 'incremental', cursor: '2024-03-10T12:00:00.000Z' }],
    ['contacts_tags', { mode: 'incremental', cursor: '2024-03-09T12:00:00.000Z' }],
  ]);
  const streams = planStreams(select(['contacts', 'incremental'], ['contacts_tags', 'incremental']), states, options);
  assert.equal(streams.length, 1);
  const [stream] = streams;
  assert.ok(stream);
  assert.equal(stream.params.include, 'contactTags.tag');
  // 2024-03-09 12:00 UTC minus one day is 2024-03-08 12:00 UTC, 09:00 at -03:00.
  assert.equal(stream.params['filters[updated_after]'], '2024-03-08 09:00:00');
  const tags = stream.tables.find((t) => t.table.name === 'contacts_tags');
  assert.equal(tags?.parentKey, 'contact');
  assert.deepEqual(tags?.join, { on: 'tag', sideload: 'tags' });
});

test('an incremental table without a cursor reads everything; a resumed pass keeps its own bound', () => {
  const first = planStreams(select(['deals', 'incremental']), new Map(), options);
  assert.equal(first[0]?.params['filters[updated_after]'], undefined);
  const states = new Map<string, TableState>([
    [
      'deals',
      {
        mode: 'incremental',
        cursor: '2024-05-01T00:00:00.000Z',
        inProgress: { runId: 'r', mode: 'incremental', stream: 's', position: { offset: 300 }, since: '2024-04-01T00:00:00.000Z' },
      },
    ],
  ]);
  const resumed = planStreams(select(['deals', 'incremental']), states, options);
  assert.equal(resumed[0]?.params['filters[updated_after]'], '2024-03-30 21:00:00');
});

test('an IANA zone writes the filter in that zone, daylight saving included', () => {
  const states = new Map<string, TableState>([['contacts', { mode: 'incremental', cursor: '2024-07-02T12:00:00.000Z' }]]);
  const streams = planStreams(select(['contacts', 'incremental']), states, {
    overlapSeconds: 86_400,
    accountTime: { timeZone: 'America/New_York', offsetMinutes: 0 },
  });
  assert.equal(streams[0]?.params['filters[updated_after]'], '2024-07-01 08:00:00');
});
