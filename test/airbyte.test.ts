import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TABLES } from '../src/catalog/index.js';
import { runAirbyte, type AirbyteFlags } from '../src/cli/airbyte.js';
import type { TableState } from '../src/core/contract.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { readDuckDbTable, sortByKey } from './support/oracle.js';
import { REPO_ROOT, duckDbCopy, inProcess, runCli, typedRows, type Captured } from './support/protocol-schemas/harness.js';
import { RecordChecker, assertValid, createAjv, validators } from './support/protocol-schemas/index.js';

interface StreamState {
  stream_descriptor: { name: string };
  stream_state: TableState;
}

interface Message {
  type: string;
  record: { stream: string; data: Record<string, unknown>; emitted_at: number };
  state: { type: string; stream: StreamState; sourceStats: { recordCount: number } };
  trace: {
    type: string;
    error?: { message: string; failure_type: string; internal_message?: string; stream_descriptor?: { name: string } };
    stream_status?: { stream_descriptor: { name: string }; status: string };
  };
  log: { level: string; message: string };
  connectionStatus: { status: string; message?: string };
  catalog: { streams: AirbyteStream[] };
  spec: { connectionSpecification: Record<string, unknown> & { properties: Record<string, Record<string, unknown>> } };
}

interface AirbyteStream {
  name: string;
  json_schema: { properties: Record<string, Record<string, unknown>> };
  supported_sync_modes: string[];
  source_defined_cursor?: boolean;
  default_cursor_field?: string[];
  source_defined_primary_key: string[][];
}

let sim: Simulator;
let dir: string;
let configFile: string;
let discovered: AirbyteStream[];
/** The DuckDB copy made by `acsync sync`, started at once and awaited where it is compared. */
let duckDbPath: Promise<string>;

before(async () => {
  sim = await startSimulator({ port: 0, contacts: 200, rateLimit: 0 });
  dir = mkdtempSync(join(tmpdir(), 'acsync-airbyte-'));
  configFile = writeJson('config.json', { url: sim.url, key: sim.key });
  const path = join(dir, 'copy.duckdb');
  duckDbPath = duckDbCopy(sim.url, sim.key, path).then(() => path);
  duckDbPath.catch(() => undefined);
  const discovery = checkedMessages(await airbyte('discover', { config: configFile }));
  discovered = (discovery[0] as Message).catalog.streams;
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

function airbyte(operation: string, flags: AirbyteFlags): Promise<Captured> {
  return inProcess((environment) => runAirbyte(operation, flags, environment));
}

/** Every message checked against the Airbyte protocol schema, and every record against its stream's json_schema. */
function checkedMessages(result: Captured, exitCode = 0): Message[] {
  assert.equal(result.code, exitCode, result.stdout.text.slice(-2000));
  assert.equal(result.stderr.text, '', 'Airbyte reads stdout only');
  const messages = result.stdout.messages() as unknown as Message[];
  const records = new RecordChecker();
  for (const stream of discovered ?? []) records.setSchema(stream.name, stream.json_schema);
  for (const message of messages) {
    assertValid(validators.airbyteMessage, message, `${message.type} message`);
    if (message.type === 'RECORD' && discovered) records.check(message.record.stream, message.record.data);
  }
  return messages;
}

/** A configured catalog: every discovered stream (or those named), each in the given or its last supported mode. */
function configuredCatalog(modes: Record<string, string> = {}, only?: readonly string[]): string {
  const streams = discovered
    .filter((s) => !only || only.includes(s.name))
    .map((stream) => ({
      stream,
      sync_mode: modes[stream.name] ?? stream.supported_sync_modes.at(-1),
      destination_sync_mode: 'append_dedup',
      primary_key: stream.source_defined_primary_key,
      ...(stream.default_cursor_field && { cursor_field: stream.default_cursor_field }),
    }));
  const catalog = { streams };
  assertValid(validators.configuredCatalog, catalog, 'the configured catalog');
  return writeJson('configured.json', catalog);
}

function recordsOf(messages: readonly Message[], stream: string): Record<string, unknown>[] {
  return messages.filter((m) => m.type === 'RECORD' && m.record.stream === stream).map((m) => m.record.data);
}

function lastStates(messages: readonly Message[]): Message['state'][] {
  const byStream = new Map<string, Message['state']>();
  for (const m of messages) if (m.type === 'STATE') byStream.set(m.state.stream.stream_descriptor.name, m.state);
  return [...byStream.values()];
}

test('spec: the connector specification, from the real entrypoint', async () => {
  const result = await runCli(['airbyte', 'spec']);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1);
  const message = JSON.parse(lines[0] as string) as Message;
  assertValid(validators.airbyteMessage, message, 'the SPEC message');
  assert.equal(message.type, 'SPEC');
  const specification = message.spec.connectionSpecification;
  assert.deepEqual(specification.required, ['url', 'key']);
  assert.equal(specification.properties.key?.airbyte_secret, true);
  assert.ok(specification.properties.timezone, 'timezone is a setting');
  const validateConfig = createAjv().compile(specification);
  assert.ok(validateConfig({ url: sim.url, key: sim.key, timezone: 'America/Sao_Paulo' }));
  assert.ok(!validateConfig({ url: sim.url }), 'the key is required');
  assert.ok(!validateConfig({ url: sim.url, key: sim.key, requests_per_second: 10 }), 'at most 5 requests per second');
});

test('check: SUCCEEDED for a readable account; FAILED naming what to fix otherwise', async () => {
  const ok = checkedMessages(await airbyte('check', { config: configFile }));
  assert.equal(ok.length, 1);
  assert.equal(ok[0]?.connectionStatus.status, 'SUCCEEDED');

  const badKey = checkedMessages(await airbyte('check', { config: writeJson('badkey.json', { url: sim.url, key: 'not-the-key' }) }));
  assert.equal(badKey.at(-1)?.connectionStatus.status, 'FAILED');
  assert.ok(!JSON.stringify(badKey).includes('not-the-key'), 'the key is never echoed');

  const noKey = checkedMessages(await airbyte('check', { config: writeJson('nokey.json', { url: sim.url }) }));
  assert.equal(noKey.at(-1)?.connectionStatus.status, 'FAILED');
  assert.match(noKey.at(-1)?.connectionStatus.message ?? '', /no key/);

  // Without the Deals permission, every stream read from an endpoint of the Deals area is denied.
  const denied = await startSimulator({ port: 0, contacts: 50, rateLimit: 0, deny: ['Deals'] });
  try {
    const config = writeJson('denied.json', { url: denied.url, key: denied.key });
    const failed = checkedMessages(await airbyte('check', { config }));
    const status = failed.at(-1)?.connectionStatus;
    assert.equal(status?.status, 'FAILED');
    assert.match(status?.message ?? '', /grant the "Deals" permission \(for contacts_tasks, deals, deals_activities, deals_custom_fields_data, deals_custom_fields_meta, deals_secondary_contacts, deals_tasks, pipelines, pipelines_stages, tasks_outcomes, tasks_types, tasks_types_outcomes\)/);
    assert.match(status?.message ?? '', /cannot read 12 of 33 streams/);
  } finally {
    await denied.close();
  }
});

test('discover: the 33 streams with their sync modes, keys and cursors', () => {
  assert.deepEqual(discovered.map((s) => s.name), TABLES.map((t) => t.name));
  const ajv = createAjv();
  for (const table of TABLES) {
    const stream = discovered.find((s) => s.name === table.name) as AirbyteStream;
    ajv.compile(stream.json_schema);
    assert.deepEqual(stream.source_defined_primary_key, table.primaryKey.map((k) => [k]));
    assert.deepEqual(Object.keys(stream.json_schema.properties), table.columns.map((c) => c.name));
    const incremental = table.modes.includes('incremental');
    assert.deepEqual(stream.supported_sync_modes, incremental ? ['full_refresh', 'incremental'] : ['full_refresh'], table.name);
    assert.equal(stream.source_defined_cursor, incremental ? true : undefined, table.name);
  }
  const byName = new Map(discovered.map((s) => [s.name, s]));
  assert.deepEqual(byName.get('contacts')?.default_cursor_field, ['udate']);
  assert.deepEqual(byName.get('deals')?.default_cursor_field, ['mdate']);
  assert.deepEqual(byName.get('contacts')?.json_schema.properties.udate, {
    type: ['null', 'string'],
    format: 'date-time',
    airbyte_type: 'timestamp_with_timezone',
  });
});

test('read: every stream carries the rows of acsync sync into DuckDB; each STATE follows the records it counts', async () => {
  const messages = checkedMessages(await airbyte('read', { config: configFile, catalog: configuredCatalog() }));
  const path = await duckDbPath;
  for (const table of TABLES) {
    const expected = sortByKey(table, await readDuckDbTable(path, table));
    assert.ok(expected.length > 0, `${table.name} has rows in the DuckDB copy`);
    assert.deepEqual(sortByKey(table, typedRows(table, recordsOf(messages, table.name))), expected, `${table.name}: the records hold the DuckDB rows`);
  }

  const sinceState = new Map<string, number>();
  const statuses = new Map<string, string[]>();
  for (const message of messages) {
    if (message.type === 'RECORD') {
      const name = message.record.stream;
      sinceState.set(name, (sinceState.get(name) ?? 0) + 1);
      assert.equal(statuses.get(name)?.at(-1), 'RUNNING', `${name}: records while the stream runs`);
    } else if (message.type === 'STATE') {
      const name = message.state.stream.stream_descriptor.name;
      assert.equal(message.state.type, 'STREAM');
      assert.equal(message.state.sourceStats.recordCount, sinceState.get(name) ?? 0, `${name}: the STATE counts the records before it`);
      sinceState.set(name, 0);
    } else if (message.type === 'TRACE' && message.trace.stream_status) {
      const { stream_descriptor: descriptor, status } = message.trace.stream_status;
      statuses.set(descriptor.name, [...(statuses.get(descriptor.name) ?? []), status]);
    }
  }
  for (const table of TABLES) {
    assert.equal(sinceState.get(table.name), 0, `${table.name}: no record after its last STATE`);
    assert.deepEqual(statuses.get(table.name), ['STARTED', 'RUNNING', 'COMPLETE'], table.name);
  }
  const final = lastStates(messages);
  assert.equal(final.length, 33);
  for (const state of final) assert.equal(state.stream.stream_state.inProgress, undefined, `${state.stream.stream_descriptor.name} at rest`);
  const contactsState = final.find((s) => s.stream.stream_descriptor.name === 'contacts')?.stream.stream_state;
  assert.equal(contactsState?.mode, 'incremental');
  assert.ok(contactsState?.cursor);
  assert.ok(messages.some((m) => m.type === 'LOG' && m.log.level === 'INFO'));
});

test('read: per-stream state (and a legacy state object) makes the next read incremental', async () => {
  const changing = await startSimulator({ port: 0, contacts: 200, rateLimit: 0 });
  try {
    const config = writeJson('changing.json', { url: changing.url, key: changing.key });
    const catalog = configuredCatalog({}, ['contacts', 'deals', 'users']);
    const first = checkedMessages(await airbyte('read', { config, catalog }));
    assert.equal(recordsOf(first, 'contacts').length, 200);
    changing.mutate(11, 30);

    const states = lastStates(first);
    const second = checkedMessages(await airbyte('read', { config, catalog, state: writeJson('state.json', states) }));
    const contactIds = recordsOf(second, 'contacts').map((r) => r.id);
    assert.ok(contactIds.length > 0 && contactIds.length < 100, `${contactIds.length} contacts read again`);
    assert.equal(recordsOf(second, 'users').length, recordsOf(first, 'users').length, 'full_refresh streams are read whole');

    const legacy = Object.fromEntries(states.map((s) => [s.stream.stream_descriptor.name, s.stream.stream_state]));
    const third = checkedMessages(await airbyte('read', { config, catalog, state: writeJson('legacy.json', legacy) }));
    assert.deepEqual(recordsOf(third, 'contacts').map((r) => r.id), contactIds);
  } finally {
    await changing.close();
  }
});

test('read: a stream in progress resumes from its STATE', async () => {
  const catalog = configuredCatalog({ contacts: 'full_refresh' }, ['contacts']);
  const full = await inProcess((environment) => runAirbyte('read', { config: configFile, catalog }, environment), { batchRows: 50 });
  const messages = checkedMessages(full);
  const cut = messages.findIndex((m) => m.type === 'STATE' && m.state.stream.stream_state.inProgress);
  assert.ok(cut > 0);
  const state = (messages[cut] as Message).state;
  const lastId = state.stream.stream_state.inProgress?.position.lastId as number;
  const resumed = checkedMessages(await airbyte('read', { config: configFile, catalog, state: writeJson('cut.json', [state]) }));
  const ids = recordsOf(resumed, 'contacts').map((r) => r.id as number);
  assert.ok(ids.length > 0 && ids.every((id) => id > lastId), 'the pass continues after the last committed id');
  const before = recordsOf(messages.slice(0, cut), 'contacts').map((r) => r.id as number);
  assert.deepEqual(new Set([...before, ...ids]).size, 200, 'no contact is lost');
});

test('read: columns left out of the configured json_schema are not emitted, keys always are', async () => {
  const stream = discovered.find((s) => s.name === 'users') as AirbyteStream;
  const narrowed = { ...stream, json_schema: { ...stream.json_schema, properties: { email: stream.json_schema.properties.email } } };
  const catalog = writeJson('narrow.json', { streams: [{ stream: narrowed, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' }] });
  const messages = checkedMessages(await airbyte('read', { config: configFile, catalog }));
  const records = recordsOf(messages, 'users');
  assert.equal(records.length, sim.account.count('users'));
  for (const record of records) assert.deepEqual(Object.keys(record), ['id', 'email']);
});

test('read: a stream the key may not read ends in an ERROR trace naming the permission, and a non-zero exit', async () => {
  const denied = await startSimulator({ port: 0, contacts: 50, rateLimit: 0, deny: ['Deals'] });
  try {
    const config = writeJson('denied.json', { url: denied.url, key: denied.key });
    const catalog = configuredCatalog({}, ['deals_activities', 'users']);
    const messages = checkedMessages(await airbyte('read', { config, catalog }), 1);
    const errors = messages.filter((m) => m.type === 'TRACE' && m.trace.type === 'ERROR').map((m) => m.trace.error);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.stream_descriptor?.name, 'deals_activities');
    assert.equal(errors[0]?.failure_type, 'config_error');
    assert.match(errors[0]?.message ?? '', /"Deals" permission/);
    assert.ok(recordsOf(messages, 'users').length > 0, 'the other streams are read');
    const status = messages.filter((m) => m.trace?.stream_status?.stream_descriptor.name === 'deals_activities').map((m) => m.trace.stream_status?.status);
    assert.deepEqual(status, ['STARTED', 'INCOMPLETE']);
  } finally {
    await denied.close();
  }
});

test('errors: bad input is a config_error TRACE and exit 1; a wrong key too, without echoing it', async () => {
  const noCatalog = checkedMessages(await airbyte('read', { config: configFile }), 1);
  assert.equal(noCatalog.length, 1);
  assert.equal(noCatalog[0]?.trace.error?.failure_type, 'config_error');
  assert.match(noCatalog[0]?.trace.error?.message ?? '', /--catalog/);

  const incrementalUsers = writeJson('bad-mode.json', {
    streams: [{ stream: discovered.find((s) => s.name === 'users'), sync_mode: 'incremental', destination_sync_mode: 'append' }],
  });
  const badMode = checkedMessages(await airbyte('read', { config: configFile, catalog: incrementalUsers }), 1);
  assert.match(badMode[0]?.trace.error?.message ?? '', /users cannot be read incrementally/);

  const wrongKey = writeJson('wrong.json', { url: sim.url, key: 'wrong-key-123' });
  const rejected = checkedMessages(await airbyte('read', { config: wrongKey, catalog: configuredCatalog({}, ['users']) }), 1);
  const error = rejected.at(-1)?.trace.error;
  assert.equal(error?.failure_type, 'config_error');
  assert.ok(!JSON.stringify(rejected).includes('wrong-key-123'));

  const unknown = checkedMessages(await airbyte('write', {}), 1);
  assert.match(unknown[0]?.trace.error?.message ?? '', /unknown operation "write"/);
});

test('Dockerfile: a Node 20 image whose entrypoint is the airbyte command, labelled as Airbyte expects', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  assert.ok(froms.length >= 2 && froms.every((f) => f?.startsWith('node:20')), 'a build stage and a runtime stage on Node 20');
  assert.match(dockerfile, new RegExp(`^LABEL io\\.airbyte\\.version=${version.replace(/\./g, '\\.')}$`, 'm'), 'the label matches package.json');
  assert.match(dockerfile, /^LABEL io\.airbyte\.name=\S+$/m);
  const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
  const airbyteEntrypoint = /^ENV AIRBYTE_ENTRYPOINT="(.*)"$/m.exec(dockerfile)?.[1];
  assert.equal(airbyteEntrypoint, entrypoint.join(' '));
  assert.deepEqual(entrypoint.slice(-1), ['airbyte']);
  // The program itself, started through its #! line (which carries its memory settings), not `node <program>`.
  assert.match(entrypoint[0] ?? '', /bin\/acsync\.js$/);
  const dockerignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
  for (const excluded of ['node_modules', 'dist', '.git']) assert.ok(dockerignore.includes(excluded), `.dockerignore leaves out ${excluded}`);
});
