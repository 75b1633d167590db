/**
 * The client and its budget against throttling servers less kind than the simulator: a strict sliding window
 * (5 requests in any second, counted on arrival, rejected ones included), long Retry-After, 503s with and
 * without Retry-After, and `RateLimit-*` headers (docs/activecampaign-api.md section 5).
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { ActiveCampaignClient, type ClientEvent, type ClientOptions, parseRateLimit } from '../src/activecampaign/client.js';
import { RequestBudget } from '../src/activecampaign/rate-limiter.js';
import { DEFAULT_REQUESTS_PER_SECOND, MAX_REQUESTS_PER_SECOND } from '../src/core/defaults.js';
import { ApiError } from '../src/core/errors.js';
import { type Handler, json, raw, type ScriptedServer, sequence, serverPool } from './activecampaign-helpers.js';

const serve = serverPool();

function clientFor(server: ScriptedServer, options: Partial<ClientOptions> = {}) {
  const events: ClientEvent[] = [];
  const budget = options.budget ?? new RequestBudget({ requestsPerSecond: 1000 });
  const client = new ActiveCampaignClient({
    baseUrl: server.url,
    key: 'test-key',
    retryBaseMs: 5,
    timeoutMs: 3000,
    onEvent: (event) => events.push(event),
    ...options,
    budget,
  });
  return { client, events, budget };
}

const ok = json(200, { lists: [] });

interface StrictWindow {
  readonly handler: Handler;
  /** Arrival times (ms, server clock) of every request, accepted or not. */
  readonly arrivals: number[];
  rejected: number;
}

/**
 * A limiter stricter than the simulator's bucket: more than `limit` requests arriving within any second (every
 * arrival counts, rejected ones too, plus `others` requests per second from another integration of the
 * account) get 429 with `Retry-After`. Every answer carries `RateLimit-Limit` and `RateLimit-Remaining`.
 */
function strictWindow(limit: number, retryAfter: string, othersEveryMs?: number): StrictWindow {
  const state: StrictWindow = {
    arrivals: [],
    rejected: 0,
    handler: (request, res) => {
      const now = request.at;
      state.arrivals.push(now);
      const ours = state.arrivals.filter((at) => at > now - 1000).length;
      const others = othersEveryMs ? Math.floor(now / othersEveryMs) - Math.floor((now - 1000) / othersEveryMs) : 0;
      const count = ours + others;
      const headers = { 'ratelimit-limit': String(limit), 'ratelimit-remaining': String(Math.max(0, limit - count)) };
      if (count > limit) {
        state.rejected += 1;
        res.writeHead(429, { ...headers, 'retry-after': retryAfter });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ lists: [{ id: String(state.arrivals.length) }] }));
    },
  };
  return state;
}

/** Most arrivals within any 1-second window. */
function busiestSecond(arrivals: readonly number[]): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0; i < sorted.length; i++) {
    const inWindow = sorted.filter((at) => at > (sorted[i] as number) - 1000 && at <= (sorted[i] as number)).length;
    most = Math.max(most, inWindow);
  }
  return most;
}

test(`a strict window of 5/s sees no 429 at the default pace (${DEFAULT_REQUESTS_PER_SECOND}/s) over 30 requests, close to the floor`, async () => {
  const limiter = strictWindow(5, '30');
  const server = await serve(limiter.handler);
  const { client } = clientFor(server, { budget: new RequestBudget({ requestsPerSecond: DEFAULT_REQUESTS_PER_SECOND }) });
  const started = performance.now();
  await Promise.all(Array.from({ length: 30 }, (_, i) => client.get('/lists', { page: String(i) })));
  const elapsed = performance.now() - started;
  assert.equal(limiter.rejected, 0);
  assert.equal(client.stats.throttled, 0);
  assert.equal(client.stats.requests, 30);
  assert.ok(busiestSecond(limiter.arrivals) <= 5);
  // The floor: 30 requests at 5 in any second need 5 s (bursts) to 5.8 s (even pacing); acsync takes about 6.1 s.
  assert.ok(elapsed >= 5000 && elapsed < 7500, `30 requests took ${elapsed.toFixed(0)} ms`);
});

test('a strict window of 5/s sees no 429 at the maximum rate of 5/s either', async () => {
  const limiter = strictWindow(5, '30');
  const server = await serve(limiter.handler);
  const { client } = clientFor(server, { budget: new RequestBudget({ requestsPerSecond: MAX_REQUESTS_PER_SECOND }) });
  await Promise.all(Array.from({ length: 16 }, () => client.get('/lists')));
  assert.equal(limiter.rejected, 0);
  assert.ok(busiestSecond(limiter.arrivals) <= 5);
});

test('sharing the account with another integration: throttles cost no attempts and every request succeeds', async () => {
  // Another integration spends 2 of the 5 requests per second, so 4.8/s cannot pass.
  const limiter = strictWindow(5, '1', 500);
  const server = await serve(limiter.handler);
  const { client, budget, events } = clientFor(server, {
    budget: new RequestBudget({ requestsPerSecond: DEFAULT_REQUESTS_PER_SECOND }),
    maxAttempts: 1,
    announceWaitMs: 500,
  });
  const answers = await Promise.all(Array.from({ length: 14 }, () => client.get('/lists')));
  assert.equal(answers.length, 14);
  // Most of the over-rate is caught by RateLimit-Remaining: 0 holds before the server has to refuse.
  assert.ok(events.some((e) => e.type === 'waiting' && e.cause === 'rate-window'), 'full windows were waited out');
  assert.equal(client.stats.throttled, limiter.rejected);
  if (limiter.rejected > 0) assert.ok(budget.currentRate < DEFAULT_REQUESTS_PER_SECOND, 'a throttle lowered the pace');
  assert.ok(budget.currentRate >= DEFAULT_REQUESTS_PER_SECOND / 2);
});

test('a 429 never consumes an attempt: three throttles then an answer succeed with maxAttempts 1', async () => {
  const throttle = json(429, { message: 'Too Many Requests' }, { 'retry-after': '0.05' });
  const server = await serve(sequence(throttle, throttle, throttle, ok));
  const { client, events } = clientFor(server, { maxAttempts: 1 });
  assert.deepEqual(await client.get('/lists'), { lists: [] });
  assert.equal(server.requests.length, 4);
  assert.equal(client.stats.throttled, 3);
  assert.equal(client.stats.retries, 3);
  assert.deepEqual(
    events.flatMap((e) => (e.type === 'retry' ? [e.attempt] : [])),
    [1, 2, 3],
  );
  assert.ok(!events.some((e) => e.type === 'waiting'), 'no wait of 2 s or more to announce');
});

test('a 503 with Retry-After, or with RateLimit-Remaining: 0, is a throttle too', async () => {
  const server = await serve(
    sequence(
      raw(503, '', { 'retry-after': '0.05' }),
      json(503, { message: 'Service Unavailable' }, { 'ratelimit-limit': '5', 'ratelimit-remaining': '0' }),
      ok,
    ),
  );
  const { client, events } = clientFor(server, { maxAttempts: 1, retryBaseMs: 30 });
  await client.get('/lists');
  assert.equal(client.stats.throttled, 2);
  // The second had no Retry-After: it waits the backoff ceiling of a second throttle, 2 × 30 ms.
  assert.deepEqual(
    events.flatMap((e) => (e.type === 'throttled' ? [e.retryAfterMs] : [])),
    [50, 60],
  );
});

test('a bare 503 counts as an attempt and pauses the whole budget for its backoff', async () => {
  const server = await serve(raw(503, ''));
  const waits: { delayMs: number; otherWaited: Promise<number> }[] = [];
  const budget = new RequestBudget({ requestsPerSecond: 1000 });
  const { client } = clientFor(server, {
    budget,
    maxAttempts: 2,
    retryBaseMs: 300,
    onEvent: (event) => {
      // Another stream asks for a slot the moment the 503's backoff begins.
      if (event.type !== 'retry') return;
      const asked = performance.now();
      const other = budget.acquire().then((release) => {
        release();
        return performance.now() - asked;
      });
      waits.push({ delayMs: event.delayMs, otherWaited: other });
    },
  });
  const error = await client.get('/lists').catch((e: unknown) => e);
  assert.ok(error instanceof ApiError && error.kind === 'unavailable', String(error));
  assert.match(error.message, /after 2 attempts \(last: 503 Service Unavailable\)/);
  assert.equal(server.requests.length, 2);
  assert.equal(client.stats.throttled, 0);
  assert.equal(waits.length, 1);
  const [wait] = waits;
  assert.ok(wait);
  const otherWaited = await wait.otherWaited;
  assert.ok(otherWaited >= wait.delayMs - 5, `another request waited ${otherWaited.toFixed(0)} ms of a ${wait.delayMs} ms backoff`);
  assert.ok(budget.currentRate < 1000, 'and the pace went down, in case it was throttling');
});

test('throttled retries are bounded by maxWaitMs in total, then end as throttled', async () => {
  const server = await serve(json(429, {}, { 'retry-after': '0.1' }));
  const { client } = clientFor(server, { maxWaitMs: 250 });
  const error = await client.get('/lists').catch((e: unknown) => e);
  assert.ok(error instanceof ApiError && error.kind === 'throttled', String(error));
  assert.equal(server.requests.length, 3, 'waited 0.1 s twice; a third wait would pass 0.25 s');
  assert.match(error.message, /kept throttling: 0\.2 s waited, 0\.1 s more asked/);
  assert.ok(error.retryAt !== undefined && error.retryAt > Date.now() - 50);
});

test('a long throttle is announced once as a waiting event, however many requests ran into it', async () => {
  let released = false;
  const server = await serve((request, res, req) => {
    if (!released) return json(429, {}, { 'retry-after': '0.3' })(request, res, req);
    return ok(request, res, req);
  });
  const { client, events } = clientFor(server, { announceWaitMs: 200 });
  const before = Date.now();
  const all = Promise.all([client.get('/a'), client.get('/b'), client.get('/c')]);
  setTimeout(() => (released = true), 100);
  await all;
  const waiting = events.filter((e) => e.type === 'waiting');
  assert.equal(waiting.length, 1, JSON.stringify(waiting));
  const [wait] = waiting;
  assert.ok(wait && wait.type === 'waiting');
  assert.equal(wait.cause, 'throttle');
  assert.equal(wait.ms, 300);
  assert.match(wait.reason, /^the API asked to slow down \(429, Retry-After 0\.3 s\)$/);
  assert.ok(wait.untilMs >= before + 300 && wait.untilMs <= Date.now() + 300);
});

test('a long backoff is announced per request; short waits are not', async () => {
  const server = await serve(sequence(json(500, { message: 'boom' }), ok, json(500, { message: 'boom' }), ok));
  const { client, events } = clientFor(server, { retryBaseMs: 100, announceWaitMs: 1 });
  await client.get('/lists');
  const retry = events.find((e) => e.type === 'retry');
  assert.ok(retry && retry.type === 'retry');
  const waiting = events.filter((e) => e.type === 'waiting');
  if (retry.delayMs >= 1) {
    assert.equal(waiting.length, 1);
    const [wait] = waiting;
    assert.ok(wait && wait.type === 'waiting');
    assert.equal(wait.cause, 'backoff');
    assert.equal(wait.ms, retry.delayMs);
    assert.equal(wait.reason, '500 boom; attempt 2 of 6');
  }
  const quiet = clientFor(server, { retryBaseMs: 100 });
  await quiet.client.get('/lists');
  assert.ok(quiet.events.some((e) => e.type === 'retry'));
  assert.ok(!quiet.events.some((e) => e.type === 'waiting'), 'below 2 s by default: nothing to announce');
});

test('RateLimit-Limit below the rate is adopted: a pace event, then starts spaced at that rate', async () => {
  const server = await serve(json(200, { lists: [] }, { 'ratelimit-limit': '10', 'ratelimit-remaining': '9' }));
  const { client, events, budget } = clientFor(server);
  await client.get('/lists');
  const started = performance.now();
  await Promise.all(Array.from({ length: 6 }, () => client.get('/lists')));
  const elapsed = performance.now() - started;
  assert.equal(budget.currentRate, 10);
  assert.ok(elapsed >= 480, `6 requests at 10/s took ${elapsed.toFixed(0)} ms`);
  const pace = events.filter((e) => e.type === 'pace');
  assert.equal(pace.length, 1);
  assert.deepEqual(pace[0], {
    type: 'pace',
    path: '/lists',
    requestsPerSecond: 10,
    reason: "the API's RateLimit-Limit allows 10 requests/s; acsync paces at most at that rate",
  });
});

test('RateLimit-Remaining: 0 that our requests do not explain holds the next start until the window clears', async () => {
  const server = await serve(
    sequence(json(200, { lists: [] }, { 'ratelimit-limit': '5', 'ratelimit-remaining': '0' }), json(200, { lists: [] }, { 'ratelimit-limit': '5' })),
  );
  const { client, events } = clientFor(server, { budget: new RequestBudget({ requestsPerSecond: 5 }), announceWaitMs: 500 });
  await client.get('/lists');
  await client.get('/lists');
  const [first, second] = server.requests;
  assert.ok(first && second);
  assert.ok(second.at - first.at >= 1000, `the second request came ${(second.at - first.at).toFixed(0)} ms after the first`);
  assert.ok(events.some((e) => e.type === 'waiting' && e.cause === 'rate-window'));
  assert.equal(client.stats.throttled, 0);
});

test('RateLimit headers are read as the API and the IETF draft send them', () => {
  assert.deepEqual(parseRateLimit('5', '3'), { limit: 5, remaining: 3 });
  assert.deepEqual(parseRateLimit('5, 5;w=1', '0'), { limit: 5, windowSeconds: 1, remaining: 0 });
  assert.deepEqual(parseRateLimit('100;w=60', null), { limit: 100, windowSeconds: 60 });
  assert.deepEqual(parseRateLimit(null, null), {});
  assert.deepEqual(parseRateLimit('lots', 'some'), {});
  assert.deepEqual(parseRateLimit('', '-1'), {});
});
