import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { ActiveCampaignClient, type ClientEvent, type ClientOptions, parseRetryAfter } from '../src/activecampaign/client.js';
import { errorMessageFromBody } from '../src/activecampaign/error-body.js';
import { ApiError, ConfigError } from '../src/core/errors.js';
import { RequestBudget } from '../src/activecampaign/rate-limiter.js';
import { USER_AGENT } from '../src/core/version.js';
import { type Handler, json, raw, reset, type ScriptedServer, sequence, startScriptedServer, serverPool } from './activecampaign-helpers.js';

const KEY = 'k3y-0123456789abcdef-SECRET';
const serve = serverPool();

function clientFor(server: ScriptedServer, options: Partial<ClientOptions> = {}) {
  const events: ClientEvent[] = [];
  const client = new ActiveCampaignClient({
    baseUrl: server.url,
    key: KEY,
    budget: new RequestBudget({ requestsPerSecond: 1000 }),
    retryBaseMs: 5,
    timeoutMs: 2000,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { client, events };
}

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApiError, `expected ApiError, got ${String(error)}`);
    assert.ok(!error.message.includes(KEY), 'the key leaked into an error message');
    return error;
  }
  assert.fail('expected the request to fail');
}

const ok = json(200, { lists: [{ id: '1' }], meta: { total: '1' } });

test('GET goes to <base>/api/3<path> with the key, Accept and User-Agent headers and the params', async () => {
  const server = await serve(ok);
  const { client, events } = clientFor(server, { baseUrl: `${server.url}/api/3/` });
  const body = await client.get('/lists', { 'filters[name]': 'Customers & co', limit: '100', offset: '0' });
  assert.deepEqual(body, { lists: [{ id: '1' }], meta: { total: '1' } });
  const [seen] = server.requests;
  assert.ok(seen);
  assert.equal(seen.method, 'GET');
  assert.equal(seen.path, '/api/3/lists');
  assert.equal(seen.query.get('filters[name]'), 'Customers & co');
  assert.equal(seen.query.get('limit'), '100');
  assert.equal(seen.headers['api-token'], KEY);
  assert.equal(seen.headers.accept, 'application/json');
  assert.equal(seen.headers['user-agent'], USER_AGENT);
  assert.match(USER_AGENT, /^acsync\/\d+\.\d+\.\d+/);
  assert.equal(events.length, 1);
  assert.equal(events[0]?.type, 'request');
  assert.deepEqual(client.stats, { requests: 1, retries: 0, throttled: 0, byStatus: { '200': 1 } });
});

test('429: waits Retry-After, pauses the shared budget, then succeeds', async () => {
  const server = await serve(sequence(json(429, {}, { 'retry-after': '1', 'ratelimit-limit': '5', 'ratelimit-remaining': '0' }), ok));
  const budget = new RequestBudget({ requestsPerSecond: 1000 });
  const { client, events } = clientFor(server, { budget });
  const started = performance.now();
  const throttledRequest = client.get('/lists');
  // Once the 429 is in, nobody else on the budget may start before the Retry-After has passed.
  while (client.stats.throttled === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const otherWait = (async () => {
    const release = await budget.acquire();
    release();
    return performance.now() - started;
  })();
  assert.deepEqual(await throttledRequest, { lists: [{ id: '1' }], meta: { total: '1' } });
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 1000 && elapsed < 2500, `retried after ${elapsed.toFixed(0)} ms for Retry-After: 1`);
  assert.ok((await otherWait) >= 950, 'the budget was paused for everyone');
  assert.deepEqual(
    events.filter((e) => e.type === 'throttled'),
    [{ type: 'throttled', path: '/lists', retryAfterMs: 1000 }],
  );
  const retry = events.find((e) => e.type === 'retry');
  assert.ok(retry && retry.type === 'retry');
  assert.equal(retry.attempt, 1);
  assert.match(retry.reason, /^429 Too Many Requests/);
  assert.ok(retry.delayMs >= 1000 && retry.delayMs <= 1005, `delay ${retry.delayMs} = Retry-After + jitter below retryBaseMs`);
  assert.equal(client.stats.throttled, 1);
  assert.equal(client.stats.retries, 1);
  assert.deepEqual(client.stats.byStatus, { '200': 1, '429': 1 });
});

test('429: a Retry-After beyond maxWaitMs is not cut: the request ends as throttled with the time to retry', async () => {
  const server = await serve(json(429, {}, { 'retry-after': '3600' }));
  const { client, events } = clientFor(server);
  const started = performance.now();
  const before = Date.now();
  const error = await apiError(client.get('/lists'));
  assert.ok(performance.now() - started < 1000, 'no waiting, no retries');
  assert.equal(error.kind, 'throttled');
  assert.equal(error.status, 429);
  assert.equal(error.path, '/lists');
  assert.ok(error.retryAt !== undefined && error.retryAt >= before + 3_600_000 && error.retryAt <= Date.now() + 3_600_000);
  assert.match(error.message, /asked to wait 60 min/);
  assert.match(error.message, /more than the 10 min acsync waits/);
  assert.match(error.message, new RegExp(`retry after ${new Date(error.retryAt).toISOString().slice(0, 16)}`));
  assert.equal(server.requests.length, 1);
  assert.deepEqual(events.filter((e) => e.type === 'throttled'), [{ type: 'throttled', path: '/lists', retryAfterMs: 3_600_000 }]);
  assert.equal(client.stats.throttled, 1);

  // Until then, the client refuses every request at once, without asking the API.
  const next = await apiError(client.get('/deals'));
  assert.equal(next.kind, 'throttled');
  assert.equal(next.path, '/deals');
  assert.equal(next.retryAt, error.retryAt);
  assert.equal(server.requests.length, 1);
});

test('429 without Retry-After waits the backoff ceiling, doubling, and pauses the budget for it', async () => {
  const server = await serve(sequence(raw(429, ''), raw(429, ''), ok));
  const { client, events } = clientFor(server, { retryBaseMs: 40 });
  const started = performance.now();
  await client.get('/lists');
  const elapsed = performance.now() - started;
  assert.deepEqual(
    events.flatMap((e) => (e.type === 'throttled' ? [e.retryAfterMs] : [])),
    [40, 80],
  );
  assert.ok(elapsed >= 120 && elapsed < 2000, `two waits took ${elapsed.toFixed(0)} ms`);
});

test('503 with an HTML page is retried with backoff, then the JSON answer is returned', async () => {
  const server = await serve(
    sequence(raw(503, '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>', { 'content-type': 'text/html' }), ok),
  );
  const { client, events } = clientFor(server);
  await client.get('/lists');
  assert.equal(server.requests.length, 2);
  const retry = events.find((e) => e.type === 'retry');
  assert.ok(retry && retry.type === 'retry');
  assert.equal(retry.reason, '503 Service Unavailable');
  assert.ok(retry.delayMs >= 0 && retry.delayMs <= 5, 'first backoff is at most retryBaseMs');
});

test('500, 502 and 504 are retried too', async () => {
  const server = await serve(sequence(json(500, { message: 'boom' }), raw(502, ''), raw(504, 'Gateway Timeout'), ok));
  const { client, events } = clientFor(server);
  await client.get('/lists');
  assert.deepEqual(
    events.filter((e) => e.type === 'retry').map((e) => (e.type === 'retry' ? e.reason : '')),
    ['500 boom', '502 Bad Gateway', '504 Gateway Timeout'],
  );
});

test('a 200 with truncated JSON, an empty body or an HTML page is retried as a bad response', async () => {
  const server = await serve(
    sequence(
      raw(200, '{"lists": [{"id": "1"', { 'content-type': 'application/json' }),
      raw(200, ''),
      raw(200, '<!DOCTYPE html><html></html>', { 'content-type': 'text/html; charset=utf-8' }),
      raw(200, '["not", "an", "object"]'),
      ok,
    ),
  );
  const { client, events } = clientFor(server);
  assert.deepEqual(await client.get('/lists'), { lists: [{ id: '1' }], meta: { total: '1' } });
  assert.deepEqual(
    events.filter((e) => e.type === 'retry').map((e) => (e.type === 'retry' ? e.reason : '')),
    ['200 with invalid or truncated JSON', '200 with an empty body', '200 with an HTML page instead of JSON', '200 with JSON that is not an object'],
  );
});

test('a body cut off by the server closing mid-response is retried', async () => {
  const server = await serve(
    sequence((_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"lists": [');
      setTimeout(() => res.socket?.destroy(), 10);
    }, ok),
  );
  const { client, events } = clientFor(server);
  await client.get('/lists');
  assert.equal(server.requests.length, 2);
  const retry = events.find((e) => e.type === 'retry');
  assert.ok(retry && retry.type === 'retry');
  assert.match(retry.reason, /connection failed/);
});

test('a connection reset before any answer is retried', async () => {
  const server = await serve(sequence(reset, reset, ok));
  const { client, events } = clientFor(server);
  await client.get('/lists');
  assert.equal(server.requests.length, 3);
  assert.equal(events.filter((e) => e.type === 'retry').length, 2);
  assert.equal(client.stats.byStatus.network, 2);
});

test('a response slower than timeoutMs is abandoned and retried', async () => {
  const server = await serve(
    sequence(
      (_request, res) => {
        setTimeout(() => {
          if (!res.destroyed) json(200, { lists: [] })(_request, res, undefined as never);
        }, 600);
      },
      (_request, res) => {
        // Headers at once, body stalls: the timeout covers the body as well.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"lists": [');
      },
      ok,
    ),
  );
  const { client, events } = clientFor(server, { timeoutMs: 100 });
  const started = performance.now();
  await client.get('/lists');
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 200 && elapsed < 1500, `two 100 ms timeouts took ${elapsed.toFixed(0)} ms`);
  assert.deepEqual(
    events.filter((e) => e.type === 'retry').map((e) => (e.type === 'retry' ? e.reason : '')),
    ['no complete answer within 100 ms', 'no complete answer within 100 ms'],
  );
  assert.equal(client.stats.byStatus.timeout, 2);
});

test('a redirect is not followed: ApiError redirect saying the URL probably is wrong', async () => {
  const server = await serve(raw(301, '', { location: 'https://www.activecampaign.com/login' }));
  const { client } = clientFor(server);
  const error = await apiError(client.get('/lists'));
  assert.equal(error.kind, 'redirect');
  assert.equal(error.status, 301);
  assert.equal(error.path, '/lists');
  assert.match(error.message, /URL probably is wrong/);
  assert.match(error.message, /www\.activecampaign\.com\/login/);
  assert.equal(server.requests.length, 1);
});

test('401 fails at once as auth', async () => {
  const server = await serve(json(401, { message: 'Unauthorized' }));
  const { client } = clientFor(server);
  const error = await apiError(client.get('/lists'));
  assert.equal(error.kind, 'auth');
  assert.equal(error.status, 401);
  assert.match(error.message, /401 Unauthorized/);
  assert.match(error.message, /Settings → Developer/);
  assert.equal(server.requests.length, 1);
});

test('403 twice then 200 succeeds: intermittent 403s are retried', async () => {
  const server = await serve(sequence(json(403, { message: 'Forbidden' }), json(403, { message: 'Forbidden' }), ok));
  const { client } = clientFor(server);
  await client.get('/lists');
  assert.equal(server.requests.length, 3);
});

test('a third 403 fails as permission, with the API message', async () => {
  const denied = { errors: [{ status: 403, title: 'Forbidden', detail: 'You do not have permission to view lists.' }] };
  const server = await serve(json(403, denied));
  const { client } = clientFor(server);
  const error = await apiError(client.get('/lists'));
  assert.equal(error.kind, 'permission');
  assert.equal(error.status, 403);
  assert.match(error.message, /403 Forbidden/);
  assert.equal(server.requests.length, 3);
});

test('400 and 422 fail at once as bad_request, 404 as not_found, with the body message', async () => {
  const server = await serve((request, res, req) => {
    if (request.path.endsWith('/a')) return json(400, {})(request, res, req);
    if (request.path.endsWith('/b')) {
      return json(422, { errors: [{ title: 'The account name was not provided.', detail: '', code: 'field_missing' }] })(request, res, req);
    }
    return json(404, { message: 'No Result found for Subscriber with id 1099' })(request, res, req);
  });
  const { client } = clientFor(server);
  const badRequest = await apiError(client.get('/a'));
  assert.equal(badRequest.kind, 'bad_request');
  assert.match(badRequest.message, /400 Bad Request/);
  const invalid = await apiError(client.get('/b'));
  assert.equal(invalid.kind, 'bad_request');
  assert.match(invalid.message, /422 The account name was not provided\./);
  const missing = await apiError(client.get('/contacts/1099/notes'));
  assert.equal(missing.kind, 'not_found');
  assert.equal(missing.path, '/contacts/1099/notes');
  assert.match(missing.message, /No Result found for Subscriber with id 1099/);
  assert.equal(server.requests.length, 3);
});

test('attempts are capped: then ApiError unavailable with the last reason', async () => {
  const server = await serve(raw(503, ''));
  const { client, events } = clientFor(server, { maxAttempts: 4, retryBaseMs: 8 });
  const error = await apiError(client.get('/deals'));
  assert.equal(error.kind, 'unavailable');
  assert.equal(error.status, 503);
  assert.match(error.message, /after 4 attempts \(last: 503 Service Unavailable\)/);
  assert.equal(server.requests.length, 4);
  const delays = events.flatMap((e) => (e.type === 'retry' ? [e.delayMs] : []));
  assert.equal(delays.length, 3);
  delays.forEach((delay, index) => assert.ok(delay <= 8 * 2 ** index, `retry ${index + 1} waited ${delay} ms`));
  assert.equal(client.stats.retries, 3);
});

test('a body that never parses ends as bad_response; a refused connection as unavailable', async () => {
  const server = await serve(raw(200, '{"deals": ['));
  const { client } = clientFor(server, { maxAttempts: 3 });
  const error = await apiError(client.get('/deals'));
  assert.equal(error.kind, 'bad_response');
  assert.match(error.message, /after 3 attempts \(last: 200 with invalid or truncated JSON\)/);

  const closed = await startScriptedServer(ok);
  await closed.close();
  const { client: nowhere } = clientFor(closed, { maxAttempts: 2 });
  const refused = await apiError(nowhere.get('/deals'));
  assert.equal(refused.kind, 'unavailable');
  assert.equal(refused.status, undefined);
  assert.match(refused.message, /connection refused/);
});

test('the key appears in no error message and no event, even when the server echoes it', async () => {
  const echo: Handler = (request, res, req) => {
    const key = String(request.headers['api-token']);
    const status = Number(request.query.get('status'));
    json(status, { message: `key ${key} is not valid here` }, { location: `https://elsewhere.example/?key=${key}` })(request, res, req);
  };
  const server = await serve(echo);
  // A 429 does not use up attempts: the wait ceiling ends it (as throttled).
  const { client, events } = clientFor(server, { maxAttempts: 2, maxWaitMs: 50 });
  for (const status of [301, 401, 403, 404, 400, 500, 429]) {
    const error = await apiError(client.get('/lists', { status: String(status) }));
    assert.match(error.message, /\[key\]/, `status ${status}: the echoed key is masked`);
  }
  for (const event of events) assert.ok(!JSON.stringify(event).includes(KEY), `event leaked the key: ${JSON.stringify(event)}`);
  assert.ok(events.some((e) => e.type === 'retry'));
});

test('me() returns body.user; 401 and 403 there mean a bad key', async () => {
  const user = { id: '1', username: 'mlima', email: 'marta@acme.example' };
  const good = await serve(json(200, { user }));
  assert.deepEqual(await clientFor(good).client.me(), user);
  assert.equal(good.requests[0]?.path, '/api/3/users/me');

  const forbidden = await serve(json(403, { message: 'Forbidden' }));
  const error = await apiError(clientFor(forbidden).client.me());
  assert.equal(error.kind, 'auth');
  assert.equal(error.path, '/users/me');
  assert.match(error.message, /check the URL and key/);
  assert.equal(forbidden.requests.length, 2, 'a 403 on the credential check is retried once');

  const unauthorized = await serve(json(401, { message: 'Unauthorized' }));
  assert.equal((await apiError(clientFor(unauthorized).client.me())).kind, 'auth');

  const odd = await serve(json(200, { users: [] }));
  assert.equal((await apiError(clientFor(odd).client.me())).kind, 'bad_response');
});

test('aborting the caller signal during a backoff rejects at once with its reason', async () => {
  const server = await serve(raw(503, ''));
  const { client } = clientFor(server, { retryBaseMs: 10_000 });
  const controller = new AbortController();
  const request = client.get('/lists', {}, controller.signal);
  request.catch(() => undefined);
  // Once the 503 has been served the client is in its backoff (jittered from 0 up to 10 s, so a retry may already
  // have been made): what must hold is that the abort ends it at once and nothing is requested after it.
  while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const requestsAtAbort = server.requests.length;
  const aborted = performance.now();
  controller.abort(new Error('run cancelled'));
  await assert.rejects(request, /run cancelled/);
  assert.ok(performance.now() - aborted < 1000);
  assert.equal(server.requests.length, requestsAtAbort, 'no request after the abort');
});

test('a run-long caller signal keeps no listener per request, and long server messages stay one short line', async () => {
  const server = await serve(sequence(json(500, { message: `line one\n${'x'.repeat(2000)}` }), ok));
  const { client, events } = clientFor(server);
  const controller = new AbortController();
  for (let i = 0; i < 3; i++) await client.get('/lists', {}, controller.signal);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  const retry = events.find((e) => e.type === 'retry');
  assert.ok(retry && retry.type === 'retry');
  assert.ok(retry.reason.startsWith('500 line one xxx') && retry.reason.length <= 310, `reason of ${retry.reason.length} chars`);
});

test('bad options are refused before any request', () => {
  const budget = new RequestBudget({ requestsPerSecond: 4 });
  assert.throws(() => new ActiveCampaignClient({ baseUrl: 'http://acme.api-us1.com', key: KEY, budget }), ConfigError);
  assert.throws(() => new ActiveCampaignClient({ baseUrl: 'https://acme.api-us1.com', key: '  ', budget }), ConfigError);
  assert.throws(
    () => new ActiveCampaignClient({ baseUrl: 'https://acme.api-us1.com', key: `${KEY}\nx`, budget }),
    (error: unknown) => error instanceof ConfigError && !error.message.includes(KEY),
  );
  const client = new ActiveCampaignClient({ baseUrl: ' https://acme.api-us1.com/api/3/ ', key: KEY, budget });
  assert.equal(client.baseUrl, 'https://acme.api-us1.com');
});

test('error messages come from message, else errors[0].title, else detail, else the status text', () => {
  assert.equal(errorMessageFromBody({ message: 'Forbidden', errors: [{ title: 'x' }] }, 403), 'Forbidden');
  assert.equal(errorMessageFromBody({ errors: [{ title: 'Not Found', detail: 'd' }] }, 404), 'Not Found');
  assert.equal(errorMessageFromBody({ errors: [{ title: '', detail: 'You do not have permission to view lists.' }] }, 403), 'You do not have permission to view lists.');
  assert.equal(errorMessageFromBody({}, 400), 'Bad Request');
  assert.equal(errorMessageFromBody(undefined, 503, 'Service Unavailable'), 'Service Unavailable');
  assert.equal(errorMessageFromBody(undefined, 599), 'HTTP 599');
});

test('Retry-After is read as seconds or an HTTP date', () => {
  assert.equal(parseRetryAfter('30'), 30_000);
  assert.equal(parseRetryAfter(' 2 '), 2000);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter('soon'), undefined);
  const inTenSeconds = parseRetryAfter(new Date(Date.now() + 10_000).toUTCString()) ?? -1;
  assert.ok(inTenSeconds > 8000 && inTenSeconds <= 10_000, `HTTP date gave ${inTenSeconds}`);
  assert.equal(parseRetryAfter(new Date(Date.now() - 10_000).toUTCString()), 0);
});
