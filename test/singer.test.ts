import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { TABLES, getTable, type TableDef } from '../src/catalog/index.js';
import { runSinger, type SingerFlags } from '../src/cli/singer.js';
import type { TableState, TypedRow } from '../src/core/contract.js';
import { formatDate, formatTimestamp } from '../src/protocols/json-schema.js';
import { parseSingerState } from '../src/protocols/singer.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { readDuckDbTable, sortByKey } from './support/oracle.js';
import { Capture, duckDbCopy, inProcess, runCli, typedRows, type Captured } from './support/protocol-schemas/harness.js';
import { RecordChecker, assertValid, createAjv, validators } from './support/protocol-schemas/index.js';

type Bookmark = TableState & { version?: number };

interface Message {
  type: 'SCHEMA' | 'RECORD' | 'STATE' | 'ACTIVATE_VERSION';
  stream: string;
  schema: { properties: Record<string, Record<string, unknown>> };
  key_properties: string[];
  bookmark_properties?: string[];
  record: Record<string, unknown>;
  version?: number;
  time_extracted?: string;
  value: { bookmarks: Record<string, Bookmark> };
}

interface CatalogStream {
  tap_stream_id: string;
  schema: { properties: Record<string, Record<string, unknown>> };
  key_properties: string[];
  replication_key?: string;
  replication_method: string;
  metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[];
}

let sim: Simulator;
let dir: string;
let configFile: string;
/** The DuckDB copy made by `acsync sync`, started at once and awaited where it is compared. */
let duckDbPath: Promise<string>;

before(async () => {
  sim = await startSimulator({ port: 0, contacts: 200, rateLimit: 0 });
  dir = mkdtempSync(join(tmpdir(), 'acsync-singer-'));
  configFile = writeJson('config.json', { url: sim.url, key: sim.key });
  const path = join(dir, 'copy.duckdb');
  duckDbPath = duckDbCopy(sim.url, sim.key, path).then(() => path);
  duckDbPath.catch(() => undefined);
});

after(async () => {
  await duckDbPath.catch(() => undefined);
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
function writeJson(name: string, value: unknown): string {
  const path = join(dir, `${files++}-${name}`);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

function singer(flags: SingerFlags, options: { batchRows?: number } = {}): Promise<Captured> {
  return inProcess((environment) => runSinger(flags, environment), options);
}

/** The run's messages, each checked against the Singer message schema and each record against its stream's SCHEMA. */
function checkedMessages(result: Captured): Message[] {
  assert.equal(result.code, 0, result.stderr.text);
  const messages = result.stdout.messages() as unknown as Message[];
  const records = new RecordChecker();
  for (const message of messages) {
    assertValid(validators.singerMessage, message, `${message.type} message`);
    if (message.type === 'SCHEMA') records.setSchema(message.stream, message.schema);
    if (message.type === 'RECORD') {
      records.check(message.stream, message.record);
      assert.ok(message.time_extracted, 'records carry time_extracted');
    }
  }
  return messages;
}

function recordsOf(messages: readonly Message[], stream: string): Record<string, unknown>[] {
  return messages.filter((m) => m.type === 'RECORD' && m.stream === stream).map((m) => m.record);
}

function rowsOf(table: TableDef, records: readonly Record<string, unknown>[]): TypedRow[] {
  return sortByKey(table, typedRows(table, records));
}

async function assertSameAsDuckDb(recordsByTable: (table: TableDef) => Record<string, unknown>[]): Promise<void> {
  const path = await duckDbPath;
  for (const table of TABLES) {
    const expected = sortByKey(table, await readDuckDbTable(path, table));
    assert.ok(expected.length > 0, `${table.name} has rows in the DuckDB copy`);
    assert.deepEqual(rowsOf(table, recordsByTable(table)), expected, `${table.name}: the Singer records hold the DuckDB rows`);
  }
}

const contacts = getTable('contacts') as TableDef;

test('discover prints the 33 streams with their keys, replication methods and standard metadata', async () => {
  const result = await singer({ config: configFile, discover: true });
  assert.equal(result.code, 0, result.stderr.text);
  const catalog = JSON.parse(result.stdout.text) as { streams: CatalogStream[] };
  assertValid(validators.singerCatalog, catalog, 'the catalog');
  assert.deepEqual(catalog.streams.map((s) => s.tap_stream_id), TABLES.map((t) => t.name));

  const ajv = createAjv();
  for (const table of TABLES) {
    const stream = catalog.streams.find((s) => s.tap_stream_id === table.name) as CatalogStream;
    ajv.compile(stream.schema);
    assert.deepEqual(stream.key_properties, table.primaryKey);
    assert.deepEqual(Object.keys(stream.schema.properties), table.columns.map((c) => c.name));
    const incremental = table.modes.includes('incremental');
    assert.equal(stream.replication_method, incremental ? 'INCREMENTAL' : 'FULL_TABLE', table.name);
    const root = stream.metadata.find((m) => m.breadcrumb.length === 0)?.metadata ?? {};
    assert.equal(root.selected, true);
    assert.deepEqual(root['table-key-properties'], table.primaryKey);
    assert.equal(root['forced-replication-method'], incremental ? undefined : 'FULL_TABLE', table.name);
    for (const column of table.columns) {
      const property = stream.metadata.find((m) => m.breadcrumb[0] === 'properties' && m.breadcrumb[1] === column.name);
      const key = table.primaryKey.includes(column.name) || column.name === stream.replication_key;
      assert.equal(property?.metadata.inclusion, key ? 'automatic' : 'available', `${table.name}.${column.name}`);
      const type = stream.schema.properties[column.name]?.type;
      if (table.primaryKey.includes(column.name)) assert.equal(typeof type, 'string', `${table.name}.${column.name} is not nullable`);
      else assert.ok(Array.isArray(type) && type.includes('null'), `${table.name}.${column.name} is nullable`);
    }
  }

  const byName = new Map(catalog.streams.map((s) => [s.tap_stream_id, s]));
  assert.equal(byName.get('contacts')?.replication_key, 'udate');
  assert.equal(byName.get('deals')?.replication_key, 'mdate');
  // Child tables follow their parent's update time, which is none of their columns.
  assert.equal(byName.get('contacts_tags')?.replication_key, undefined);
  assert.equal(byName.get('contacts_tags')?.replication_method, 'INCREMENTAL');
  const contactProperties = byName.get('contacts')?.schema.properties ?? {};
  assert.deepEqual(contactProperties.id, { type: 'number', description: 'Contact id' });
  assert.deepEqual(contactProperties.udate, { type: ['null', 'string'], format: 'date-time' });
  assert.deepEqual(contactProperties.bounced_date, { type: ['null', 'string'], format: 'date' });
  assert.deepEqual(contactProperties.email_empty, { type: ['null', 'boolean'] });
  assert.deepEqual(contactProperties.email, { type: ['null', 'string'], description: 'Contact email address' });
});

test('a full run carries the same rows as acsync sync into DuckDB, full streams versioned and activated', async () => {
  const messages = checkedMessages(await singer({ config: configFile }));
  await assertSameAsDuckDb((table) => recordsOf(messages, table.name));

  for (const table of TABLES) {
    const versions = new Set(messages.filter((m) => m.type === 'RECORD' && m.stream === table.name).map((m) => m.version));
    const activations = messages.filter((m) => m.type === 'ACTIVATE_VERSION' && m.stream === table.name);
    // A table read per changed parent (deals_activities) reads its own list in full on its first pass.
    if (table.modes.includes('incremental') && !table.incremental?.perChangedParent) {
      assert.deepEqual([...versions], [undefined], `${table.name}: incremental records carry no version`);
      assert.equal(activations.length, 0);
    } else {
      assert.equal(versions.size, 1, `${table.name}: one version on all records`);
      assert.equal(activations.length, 1);
      assert.equal(activations[0]?.version, [...versions][0]);
      const lastRecord = messages.findLastIndex((m) => m.type === 'RECORD' && m.stream === table.name);
      assert.ok(messages.indexOf(activations[0] as Message) > lastRecord, `${table.name}: activated after its records`);
    }
  }

  const last = messages.at(-1) as Message;
  assert.equal(last.type, 'STATE');
  assert.deepEqual(Object.keys(last.value.bookmarks).sort(), TABLES.map((t) => t.name).sort());
  for (const [name, bookmark] of Object.entries(last.value.bookmarks)) {
    assert.equal(bookmark.inProgress, undefined, `${name} is at rest`);
    assert.equal(bookmark.version, undefined);
  }
  const newest = Math.max(...recordsOf(messages, 'contacts').map((r) => Date.parse(r.udate as string)));
  assert.equal(Date.parse(last.value.bookmarks.contacts?.cursor ?? ''), newest, 'the contacts cursor is the newest udate read');
  assert.equal(last.value.bookmarks.contacts?.mode, 'incremental');
});

test('STATE comes after the records it covers: a run cut after a STATE resumes without losing a row', async () => {
  const messages = checkedMessages(await singer({ config: configFile }, { batchRows: 40 }));
  const contactIds = [...sim.account.records('contacts')].map((c) => Number(c.id));
  const totals = new Map(TABLES.map((t) => [t.name, recordsOf(messages, t.name).length]));

  const seen = new Map<string, number>();
  const seenContacts = new Set<number>();
  let inProgressStates = 0;
  for (const message of messages) {
    if (message.type === 'RECORD') {
      seen.set(message.stream, (seen.get(message.stream) ?? 0) + 1);
      if (message.stream === 'contacts') seenContacts.add(message.record.id as number);
    }
    if (message.type !== 'STATE') continue;
    for (const [name, bookmark] of Object.entries(message.value.bookmarks)) {
      if (bookmark.inProgress) {
        inProgressStates++;
        const lastId = bookmark.inProgress.position.lastId;
        if (name === 'contacts' && lastId !== undefined) {
          for (const id of contactIds.filter((i) => i <= lastId)) assert.ok(seenContacts.has(id), `contact ${id} precedes the STATE at id ${lastId}`);
        }
        const offset = bookmark.inProgress.position.offset;
        const table = getTable(name) as TableDef;
        // A table that takes every row of its endpoint has emitted at least the rows the position skips.
        if (offset !== undefined && !table.source.where && !table.source.rows && !table.source.perParent) {
          assert.ok((seen.get(name) ?? 0) >= offset, `${name}: ${offset} rows consumed, ${seen.get(name) ?? 0} emitted`);
        }
      } else {
        assert.equal(seen.get(name) ?? 0, totals.get(name), `${name}: every record precedes the STATE that ends its pass`);
      }
    }
  }
  assert.ok(inProgressStates >= 10, `the run checkpoints passes in progress (${inProgressStates})`);

  const states = messages.flatMap((m, i) => (m.type === 'STATE' ? [i] : []));
  // The tables sharing the contacts stream resume it together, from the smallest id they all committed.
  const onContacts = TABLES.filter((t) => t.incremental?.endpoint === contacts.source.endpoint).map((t) => t.name);
  const lastIds = (i: number) => onContacts.map((name) => (messages[i] as Message).value.bookmarks[name]?.inProgress?.position.lastId);
  const midContacts = states.find((i) => lastIds(i).every((id) => id !== undefined));
  assert.ok(midContacts !== undefined, 'some STATE holds the contacts stream in progress');

  for (const cut of [midContacts, states[Math.floor(states.length / 2)] as number]) {
    const before = messages.slice(0, cut + 1);
    const bookmarks = (messages[cut] as Message).value.bookmarks;
    const resumed = checkedMessages(await singer({ config: configFile, state: writeJson('state.json', (messages[cut] as Message).value) }));
    await assertSameAsDuckDb((table) => [...recordsOf(before, table.name), ...recordsOf(resumed, table.name)]);

    for (const [name, bookmark] of Object.entries(bookmarks)) {
      if (!bookmark.inProgress) continue;
      if (bookmark.inProgress.mode === 'full') {
        // The resumed pass keeps the table version its first records carry, and activates it.
        assert.equal(typeof bookmark.version, 'number');
        assert.ok(resumed.filter((m) => m.stream === name && m.type === 'RECORD').every((m) => m.version === bookmark.version), name);
        assert.ok(resumed.some((m) => m.type === 'ACTIVATE_VERSION' && m.stream === name && m.version === bookmark.version), name);
      }
    }
    if (cut === midContacts) {
      const lastId = Math.min(...(lastIds(cut) as number[]));
      const again = recordsOf(resumed, 'contacts').map((r) => r.id as number);
      assert.ok(again.length > 0 && again.every((id) => id > lastId), 'contacts resume after the last committed id');
    }
  }
});

test('a second run with the last STATE reads contacts incrementally, and sees what changed', async () => {
  const changing = await startSimulator({ port: 0, contacts: 200, rateLimit: 0 });
  try {
    const config = writeJson('changing.json', { url: changing.url, key: changing.key });
    const first = checkedMessages(await singer({ config }));
    const firstContacts = recordsOf(first, 'contacts');
    assert.equal(firstContacts.length, 200);
    const state = (first.at(-1) as Message).value;

    const applied = changing.mutate(7, 30);
    assert.ok((applied.applied.contacts?.update ?? 0) + (applied.applied.contacts?.insert ?? 0) > 0, 'the mutation changes contacts');
    const second = checkedMessages(await singer({ config, state: writeJson('state.json', state) }));
    const secondIds = new Set(recordsOf(second, 'contacts').map((r) => r.id as number));
    assert.ok(secondIds.size < firstContacts.length / 2, `the second run reads few contacts (${secondIds.size})`);

    const before = new Map(firstContacts.map((r) => [r.id as number, Date.parse(r.udate as string)]));
    const changed = [...changing.account.records('contacts')].filter((c) => {
      const previous = before.get(Number(c.id));
      return previous === undefined || Date.parse(String(c.udate)) > previous;
    });
    assert.ok(changed.length > 0);
    for (const contact of changed) assert.ok(secondIds.has(Number(contact.id)), `changed contact ${String(contact.id)} is read again`);

    // Full streams are read whole again, under a new version.
    const users = getTable('users') as TableDef;
    assert.equal(recordsOf(second, users.name).length, recordsOf(first, users.name).length);
    const version = (messages: Message[]) => messages.find((m) => m.type === 'ACTIVATE_VERSION' && m.stream === users.name)?.version ?? 0;
    assert.ok(version(second) > version(first));
  } finally {
    await changing.close();
  }
});

test('start_date bounds the first incremental pass', async () => {
  const startDate = '2025-01-01T00:00:00Z';
  const config = writeJson('start.json', { api_url: sim.url, api_key: sim.key, start_date: startDate });
  const messages = checkedMessages(await singer({ config }));
  const ids = new Set(recordsOf(messages, 'contacts').map((r) => r.id as number));
  const recent = [...sim.account.records('contacts')].filter((c) => Date.parse(String(c.udate)) >= Date.parse(startDate));
  assert.ok(recent.length > 0 && ids.size < 200, `${ids.size} contacts read`);
  for (const contact of recent) assert.ok(ids.has(Number(contact.id)), `contact ${String(contact.id)} updated after start_date`);
  // Full tables ignore it.
  assert.equal(recordsOf(messages, 'users').length, sim.account.count('users'));
});

test('a catalog selects streams, replication methods and columns', async () => {
  const discovered = await singer({ config: configFile, discover: true });
  const catalog = JSON.parse(discovered.stdout.text) as { streams: CatalogStream[] };
  const wanted: Record<string, string> = { contacts: 'FULL_TABLE', deals: 'INCREMENTAL', users: 'INCREMENTAL' };
  for (const stream of catalog.streams) {
    const root = stream.metadata.find((m) => m.breadcrumb.length === 0)?.metadata ?? {};
    root.selected = stream.tap_stream_id in wanted;
    if (root.selected) root['replication-method'] = wanted[stream.tap_stream_id];
    if (stream.tap_stream_id === 'contacts') {
      for (const entry of stream.metadata) if (['email', 'phone', 'id'].includes(entry.breadcrumb[1] ?? '')) entry.metadata.selected = false;
    }
  }
  const result = await singer({ config: configFile, properties: writeJson('catalog.json', catalog) });
  const messages = checkedMessages(result);

  const schemas = messages.filter((m) => m.type === 'SCHEMA');
  assert.deepEqual(schemas.map((m) => m.stream).sort(), ['contacts', 'deals', 'users']);
  const contactsSchema = schemas.find((m) => m.stream === 'contacts') as Message;
  const contactColumns = Object.keys(contactsSchema.schema.properties);
  assert.ok(!contactColumns.includes('email') && !contactColumns.includes('phone'), 'deselected columns are left out');
  assert.ok(contactColumns.includes('id') && contactColumns.includes('udate'), 'automatic columns stay');
  assert.equal(contactColumns.length, contacts.columns.length - 2);
  for (const record of recordsOf(messages, 'contacts')) assert.deepEqual(Object.keys(record), contactColumns);
  assert.equal(recordsOf(messages, 'contacts').length, 200);

  const activated = messages.filter((m) => m.type === 'ACTIVATE_VERSION').map((m) => m.stream).sort();
  assert.deepEqual(activated, ['contacts', 'users'], 'FULL_TABLE streams are activated; users cannot be INCREMENTAL');
  assert.deepEqual(schemas.find((m) => m.stream === 'deals')?.bookmark_properties, ['mdate']);
  assert.match(result.stderr.text, /users: INCREMENTAL asked.*FULL_TABLE/);
  const bookmarks = (messages.at(-1) as Message).value.bookmarks;
  assert.deepEqual(Object.keys(bookmarks).sort(), ['contacts', 'deals', 'users']);
  assert.equal(bookmarks.contacts?.mode, 'full');
});

test('a slow reader holds the run back instead of filling memory, and still gets every message in order', async () => {
  const catalog = {
    streams: ['contacts', 'contacts_custom_fields_data', 'lists_contacts', 'deals'].map((name) => ({
      tap_stream_id: name,
      metadata: [{ breadcrumb: [], metadata: { selected: true } }],
    })),
  };
  const catalogFile = writeJson('slow.json', catalog);
  const fast = checkedMessages(await singer({ config: configFile, catalog: catalogFile }, { batchRows: 20 }));

  let drains = 0;
  let mostBuffered = 0;
  const chunks: string[] = [];
  const slow = new Writable({
    highWaterMark: 512,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(String(chunk));
      mostBuffered = Math.max(mostBuffered, slow.writableLength);
      setImmediate(done);
    },
  });
  slow.on('drain', () => drains++);
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    const code = await runSinger({ config: configFile, catalog: catalogFile }, { stdout: slow, stderr: new Capture(), requestsPerSecond: 1000, batchRows: 20 });
    assert.equal(code, 0);
  } finally {
    process.off('warning', onWarning);
  }
  const messages = chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Message);
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  assert.ok(drains > 0, 'the run waited for the reader');
  // Without waiting, most of the output would sit in the stream's buffer at once.
  assert.ok(mostBuffered < total / 2, `at most ${mostBuffered} of ${total} bytes waited in the stream's buffer`);
  assert.deepEqual(warnings, []);
  assert.equal(messages.length, fast.length);
  for (const stream of catalog.streams) {
    assert.deepEqual(recordsOf(messages, stream.tap_stream_id), recordsOf(fast, stream.tap_stream_id), stream.tap_stream_id);
  }
});

test('a state file: foreign bookmarks pass through, unusable ones start their stream afresh', () => {
  const warnings: string[] = [];
  const inProgress = { runId: 'r', mode: 'full', stream: '/deals', position: { offset: 100 } };
  const state = parseSingerState(
    {
      bookmarks: {
        contacts: '2024-01-01T00:00:00Z',
        deals: { mode: 'full', inProgress },
        users: { mode: 'full', inProgress: { ...inProgress, stream: '/users' }, version: 1700000000000 },
        tap_other_stream: { replication_key_value: 3 },
      },
    },
    (message) => warnings.push(message),
  );
  assert.equal(state.states.has('contacts'), false);
  assert.match(warnings.join('\n'), /contacts: the bookmark in the state is not one acsync wrote/);
  // A full pass without its version cannot be continued under it: it starts over.
  assert.deepEqual(state.states.get('deals'), { mode: 'full' });
  assert.equal(state.states.get('users')?.inProgress?.position.offset, 100);
  assert.equal(state.versions.get('users'), 1700000000000);
  assert.deepEqual(state.bookmarks.get('tap_other_stream'), { replication_key_value: 3 });
});

test('values: timestamps as RFC 3339 UTC keeping microseconds, dates as calendar days', () => {
  assert.equal(formatTimestamp(0n), '1970-01-01T00:00:00Z');
  assert.equal(formatTimestamp(1_683_801_852_000_000n), '2023-05-11T10:44:12Z');
  assert.equal(formatTimestamp(1_683_801_852_123_000n), '2023-05-11T10:44:12.123Z');
  assert.equal(formatTimestamp(1_683_801_852_123_456n), '2023-05-11T10:44:12.123456Z');
  assert.equal(formatTimestamp(-1n), '1969-12-31T23:59:59.999999Z');
  assert.equal(formatDate(0), '1970-01-01');
  assert.equal(formatDate(19_488), '2023-05-11');
  assert.equal(formatDate(-1), '1969-12-31');
});

test('the CLI writes only protocol messages on stdout and logs on stderr; bad input exits 2', async () => {
  const catalog = {
    streams: ['users', 'pipelines'].map((name) => ({ tap_stream_id: name, metadata: [{ breadcrumb: [], metadata: { selected: true } }] })),
  };
  const ok = await runCli(['singer', '--config', configFile, '--catalog', writeJson('small.json', catalog)]);
  assert.equal(ok.code, 0, ok.stderr);
  const lines = ok.stdout.split('\n').filter((l) => l !== '');
  assert.ok(lines.length > 10);
  for (const line of lines) assertValid(validators.singerMessage, JSON.parse(line), 'a stdout line');
  assert.match(ok.stderr, /users: \d+ rows \(full\)/);
  assert.ok(!ok.stdout.includes(sim.key) && !ok.stderr.includes(sim.key), 'the key is never printed');

  const bad = await runCli(['singer', '--config', writeJson('nokey.json', { url: sim.url })]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /no key/);
});

test('the tables of a shared stream commit together, so a STATE in the middle of it resumes at most one batch back', async () => {
  const larger = await startSimulator({ port: 0, contacts: 1000, rateLimit: 0 });
  try {
    // Batches of 150 rows fill at different pages for contacts (100 a page), their field values and their tags.
    const config = writeJson('larger.json', { url: larger.url, key: larger.key });
    const messages = checkedMessages(await singer({ config }, { batchRows: 150 }));
    const onContacts = TABLES.filter((t) => t.incremental?.endpoint === contacts.source.endpoint).map((t) => t.name);
    const positions = messages
      .filter((m) => m.type === 'STATE')
      .map((m) => onContacts.map((name) => m.value.bookmarks[name]?.inProgress?.position.lastId))
      .filter((ids): ids is number[] => ids.every((id) => id !== undefined));
    assert.ok(positions.length > 5, 'the contacts stream checkpoints in the middle');
    // A resume starts from the smallest position of the stream's tables: they may differ by one page only (the
    // STATEs between the commits of one joint batch), not by a table's own batch schedule.
    for (const ids of positions) assert.ok(Math.max(...ids) - Math.min(...ids) <= 100, `positions ${ids.join(', ')}`);
  } finally {
    await larger.close();
  }
});
