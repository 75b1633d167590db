/** The incremental cursor's rules (src/engine/cursor.ts), as pure functions. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TableState } from '../src/core/contract.js';
import { CursorTracker, chooseModes, completesCopy, passStart, updatedAfter, withStartDate, type ModeChoice } from '../src/engine/cursor.js';
import { table } from './support/catalog.js';

const contacts = table('contacts');
const lists = table('lists');
const now = Date.parse('2026-01-31T00:00:00Z');

test('modes: incremental by default where offered; forced or periodic full refreshes', () => {
  const states = new Map<string, TableState>([['contacts', { mode: 'incremental', lastFullAt: '2026-01-20T00:00:00Z' }]]);
  const pick = (choice: ModeChoice, from = states) =>
    chooseModes([contacts, lists], choice, from, now).map((s) => `${s.table.name}=${s.mode}`);
  assert.deepEqual(pick({}), ['contacts=incremental', 'lists=full']);
  assert.deepEqual(pick({ fullRefresh: new Set(['contacts']) }), ['contacts=full', 'lists=full']);
  assert.deepEqual(pick({ modes: new Map([['contacts', 'full']]) }), ['contacts=full', 'lists=full']);
  assert.deepEqual(pick({ fullRefreshEveryDays: 30 }), ['contacts=incremental', 'lists=full'], 'last full pass 11 days ago');
  assert.deepEqual(pick({ fullRefreshEveryDays: 7 }), ['contacts=full', 'lists=full'], 'older than 7 days');
  const neverFull = new Map<string, TableState>([['contacts', { mode: 'incremental', cursor: '2026-01-20T00:00:00Z' }]]);
  assert.deepEqual(pick({ fullRefreshEveryDays: 7 }, neverFull), ['contacts=full', 'lists=full'], 'synced, never fully read');
  assert.deepEqual(pick({ fullRefreshEveryDays: 7 }, new Map()), ['contacts=incremental', 'lists=full'], 'never synced: the first pass reads everything');
});

test('refresh interval: a table read whole is left out while its last full pass is younger than the interval', () => {
  const fullAt = (lastFullAt: string, inProgress?: TableState['inProgress']): Map<string, TableState> =>
    new Map([['lists', { mode: 'full', lastFullAt, ...(inProgress && { inProgress }) }]]);
  const every = new Map([['lists', 24]]);
  const notDue = (choice: ModeChoice, states: Map<string, TableState>) => chooseModes([lists], choice, states, now)[0]?.notDueUntil;
  assert.equal(notDue({ refreshEveryHours: every }, fullAt('2026-01-30T06:00:00.000Z')), '2026-01-31T06:00:00.000Z', '18 h ago: due in 6 h');
  assert.equal(notDue({ refreshEveryHours: every }, fullAt('2026-01-29T23:00:00.000Z')), undefined, '25 h ago: read');
  assert.equal(notDue({ refreshEveryHours: every }, new Map()), undefined, 'never read: read');
  assert.equal(notDue({}, fullAt('2026-01-30T06:00:00.000Z')), undefined, 'no interval: every run');
  assert.equal(notDue({ refreshEveryHours: every, fullRefresh: new Set(['lists']) }, fullAt('2026-01-30T06:00:00.000Z')), undefined, '--full-refresh reads it');
  const stopped = { runId: 'r', mode: 'full' as const, stream: '/lists', position: { offset: 100 } };
  assert.equal(notDue({ refreshEveryHours: every }, fullAt('2026-01-30T06:00:00.000Z', stopped)), undefined, 'a stopped pass is resumed');
});

test('first run: no cursor, so the pass reads everything; with start_date, that date is the bound', () => {
  assert.equal(passStart(undefined), undefined);
  const selection = [{ table: contacts, mode: 'incremental' as const }, { table: lists, mode: 'full' as const }];
  const states = withStartDate(new Map(), selection, '2025-01-01T00:00:00.000Z');
  assert.equal(passStart(states.get('contacts')), '2025-01-01T00:00:00.000Z');
  assert.equal(states.get('lists'), undefined, 'start_date bounds incremental tables only');
  assert.equal(withStartDate(new Map(), selection, null).size, 0);
});

test('start_date never overrides a cursor or a pass in progress', () => {
  const selection = [{ table: contacts, mode: 'incremental' as const }];
  const cursor: TableState = { mode: 'incremental', cursor: '2026-01-10T00:00:00.000Z' };
  assert.equal(passStart(withStartDate(new Map([['contacts', cursor]]), selection, '2025-01-01T00:00:00.000Z').get('contacts')), cursor.cursor);
  const inProgress: TableState = {
    mode: 'incremental',
    inProgress: { runId: 'r', mode: 'incremental', stream: 's', position: { lastId: 10 } },
  };
  assert.equal(passStart(withStartDate(new Map([['contacts', inProgress]]), selection, '2025-01-01T00:00:00.000Z').get('contacts')), undefined);
});

test('a later run starts from the committed cursor; a resumed pass keeps the bound it started from', () => {
  assert.equal(passStart({ mode: 'incremental', cursor: '2026-01-10T00:00:00.000Z' }), '2026-01-10T00:00:00.000Z');
  assert.equal(passStart({ mode: 'full', cursor: '2026-01-10T00:00:00.000Z' }), '2026-01-10T00:00:00.000Z', 'a full pass records the cursor too');
  const resumed: TableState = {
    mode: 'incremental',
    cursor: '2026-01-10T00:00:00.000Z',
    inProgress: { runId: 'r', mode: 'incremental', stream: 's', position: { lastId: 10 }, since: '2026-01-05T00:00:00.000Z' },
  };
  assert.equal(passStart(resumed), '2026-01-05T00:00:00.000Z');
  const resumedFull: TableState = { ...resumed, inProgress: { ...resumed.inProgress!, mode: 'full' } };
  assert.equal(passStart(resumedFull), '2026-01-10T00:00:00.000Z', 'a crashed full pass does not bound an incremental one');
});

test('the filter is the bound minus the overlap, in account time', () => {
  const since = '2026-03-10T12:00:00.000Z';
  assert.equal(updatedAfter(since, { timeZone: null, offsetMinutes: 0 }, 0), '2026-03-10 12:00:00');
  assert.equal(updatedAfter(since, { timeZone: null, offsetMinutes: 0 }, 86_400), '2026-03-09 12:00:00');
  assert.equal(updatedAfter(since, { timeZone: null, offsetMinutes: -300 }, 3600), '2026-03-10 06:00:00');
  // New York is UTC-4 on 10 March 2026 (after the change) but UTC-5 a day earlier: the zone decides at the bound.
  assert.equal(updatedAfter(since, { timeZone: 'America/New_York', offsetMinutes: 0 }, 0), '2026-03-10 08:00:00');
  assert.equal(updatedAfter(since, { timeZone: 'America/New_York', offsetMinutes: 0 }, 86_400), '2026-03-09 08:00:00');
  assert.throws(() => updatedAfter('yesterday', { timeZone: null, offsetMinutes: 0 }, 0), /not a timestamp/);
});

test('the cursor moves only forward, and a resumed pass keeps what it had seen', () => {
  const micros = (iso: string) => BigInt(Date.parse(iso)) * 1000n;
  const tracker = new CursorTracker();
  assert.equal(tracker.seen, undefined);
  assert.equal(tracker.next('2026-01-01T00:00:00.000Z'), '2026-01-01T00:00:00.000Z', 'nothing seen: the previous cursor stays');
  tracker.observe(micros('2026-01-05T00:00:00Z'));
  tracker.observe(micros('2026-01-03T00:00:00Z'));
  assert.equal(tracker.seen, '2026-01-05T00:00:00.000Z');
  assert.equal(tracker.next('2026-01-01T00:00:00.000Z'), '2026-01-05T00:00:00.000Z');
  assert.equal(tracker.next('2026-02-01T00:00:00.000Z'), '2026-02-01T00:00:00.000Z', 'never backwards');
  assert.equal(tracker.next(undefined), '2026-01-05T00:00:00.000Z');
  const resumed = new CursorTracker('2026-01-07T00:00:00.000Z');
  resumed.observe(micros('2026-01-06T00:00:00Z'));
  assert.equal(resumed.seen, '2026-01-07T00:00:00.000Z');
});

test('child tables take a weekly full pass by default; a first pass from nothing counts as a full pass', () => {
  const fieldValues = table('contacts_custom_fields_data');
  assert.equal(fieldValues.incremental?.fullPassEveryDays, 7);
  assert.equal(contacts.incremental?.fullPassEveryDays, undefined, 'parents see their own changes');
  const lastWeek = new Map<string, TableState>([
    ['contacts_custom_fields_data', { mode: 'incremental', cursor: '2026-01-30T00:00:00Z', lastFullAt: '2026-01-23T00:00:00Z' }],
    ['contacts', { mode: 'incremental', cursor: '2026-01-30T00:00:00Z', lastFullAt: '2026-01-01T00:00:00Z' }],
  ]);
  assert.deepEqual(
    chooseModes([contacts, fieldValues], {}, lastWeek, now).map((s) => s.mode),
    ['incremental', 'full'],
    'eight days after its last full pass the child table is due; the parent is not',
  );
  assert.equal(completesCopy(undefined, undefined), true);
  assert.equal(completesCopy({ mode: 'incremental', inProgress: { runId: 'r', mode: 'incremental', stream: 's', position: {} } }, undefined), true, 'a resumed first pass');
  assert.equal(completesCopy({ mode: 'incremental', cursor: '2026-01-01T00:00:00Z' }, undefined), false);
  assert.equal(completesCopy(undefined, '2026-01-01T00:00:00Z'), false, 'bounded by start_date');
});
