/**
 * The service end to end over HTTP: the API on a port, the database and queue (openService: embedded, and on a
 * real PostgreSQL as with `--queue`), the in-process worker running runConnectorJob, the simulator as the account, a real DuckDB file as the copy and a
 * local webhook receiver. Every response, run log, webhook body and file in the data folder is kept and searched
 * for the key at the end. Every assert.ok carries its message: without one, Node rebuilds it from the source,
 * which hung on this tsx-transformed file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../src/core/errors.js';
import { runConnectorJob } from '../src/service/api/runner.js';
import { startApiServer, type ApiServer } from '../src/service/api/server.js';
import { openService, type Service } from '../src/service/queue/index.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';

const root = mkdtempSync(join(tmpdir(), 'acsync-service-'));
let dir = '';
let dataDir = '';
let postgres: TestPostgres | undefined;
let sim: Simulator;
let service: Service;
let api: ApiServer;
let receiver: Server;
let receiverUrl = '';
/** Everything anyone could read: response bodies, the worker's log lines, webhook bodies. */
let outputs: string[] = [];
let webhooks: { path: string; body: Record<string, unknown> }[] = [];
const TABLES = ['contacts', 'deals', 'deals_custom_fields_data', 'lists', 'users'];

interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
}

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const response = await fetch(api.url + path, {
    method,
    headers: { ...(method !== 'GET' && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  outputs.push(text);
  return { status: response.status, body: JSON.parse(text) as T };
}

type Run = {
  id: string; status: string; kind: string; rows: number; error: string | null; startedAt: string | null; endedAt: string | null;
  tables: { table: string; mode: string; status: string; rows: number; error?: string; notDueUntil?: string }[];
};

/** Polls the run until it has ended (the node:test timeout bounds the wait). */
async function finished(connectorId: string, runId: string): Promise<Run> {
  for (;;) {
    const { body } = await call<Run>('GET', `/api/connectors/${connectorId}/runs/${runId}`);
    if (!['queued', 'running'].includes(body.status)) return body;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function webhook(predicate: (w: { path: string; body: Record<string, unknown> }) => boolean): Promise<{ path: string; body: Record<string, unknown> }> {
  for (;;) {
    const found = webhooks.find(predicate);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

before(async () => {
  sim = await startSimulator({ seed: 11, contacts: 200, rateLimit: 0 });
});

after(async () => {
  await sim?.close();
  rmSync(root, { recursive: true, force: true });
});

/** A fresh service (its database, queue, API, worker) and webhook receiver for one suite. */
async function startService(backend: 'embedded' | 'postgres'): Promise<void> {
  dir = mkdtempSync(join(root, `${backend}-`));
  dataDir = join(dir, 'service');
  outputs = [];
  webhooks = [];
  let failuresLeft = 1;
  receiver = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      outputs.push(text);
      // The first delivery is refused: the next try must get through.
      if (failuresLeft-- > 0) {
        response.writeHead(503).end();
        return;
      }
      webhooks.push({ path: request.url ?? '', body: JSON.parse(text) as Record<string, unknown> });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  postgres = backend === 'postgres' ? await startPostgres() : undefined;
  service = await openService({ dataDir, queue: postgres?.url, timing: { pollSeconds: 0.2, busyRetrySeconds: 0.5, leaseSeconds: 30 } });
  api = await startApiServer({ db: service.db, queue: service.jobs, dataDir, port: 0, host: '127.0.0.1', token: null, webhook: `${receiverUrl}/global`, pollMs: 100 });
  void service.jobs.work(
    runConnectorJob({
      db: service.db,
      box: api.box,
      requestsPerSecond: 100,
      webhookDelivery: { firstDelayMs: 50 },
      log: (level, message) => outputs.push(`${level}: ${message}`),
    }),
  );
}

async function stopService(): Promise<void> {
  await api?.close();
  await service?.close();
  await postgres?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
}

for (const backend of ['embedded', 'postgres'] as const) describe(`the service API (${backend} database)`, () => {
  let connectorId = '';
  before(() => startService(backend));
  after(() => stopService());

  test('the OpenAPI document describes every endpoint and schema', { timeout: 60_000 }, async () => {
    const response = await fetch(`${api.url}/openapi.json`);
    const doc = (await response.json()) as { paths: Record<string, object>; components: { schemas: Record<string, object> } };
    for (const path of ['/api/connectors', '/api/connectors/{id}', '/api/connectors/{id}/test', '/api/connectors/{id}/runs/{runId}/events', '/api/connectors/{id}/tables', '/api/connection-tests']) {
      assert.ok(doc.paths[path], path);
    }
    for (const schema of ['Connector', 'ConnectorCreate', 'Run', 'TestResult', 'Error', 'RefreshEveryHours']) assert.ok(doc.components.schemas[schema], schema);
    const properties = (name: string) => Object.keys((doc.components.schemas[name] as { properties: Record<string, unknown> }).properties);
    for (const schema of ['Connector', 'ConnectorCreate', 'ConnectorUpdate']) assert.ok(properties(schema).includes('refreshEveryHours'), schema);
    assert.ok(properties('RunTable').includes('notDueUntil'), 'RunTable.notDueUntil');
    // ConnectorTable extends CatalogTable: its own properties are in the second part of its allOf.
    const connectorTable = doc.components.schemas.ConnectorTable as { allOf: { properties?: Record<string, unknown> }[] };
    assert.ok(connectorTable.allOf.some((part) => part.properties && 'notDueUntil' in part.properties), 'ConnectorTable.notDueUntil');
  });

  test('testing a key with one permission area denied names the tables, the permission and where to grant it', { timeout: 60_000 }, async () => {
    sim.setBehaviour({ deny: ['Deals'] });
    try {
      const { status, body } = await call<{ ok: boolean; tables: { table: string; readable: boolean; permission: string }[]; grant: { permissions: string[]; where: string } }>(
        'POST', '/api/connection-tests', { url: sim.url, key: sim.key, tables: TABLES.map((name) => ({ name })) },
      );
      assert.equal(status, 200);
      assert.equal(body.ok, false);
      const denied = body.tables.filter((t) => !t.readable).map((t) => t.table).sort();
      assert.deepEqual(denied, ['deals', 'deals_custom_fields_data']);
      assert.ok(body.tables.filter((t) => !t.readable).every((t) => t.permission === 'Deals'), 'the denied tables need Deals');
      assert.deepEqual(body.grant.permissions, ['Deals']);
      assert.match(body.grant.where, /Settings → Users → Groups/);
    } finally {
      sim.setBehaviour({ deny: [] });
    }
  });

  test('bad input is refused with one line and the right status, and nothing is saved', { timeout: 60_000 }, async () => {
    const base = { name: 'bad', url: sim.url, key: sim.key, runNow: false };
    const cases: [unknown, number, RegExp][] = [
      [{ ...base, tables: [{ name: 'lists', mode: 'incremental' }] }, 400, /lists cannot be synced incrementally/],
      [{ ...base, tables: [{ name: 'nope' }] }, 400, /unknown table "nope"/],
      [{ ...base, schedule: { cron: '61 * * * *' } }, 400, /schedule\.cron/],
      [{ ...base, schedule: { everyMinutes: 1 } }, 400, /schedule/],
      [{ ...base, url: 'http://example.com' }, 400, /https:\/\//],
      [{ ...base, destination: 'mysql://x' }, 400, /unsupported destination/],
      [{ ...base, surprise: true }, 400, /surprise|unrecognized/i],
      [{ ...base, webhookUrl: 'file:///etc/passwd' }, 400, /webhookUrl/],
      [{ ...base, webhookUrl: 'http://169.254.169.254/latest/meta-data/' }, 400, /^webhookUrl: 169\.254\.169\.254, a link-local or unspecified address .*: webhooks may not target it$/],
      [{ ...base, webhookUrl: 'http://[::ffff:169.254.169.254]/' }, 400, /^webhookUrl: ::ffff:a9fe:a9fe, a link-local/],
      [{ ...base, webhookUrl: 'https://[fe80::1]:8443/hook' }, 400, /^webhookUrl: fe80::1, a link-local/],
      [{ ...base, webhookUrl: 'http://0.0.0.0:9000/' }, 400, /^webhookUrl: 0\.0\.0\.0, a link-local or unspecified/],
      [{ ...base, refreshEveryHours: 0 }, 400, /^refreshEveryHours: write a number of hours above 0$/],
      [{ ...base, refreshEveryHours: -24 }, 400, /^refreshEveryHours: write a number of hours above 0$/],
      [{ ...base, refreshEveryHours: { lists: 0 } }, 400, /^refreshEveryHours\.lists: write a number of hours above 0$/],
      [{ ...base, refreshEveryHours: '24' }, 400, /^refreshEveryHours: write a number of hours, or an object of table name → hours$/],
      [{ ...base, refreshEveryHours: { nope: 24 } }, 400, /^unknown table "nope" in refreshEveryHours; GET \/api\/catalog lists the \d+ tables$/],
      [{ ...base, refreshEveryHours: { contacts: 24 } }, 400, /^contacts is read incrementally, so a refresh interval does not apply to it; set its mode to full \(tables: /],
    ];
    for (const [input, status, message] of cases) {
      const reply = await call<{ error: string }>('POST', '/api/connectors', input);
      assert.equal(reply.status, status, JSON.stringify(input));
      assert.match(reply.body.error, message);
      assert.ok(!reply.body.error.includes('\n'), 'one line');
    }
    const notJson = await fetch(`${api.url}/api/connectors`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(base) });
    assert.equal(notJson.status, 415);
    const crossSite = await call<{ error: string }>('POST', '/api/connectors', base, { 'sec-fetch-site': 'cross-site' });
    assert.equal(crossSite.status, 403);
    const foreign = await call<{ error: string }>('POST', '/api/connectors', base, { origin: 'https://evil.example' });
    assert.equal(foreign.status, 403);
    assert.equal((await call('GET', '/api/connectors/c_missing')).status, 404);
    const list = await call<unknown[]>('GET', '/api/connectors');
    assert.deepEqual(list.body, []);
  });

  test('a saved connector shows its key masked, and its first run starts at once and finishes with its rows', { timeout: 60_000 }, async () => {
    const created = await call<{ id: string; key: string; tables: { name: string; mode: string }[]; lastRun: Run | null }>('POST', '/api/connectors', {
      name: 'demo account',
      url: sim.url,
      key: sim.key,
      tables: TABLES.map((name) => ({ name })),
      schedule: { everyHours: 6 },
      webhookUrl: `${receiverUrl}/connector`,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    connectorId = created.body.id;
    assert.equal(created.body.key, `••••${sim.key.slice(-4)}`);
    assert.deepEqual(created.body.tables.find((t) => t.name === 'contacts'), { name: 'contacts', mode: 'incremental' });
    assert.ok(created.body.lastRun, 'the first run is queued');
    const run = await finished(connectorId, created.body.lastRun.id);
    assert.equal(run.status, 'success', run.error ?? '');
    const byTable = new Map(run.tables.map((t) => [t.table, t]));
    assert.equal(byTable.get('contacts')?.rows, sim.account.count('contacts'));
    assert.equal(byTable.get('users')?.rows, sim.account.count('users'));

    const logs = await call<{ message: string }[]>('GET', `/api/connectors/${connectorId}/runs/${run.id}/logs`);
    assert.ok(logs.body.some((l) => l.message === `contacts: ${sim.account.count('contacts')} rows (incremental)`), JSON.stringify(logs.body));
    const tables = await call<{ name: string; rows: number | null; columns: unknown[]; relations: unknown[] }[]>('GET', `/api/connectors/${connectorId}/tables`);
    const contacts = tables.body.find((t) => t.name === 'contacts');
    assert.equal(contacts?.rows, sim.account.count('contacts'));
    assert.ok((contacts?.columns.length ?? 0) > 10, 'contacts lists its columns');
    assert.ok((tables.body.find((t) => t.name === 'deals')?.relations.length ?? 0) > 0, 'deals lists its relations');

    const metadata = await call<{ error: string }>('PATCH', `/api/connectors/${connectorId}`, { webhookUrl: 'http://169.254.169.254/' });
    assert.equal(metadata.status, 400);
    assert.match(metadata.body.error, /^webhookUrl: 169\.254\.169\.254, a link-local/);
    // Shown without its path (a chat webhook's path is its credential); sent back as shown, the saved URL stays:
    // the failing run's notification below still reaches /connector.
    const kept = await call<{ webhookUrl: string }>('GET', `/api/connectors/${connectorId}`);
    assert.equal(kept.body.webhookUrl, `${receiverUrl}/…`);
    assert.ok(!JSON.stringify(kept.body).includes(`${receiverUrl}/connector`), 'the path is not shown');
    const resent = await call<{ webhookUrl: string }>('PATCH', `/api/connectors/${connectorId}`, { webhookUrl: kept.body.webhookUrl });
    assert.equal(resent.status, 200, JSON.stringify(resent.body));
    assert.equal(resent.body.webhookUrl, `${receiverUrl}/…`);
  });

  test('run now streams its log lines and progress as server-sent events until it ends', { timeout: 60_000 }, async () => {
    const queued = await call<Run>('POST', `/api/connectors/${connectorId}/runs`, {});
    assert.equal(queued.status, 202);
    const response = await fetch(`${api.url}/api/connectors/${connectorId}/runs/${queued.body.id}/events`);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const text = await response.text();
    outputs.push(text);
    const events = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    assert.ok(events.includes('log'), 'log events arrive');
    assert.equal(events.at(-1), 'end');
    const end = JSON.parse(/event: end\ndata: (.*)$/m.exec(text)?.[1] ?? 'null') as Run;
    assert.equal(end.status, 'success');
    assert.equal(end.kind, 'manual');
  });

  test('a failing run notifies both webhooks, retried past a refusal; the next good run notifies the recovery', { timeout: 60_000 }, async () => {
    const wrong = await call('PATCH', `/api/connectors/${connectorId}`, { key: 'wrong-key-0000000000000000000000000000000000000000000000000000000000' });
    assert.equal(wrong.status, 200);
    assert.equal((await call('POST', `/api/connectors/${connectorId}/test`)).status, 422);
    const failing = await call<Run>('POST', `/api/connectors/${connectorId}/runs`, {});
    const failed = await finished(connectorId, failing.body.id);
    assert.equal(failed.status, 'failed');
    assert.ok(failed.error, 'the failed run says why');
    for (const path of ['/connector', '/global']) {
      const hook = await webhook((w) => w.path === path && w.body.event === 'run.failed');
      assert.equal((hook.body.run as { id: string }).id, failing.body.id);
      assert.equal((hook.body.connector as { id: string }).id, connectorId);
    }

    assert.equal((await call('PATCH', `/api/connectors/${connectorId}`, { key: sim.key })).status, 200);
    const good = await call<Run>('POST', `/api/connectors/${connectorId}/runs`, {});
    assert.equal((await finished(connectorId, good.body.id)).status, 'success');
    for (const path of ['/connector', '/global']) {
      const hook = await webhook((w) => w.path === path && w.body.event === 'connector.recovered');
      assert.equal((hook.body.run as { id: string }).id, good.body.id);
    }
  });

  test('a run with one area denied ends partial and says so; a full refresh reads every table whole', { timeout: 60_000 }, async () => {
    sim.setBehaviour({ deny: ['Lists'] });
    let partial: Run;
    try {
      const queued = await call<Run>('POST', `/api/connectors/${connectorId}/runs`, {});
      partial = await finished(connectorId, queued.body.id);
    } finally {
      sim.setBehaviour({ deny: [] });
    }
    assert.equal(partial.status, 'partial', JSON.stringify(partial));
    assert.equal(partial.tables.find((t) => t.table === 'lists')?.status, 'skipped');
    await webhook((w) => w.path === '/connector' && w.body.event === 'run.partial');

    const refresh = await call<Run>('POST', `/api/connectors/${connectorId}/runs`, { fullRefresh: true });
    assert.equal(refresh.body.kind, 'full_refresh');
    const done = await finished(connectorId, refresh.body.id);
    assert.equal(done.status, 'success');
    assert.ok(done.tables.every((t) => t.mode === 'full'), JSON.stringify(done.tables.map((t) => t.mode)));
  });

  test('cancel stops a running run, which is recorded as cancelled', { timeout: 60_000 }, async () => {
    // One request a second against a worker asking a hundred: the run crawls, so it is caught running.
    sim.setBehaviour({ rateLimit: 1 });
    try {
      const queued = await call<Run>('POST', `/api/connectors/${connectorId}/runs`, { fullRefresh: true });
      for (;;) {
        const { body } = await call<Run>('GET', `/api/connectors/${connectorId}/runs/${queued.body.id}`);
        if (body.status === 'running') break;
        assert.equal(body.status, 'queued');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const cancelled = await call<Run>('POST', `/api/connectors/${connectorId}/runs/${queued.body.id}/cancel`);
      assert.equal(cancelled.status, 200);
      assert.equal((await finished(connectorId, queued.body.id)).status, 'cancelled');
      const again = await call<{ error: string }>('POST', `/api/connectors/${connectorId}/runs/${queued.body.id}/cancel`);
      assert.equal(again.status, 409);
    } finally {
      sim.setBehaviour({ rateLimit: 0 });
    }
  });

  test('pause, resume and delete; the copy stays at its destination', { timeout: 60_000 }, async () => {
    assert.equal((await call<{ paused: boolean }>('POST', `/api/connectors/${connectorId}/pause`)).body.paused, true);
    assert.equal((await call<{ paused: boolean }>('POST', `/api/connectors/${connectorId}/resume`)).body.paused, false);
    const runs = await call<Run[]>('GET', `/api/connectors/${connectorId}/runs`);
    assert.equal(runs.body.length, 7, 'every run so far is listed');
    const deleted = await call<{ destination: string }>('DELETE', `/api/connectors/${connectorId}`);
    assert.equal(deleted.status, 200);
    assert.ok(existsSync(deleted.body.destination.replace(/^duckdb:/, '')));
    assert.equal((await call('GET', `/api/connectors/${connectorId}`)).status, 404);
  });

  test('a refresh interval leaves tables read whole out of the next run: not due, no request, and the run a success', { timeout: 60_000 }, async () => {
    const created = await call<{ id: string; refreshEveryHours: unknown; lastRun: Run | null }>('POST', '/api/connectors', {
      name: 'hourly account',
      url: sim.url,
      key: sim.key,
      tables: TABLES.map((name) => ({ name })),
      schedule: { everyHours: 1 },
      refreshEveryHours: 24,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    assert.equal(created.body.refreshEveryHours, 24);
    assert.ok(created.body.lastRun, 'the first run is queued');
    const first = await finished(id, created.body.lastRun.id);
    assert.equal(first.status, 'success', first.error ?? '');
    assert.ok(first.tables.every((t) => t.status === 'success' && t.notDueUntil === undefined), 'never read: every table is read now');

    // lists and users are read only whole; contacts, deals and deals_custom_fields_data incrementally, so on every run.
    const before = sim.stats().byPath;
    const queued = await call<Run>('POST', `/api/connectors/${id}/runs`, {});
    await finished(id, queued.body.id);
    const after = sim.stats().byPath;
    const requests = (path: string) => (after[path] ?? 0) - (before[path] ?? 0);
    const second = await call<Run>('GET', `/api/connectors/${id}/runs/${queued.body.id}`);
    assert.equal(second.body.status, 'success', JSON.stringify(second.body));
    assert.equal(second.body.error, null);
    const byTable = new Map(second.body.tables.map((t) => [t.table, t]));
    const day = 24 * 3_600_000;
    for (const name of ['lists', 'users']) {
      const table = byTable.get(name);
      assert.ok(table?.notDueUntil, `${name} is not due: ${JSON.stringify(table)}`);
      assert.equal(table.error, undefined, `${name} did not fail`);
      assert.equal(table.rows, 0);
      const due = Date.parse(table.notDueUntil);
      const [from, to] = [Date.parse(first.startedAt ?? ''), Date.parse(first.endedAt ?? '')];
      assert.ok(due >= from + day && due <= to + day, `${name} falls due 24 h after its full pass in the first run: ${table.notDueUntil}`);
      assert.equal(requests(`/api/3/${name}`), 0, `no request read ${name}`);
    }
    assert.ok(requests('/api/3/contacts') > 0, 'contacts are read');
    for (const name of ['contacts', 'deals', 'deals_custom_fields_data']) {
      assert.equal(byTable.get(name)?.status, 'success', name);
      assert.equal(byTable.get(name)?.notDueUntil, undefined, name);
    }
    const logs = await call<{ level: string; message: string }[]>('GET', `/api/connectors/${id}/runs/${queued.body.id}/logs`);
    assert.ok(logs.body.some((l) => l.level === 'info' && /^lists: not read: its last full pass .* younger than its refresh interval \(24 h\)/.test(l.message)), JSON.stringify(logs.body));
    assert.ok(!logs.body.some((l) => l.level !== 'info'), 'not due is no warning');

    // Patchable, and checked against the tables' modes after the patch.
    const perTable = await call<{ refreshEveryHours: unknown }>('PATCH', `/api/connectors/${id}`, { refreshEveryHours: { lists: 6 } });
    assert.equal(perTable.status, 200, JSON.stringify(perTable.body));
    assert.deepEqual((await call<{ refreshEveryHours: unknown }>('GET', `/api/connectors/${id}`)).body.refreshEveryHours, { lists: 6 });
    const contactsFull = TABLES.map((name) => ({ name, ...(name === 'contacts' && { mode: 'full' }) }));
    const both = await call<{ refreshEveryHours: unknown }>('PATCH', `/api/connectors/${id}`, { tables: contactsFull, refreshEveryHours: { contacts: 2 } });
    assert.equal(both.status, 200, JSON.stringify(both.body));
    const backToIncremental = await call<{ error: string }>('PATCH', `/api/connectors/${id}`, { tables: TABLES.map((name) => ({ name })) });
    assert.equal(backToIncremental.status, 400);
    assert.match(backToIncremental.body.error, /^contacts is read incrementally, so a refresh interval does not apply to it/);
    assert.deepEqual((await call<{ refreshEveryHours: unknown }>('GET', `/api/connectors/${id}`)).body.refreshEveryHours, { contacts: 2 }, 'a refused patch changes nothing');
    const cleared = await call<{ refreshEveryHours: unknown }>('PATCH', `/api/connectors/${id}`, { refreshEveryHours: null });
    assert.equal(cleared.body.refreshEveryHours, null);
    assert.equal((await call('DELETE', `/api/connectors/${id}`)).status, 200);
  });

  test('beyond loopback the API needs a bearer token, and then refuses requests without it', { timeout: 60_000 }, async () => {
    await assert.rejects(
      startApiServer({ db: service.db, queue: service.jobs, dataDir, port: 0, host: '0.0.0.0', token: null }),
      ConfigError,
    );
    const token = 'a-long-enough-test-token-0123456789';
    const guarded = await startApiServer({ db: service.db, queue: service.jobs, dataDir, port: 0, host: '127.0.0.1', token });
    try {
      assert.equal((await fetch(`${guarded.url}/api/connectors`)).status, 401);
      assert.equal((await fetch(`${guarded.url}/api/connectors`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
      assert.equal((await fetch(`${guarded.url}/api/connectors`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    } finally {
      await guarded.close();
    }
  });

  test('the key appears in no response, log line, webhook body or file but its sealed store', { timeout: 60_000 }, async () => {
    assert.ok(outputs.length > 50, 'outputs were collected');
    for (const text of outputs) assert.ok(!text.includes(sim.key), text.slice(0, 200));
    const key = Buffer.from(sim.key);
    const files = filesUnder(dir);
    assert.ok(files.some((f) => f.endsWith('.duckdb')) && files.some((f) => f.endsWith('master.key')), 'the copy and the master key are searched too');
    for (const file of files) assert.ok(!readFileSync(file).includes(key), file);
    assert.equal(statSync(join(dataDir, 'master.key')).mode & 0o777, 0o600);
  });
});
