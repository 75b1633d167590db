/**
 * Failures an operator must see at once, and 403s that only count as a missing permission when the answer
 * says so (docs/activecampaign-api.md sections 1, 6 and 7).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { ActiveCampaignClient, type ClientOptions } from '../src/activecampaign/client.js';
import { permissionDenial } from '../src/activecampaign/error-body.js';
import { RequestBudget } from '../src/activecampaign/rate-limiter.js';
import { ApiError } from '../src/core/errors.js';
import { type Handler, json, raw, sequence, startScriptedServer, serverPool } from './activecampaign-helpers.js';

const serve = serverPool();

/** A client with the production retry settings (1 s backoff base, 6 attempts) unless told otherwise. */
function clientAt(baseUrl: string, options: Partial<ClientOptions> = {}): ActiveCampaignClient {
  return new ActiveCampaignClient({ baseUrl, key: 'test-key', budget: new RequestBudget({ requestsPerSecond: 1000 }), ...options });
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => assert.fail('expected the request to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ApiError, `expected ApiError, got ${String(error)}`);
  return error;
}

test('a wrong key on /users/me fails at once: 401 without retry, 403 after one quick retry', async () => {
  const forbidden = await serve(json(403, { message: 'Forbidden' }));
  const started = performance.now();
  const error = await failure(clientAt(forbidden.url).me());
  const elapsed = performance.now() - started;
  assert.equal(error.kind, 'auth');
  assert.match(error.message, /check the URL and key/);
  assert.equal(forbidden.requests.length, 2);
  assert.ok(elapsed < 1000, `took ${elapsed.toFixed(0)} ms`);

  const unauthorized = await serve(json(401, { message: 'Unauthorized' }));
  assert.equal((await failure(clientAt(unauthorized.url).me())).kind, 'auth');
  assert.equal(unauthorized.requests.length, 1);
});

test('an intermittent 403 on /users/me is survived by its one retry', async () => {
  const server = await serve(sequence(json(403, { message: 'Forbidden' }), json(200, { user: { id: '1' } })));
  assert.deepEqual(await clientAt(server.url).me(), { id: '1' });
});

test('a closed port on the first request fails within 2 s, naming host:port and the URL to check', async () => {
  const closed = await startScriptedServer(json(200, {}));
  await closed.close();
  const port = new URL(closed.url).port;
  const started = performance.now();
  const error = await failure(clientAt(closed.url).me());
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);
  assert.equal(error.kind, 'unavailable');
  assert.equal(error.status, undefined);
  assert.equal(error.message, `nothing accepts connections at 127.0.0.1:${port} (connection refused): check the URL (copy it from Settings → Developer)`);
  assert.doesNotMatch(error.message, /\n/);
});

/** A server on a fixed port that can be stopped and started again, as a restarting API would be. */
async function restartable(handler: Handler): Promise<{ url: string; stop(): Promise<void>; start(): Promise<void> }> {
  let server: Server | undefined;
  let port = 0;
  const start = async () => {
    const scripted = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      void handler({ method: 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, at: 0 }, res, req);
    });
    await new Promise<void>((resolve) => scripted.listen(port, '127.0.0.1', resolve));
    port = (scripted.address() as AddressInfo).port;
    server = scripted;
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      server?.closeAllConnections();
      server?.close(() => resolve());
    });
  await start();
  return { url: `http://127.0.0.1:${port}`, stop, start };
}

test('later in a run a refused connection is retried: the server may be restarting', async () => {
  const target = await restartable(json(200, { lists: [] }));
  try {
    const client = clientAt(target.url, { retryBaseMs: 100 });
    await client.get('/lists');
    await target.stop();
    setTimeout(() => void target.start(), 300);
    assert.deepEqual(await client.get('/lists'), { lists: [] });
    assert.ok((client.stats.byStatus.network ?? 0) >= 1, 'at least one refusal was retried');
  } finally {
    await target.stop();
  }
});

test('a refusal that lasts after the first answer ends as unavailable after the attempts', async () => {
  const target = await restartable(json(200, { lists: [] }));
  const client = clientAt(target.url, { retryBaseMs: 5, maxAttempts: 3 });
  await client.get('/lists');
  await target.stop();
  const error = await failure(client.get('/lists'));
  assert.equal(error.kind, 'unavailable');
  assert.match(error.message, /after 3 attempts \(last: connection failed \(ECONNREFUSED\)\)/);
});

test('three bare 403s on a list endpoint are not a missing permission: no advice to grant one', async () => {
  const server = await serve(json(403, { message: 'Forbidden' }));
  const error = await failure(clientAt(server.url, { retryBaseMs: 5 }).get('/lists'));
  assert.equal(error.kind, 'unavailable');
  assert.equal(error.status, 403);
  assert.equal(server.requests.length, 3);
  assert.match(error.message, /refused \/lists 3 times \(last: 403 Forbidden\) without naming a missing permission/);
  assert.doesNotMatch(error.message, /needs a group|grant/);
});

test('an HTML or empty 403 is not a permission answer either', async () => {
  const server = await serve(sequence(raw(403, '<html><body>403 Forbidden</body></html>', { 'content-type': 'text/html' }), raw(403, ''), raw(403, '')));
  const error = await failure(clientAt(server.url, { retryBaseMs: 5 }).get('/deals'));
  assert.equal(error.kind, 'unavailable');
});

test("a 403 that names a permission is one, with the API's own words", async () => {
  const denied = { errors: [{ status: 403, title: 'Forbidden', detail: 'You do not have permission to view lists.' }] };
  const server = await serve(json(403, denied));
  const error = await failure(clientAt(server.url, { retryBaseMs: 5 }).get('/lists'));
  assert.equal(error.kind, 'permission');
  assert.equal(
    error.message,
    "ActiveCampaign denied access to /lists (403 Forbidden: You do not have permission to view lists.); the key's user needs a group with this permission",
  );

  const other = await serve(json(403, { message: "You don't have permission to access this resource" }));
  const second = await failure(clientAt(other.url, { retryBaseMs: 5 }).get('/accounts'));
  assert.equal(second.kind, 'permission');
  assert.match(second.message, /\(403 You don't have permission to access this resource\)/);
});

test('a flaky 403 followed by a permission answer is judged on the last answer', async () => {
  const denied = json(403, { errors: [{ status: 403, title: 'Forbidden', detail: 'You do not have permission to view deals.' }] });
  const server = await serve(sequence(json(403, { message: 'Forbidden' }), json(403, { message: 'Forbidden' }), denied));
  assert.equal((await failure(clientAt(server.url, { retryBaseMs: 5 }).get('/deals'))).kind, 'permission');
});

test('permission answers are recognised by what they say', () => {
  assert.equal(permissionDenial({ message: "You don't have permission to access this resource" }), "You don't have permission to access this resource");
  assert.equal(
    permissionDenial({ errors: [{ status: 403, title: 'Forbidden', detail: 'You do not have permission to view lists.' }] }),
    'You do not have permission to view lists.',
  );
  assert.equal(permissionDenial({ errors: [{ title: 'Insufficient permissions' }] }), 'Insufficient permissions');
  assert.equal(permissionDenial({ message: 'Forbidden' }), undefined);
  assert.equal(permissionDenial({ errors: [{ title: 'Forbidden' }] }), undefined);
  assert.equal(permissionDenial({ message: 'Permissionless' }), undefined);
  assert.equal(permissionDenial(undefined), undefined);
  assert.equal(permissionDenial('You do not have permission'), undefined);
});
