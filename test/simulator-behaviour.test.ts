/**
 * The simulator's transport behaviour: authentication, the per-key rate limit (429 with Retry-After, or 503),
 * latency, fault injection of every kind, permission denials by catalog permission area, and the /__sim
 * control paths with their statistics.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { endpoints } from '../src/catalog/index.js';
import { DEMO_KEY, PERMISSION_AREAS, startSimulator, type FaultKind, type Simulator, type SimulatorOptions } from '../src/simulator/index.js';

type Rec = Record<string, unknown>;

async function withSim(options: SimulatorOptions, run: (sim: Simulator) => Promise<void>): Promise<void> {
  const sim = await startSimulator({ contacts: 200, ...options });
  try {
    await run(sim);
  } finally {
    await sim.close();
  }
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The connection failed before a complete response arrived. */
  error?: string;
}

/** A plain node:http GET that reports socket failures instead of throwing (fetch hides the details). */
function raw(url: string, headers: Record<string, string> = { 'Api-Token': DEMO_KEY }): Promise<RawResponse> {
  return new Promise((resolve) => {
    const req = request(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), error: e.message }));
    });
    req.on('error', (e) => resolve({ status: 0, headers: {}, body: '', error: e.message }));
    req.end();
  });
}

function control(sim: Simulator, path: string, body?: unknown): Promise<Response> {
  return fetch(`${sim.url}/__sim/${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
}

describe('authentication', () => {
  test('a missing or wrong Api-Token answers 403 {"message":"Forbidden"}; the right key (or a custom one) works', async () => {
    await withSim({ rateLimit: 0, key: 'custom-key' }, async (sim) => {
      assert.equal(sim.key, 'custom-key');
      for (const headers of [{}, { 'Api-Token': DEMO_KEY }, { 'Api-Token': 'Custom-Key' }] as Record<string, string>[]) {
        const res = await raw(`${sim.url}/api/3/contacts`, headers);
        assert.equal(res.status, 403);
        assert.deepEqual(JSON.parse(res.body), { message: 'Forbidden' });
      }
      assert.equal((await raw(`${sim.url}/api/3/users/me`, { 'Api-Token': 'custom-key' })).status, 200);
    });
  });

  test('/api/3 is GET-only', async () => {
    await withSim({ rateLimit: 0 }, async (sim) => {
      const res = await fetch(`${sim.url}/api/3/contacts`, { method: 'POST', headers: { 'Api-Token': DEMO_KEY }, body: '{}' });
      assert.equal(res.status, 405);
    });
  });
});

describe('rate limit', () => {
  test('a burst is throttled with 429, Retry-After and RateLimit-* headers', async () => {
    await withSim({ rateLimit: 5 }, async (sim) => {
      const responses = await Promise.all(Array.from({ length: 20 }, () => raw(`${sim.url}/api/3/users/me`)));
      const ok = responses.filter((r) => r.status === 200);
      const throttled = responses.filter((r) => r.status === 429);
      assert.equal(ok.length + throttled.length, 20);
      // Capacity 5, refilled at 5/s: a burst served in well under a second lets 5 (plus a refill or two) through.
      assert.ok(ok.length >= 5 && ok.length <= 9, `${ok.length} passed`);
      for (const r of throttled) {
        assert.match(String(r.headers['retry-after']), /^[1-9]\d*$/);
        assert.equal(r.headers['ratelimit-limit'], '5');
        assert.equal(r.headers['ratelimit-remaining'], '0');
        assert.equal(r.headers['x-ratelimit-limit'], undefined);
      }
      assert.equal(ok[0]?.headers['ratelimit-limit'], '5');
      assert.equal(sim.stats().byStatus['429'], throttled.length);
    });
  });

  test('a client paced at 5 requests/s never sees a 429', async () => {
    await withSim({ rateLimit: 5 }, async (sim) => {
      const statuses: number[] = [];
      let previous = -Infinity;
      for (let i = 0; i < 12; i++) {
        // Starts are at least 200 ms apart (a late request is not followed by a catch-up burst).
        const wait = previous + 200 - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        previous = performance.now();
        statuses.push((await raw(`${sim.url}/api/3/tags`)).status);
      }
      assert.deepEqual(statuses, Array(12).fill(200));
    });
  });

  test('rateLimitStatus 503 answers throttling with 503 and no Retry-After; rateLimit 0 disables it', async () => {
    await withSim({ rateLimit: 2, rateLimitStatus: 503 }, async (sim) => {
      const responses = await Promise.all(Array.from({ length: 8 }, () => raw(`${sim.url}/api/3/tags`)));
      const throttled = responses.filter((r) => r.status === 503);
      assert.ok(throttled.length >= 5);
      for (const r of throttled) assert.equal(r.headers['retry-after'], undefined);
    });
    await withSim({ rateLimit: 0 }, async (sim) => {
      const responses = await Promise.all(Array.from({ length: 30 }, () => raw(`${sim.url}/api/3/tags`)));
      assert.ok(responses.every((r) => r.status === 200));
      assert.equal(responses[0]?.headers['ratelimit-limit'], undefined);
    });
  });
});

describe('latency', () => {
  test('responses are delayed by latencyMs ± jitter', async () => {
    await withSim({ rateLimit: 0, latencyMs: 120, jitterMs: 20 }, async (sim) => {
      for (let i = 0; i < 3; i++) {
        const start = performance.now();
        assert.equal((await raw(`${sim.url}/api/3/users/me`)).status, 200);
        const elapsed = performance.now() - start;
        assert.ok(elapsed >= 95 && elapsed < 1000, `${elapsed.toFixed(0)} ms`);
      }
    });
  });
});

describe('faults', () => {
  const url = (sim: Simulator): string => `${sim.url}/api/3/contacts?limit=50`;

  for (const kind of ['500', '502', '503'] as const) {
    test(`${kind}: the status with a JSON, HTML or empty body`, async () => {
      await withSim({ rateLimit: 0, faults: 1, faultKinds: [kind] }, async (sim) => {
        const bodies = new Set<string>();
        for (let i = 0; i < 12; i++) {
          const res = await raw(url(sim));
          assert.equal(res.status, Number(kind));
          assert.equal(res.headers['retry-after'], undefined);
          bodies.add(res.body === '' ? 'empty' : res.body.startsWith('<') ? 'html' : (JSON.parse(res.body) as Rec).message ? 'json' : 'other');
        }
        assert.deepEqual([...bodies].sort(), ['empty', 'html', 'json']);
        assert.equal(sim.stats().faults[kind], 12);
      });
    });
  }

  test('429: Retry-After: 1', async () => {
    await withSim({ rateLimit: 0, faults: 1, faultKinds: ['429'] }, async (sim) => {
      const res = await raw(url(sim));
      assert.equal(res.status, 429);
      assert.equal(res.headers['retry-after'], '1');
    });
  });

  test('403: {"message":"Forbidden"} on a valid key, transient', async () => {
    await withSim({ rateLimit: 0, faults: 0.5, faultKinds: ['403'], faultSeed: 4 }, async (sim) => {
      const statuses = [];
      for (let i = 0; i < 20; i++) {
        const res = await raw(url(sim));
        statuses.push(res.status);
        if (res.status === 403) assert.deepEqual(JSON.parse(res.body), { message: 'Forbidden' });
      }
      assert.ok(statuses.includes(403) && statuses.includes(200));
    });
  });

  test('reset: the socket dies after part of a body its headers promised in full', async () => {
    await withSim({ rateLimit: 0, faults: 1, faultKinds: ['reset'] }, async (sim) => {
      const res = await raw(url(sim));
      assert.ok(res.error, 'the client sees a connection error');
      await assert.rejects(fetch(url(sim), { headers: { 'Api-Token': DEMO_KEY } }).then((r) => r.json()));
      assert.equal(sim.stats().faults.reset, 2);
    });
  });

  test('truncate: a complete 200 response whose JSON is cut, then the connection closes', async () => {
    await withSim({ rateLimit: 0, faults: 1, faultKinds: ['truncate'] }, async (sim) => {
      const res = await raw(url(sim));
      assert.equal(res.error, undefined);
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(Number(res.headers['content-length']), Buffer.byteLength(res.body));
      assert.equal(res.headers.connection, 'close');
      assert.ok(res.body.startsWith('{"scoreValues":[],"contacts":[{'));
      assert.throws(() => JSON.parse(res.body));
    });
  });

  test('html: an HTML page with status 200 or 502', async () => {
    await withSim({ rateLimit: 0, faults: 1, faultKinds: ['html'] }, async (sim) => {
      const statuses = new Set<number>();
      for (let i = 0; i < 12; i++) {
        const res = await raw(url(sim));
        assert.match(String(res.headers['content-type']), /^text\/html/);
        assert.match(res.body, /^<!DOCTYPE html>/);
        statuses.add(res.status);
      }
      assert.deepEqual([...statuses].sort(), [200, 502]);
    });
  });

  test('slow: the response is held back; a client timeout ends it and close() does not wait for it', async () => {
    await withSim({ rateLimit: 0, faults: 1, faultKinds: ['slow'] }, async (sim) => {
      const start = performance.now();
      await assert.rejects(fetch(url(sim), { headers: { 'Api-Token': DEMO_KEY }, signal: AbortSignal.timeout(300) }), { name: 'TimeoutError' });
      assert.ok(performance.now() - start < 2000);
      assert.equal(sim.stats().faults.slow, 1);
      // A second slow request still pending when the simulator closes must not keep it open.
      void raw(url(sim));
      await new Promise((r) => setTimeout(r, 50));
    });
  });

  test('the fault rate is honoured, decided by (seed, request number), and settable at run time', async () => {
    const run = async (seed: number): Promise<number[]> => {
      const statuses: number[] = [];
      await withSim({ rateLimit: 0, faults: 0.3, faultKinds: ['500', '503'], faultSeed: seed }, async (sim) => {
        for (let i = 0; i < 60; i++) statuses.push((await raw(`${sim.url}/api/3/tags`)).status);
        const faulted = statuses.filter((s) => s !== 200).length;
        const stats = sim.stats();
        assert.equal((stats.faults['500'] ?? 0) + (stats.faults['503'] ?? 0), faulted);
        assert.ok(faulted >= 8 && faulted <= 32, `${faulted} of 60 faulted`);
        sim.setFaults({ rate: 0 });
        for (let i = 0; i < 10; i++) assert.equal((await raw(`${sim.url}/api/3/tags`)).status, 200);
        const answer = await control(sim, 'faults', { rate: 1, kinds: ['502'], seed: 9 });
        assert.deepEqual(await answer.json(), { rate: 1, kinds: ['502'], seed: 9 });
        assert.equal((await raw(`${sim.url}/api/3/tags`)).status, 502);
        assert.equal((await control(sim, 'faults', { rate: 2 })).status, 400);
        assert.equal((await control(sim, 'faults', { rate: 0.5, kinds: ['nope'] })).status, 400);
      });
      return statuses;
    };
    const first = await run(5);
    assert.deepEqual(await run(5), first);
    assert.notDeepEqual(await run(6), first);
  });

  test('control paths are never faulted, throttled or authenticated', async () => {
    await withSim({ rateLimit: 1, faults: 1, faultKinds: ['reset' as FaultKind] }, async (sim) => {
      for (let i = 0; i < 5; i++) assert.equal((await control(sim, 'stats')).status, 200);
      const mutated = await control(sim, 'mutate', { seed: 1, changes: 3 });
      assert.equal(mutated.status, 200);
      assert.equal(((await mutated.json()) as Rec).changes, 3);
      assert.equal(sim.stats().requests, 0);
    });
  });
});

describe('permissions', () => {
  /** Status of every list route of the catalog plus the extra routes, with a denial of permission `areas`. */
  async function statuses(deny: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    await withSim({ rateLimit: 0, deny }, async (sim) => {
      const paths = [
        ...Object.values(endpoints).map((e) => e.path.replace('{id}', '1')),
        '/dealStages', '/dealCustomFieldData', '/contacts/1/notes', '/contacts/1/contactTags', '/contacts/1/contactLists',
        '/contacts/1/contactDeals', '/deals/1/contactDeals', '/deals/1/dealActivities', '/campaigns/1/campaignMessages',
        '/users/1/userGroup', '/messages/1', '/users/me',
      ];
      for (const path of paths) {
        const res = await raw(`${sim.url}/api/3${path}`);
        out.set(path, res.status);
        if (res.status === 403) {
          const body = JSON.parse(res.body) as { errors: Rec[] };
          assert.equal(body.errors[0]?.status, 403);
          assert.equal(body.errors[0]?.title, 'Forbidden');
          assert.match(body.errors[0]?.detail as string, /^You do not have permission to view [a-z ]+\.$/);
        }
      }
    });
    return out;
  }

  const denied = (m: Map<string, number>): string[] => [...m].filter(([, s]) => s === 403).map(([p]) => p).sort();

  test('no denial: every route answers 200', async () => {
    assert.deepEqual(denied(await statuses([])), []);
  });

  test('an area denies every route whose catalog permission it is, per-parent and single-record routes included', async () => {
    assert.deepEqual(denied(await statuses(['Lists'])), ['/contactLists', '/contacts/1/contactLists', '/lists']);
    assert.deepEqual(denied(await statuses(['Campaigns'])), ['/campaignMessages', '/campaigns', '/campaigns/1/campaignMessages', '/messages', '/messages/1']);
    assert.deepEqual(denied(await statuses(['Users and groups'])), ['/groups', '/groups/1/userGroups', '/users', '/users/1/userGroup']);
    // /dealCustomFieldData is read by no catalog endpoint: it takes the area of the table fed by its rows (/deals).
    const deals = denied(await statuses(['Deals']));
    assert.deepEqual(deals, [
      '/contactDeals', '/contacts/1/contactDeals', '/dealActivities', '/dealCustomFieldData', '/dealCustomFieldMeta', '/dealGroups',
      '/dealStages', '/dealTasks', '/dealTasktypes', '/deals', '/deals/1/contactDeals', '/deals/1/dealActivities', '/taskOutcomes',
      '/tasktypeOutcomeRels',
    ]);
    // Per-parent endpoints are named with {id}; the routes above were asked for parent 1.
    for (const endpoint of Object.values(endpoints).filter((e) => e.permission === 'Deals')) assert.ok(deals.includes(endpoint.path.replace('{id}', '1')), endpoint.path);
  });

  test('areas match case-insensitively; Reports and Automations guard nothing the catalog reads', async () => {
    assert.deepEqual(denied(await statuses(['deals'])), denied(await statuses(['DEALS'])));
    assert.deepEqual(denied(await statuses(['users and groups'])), denied(await statuses(['Users and groups'])));
    assert.deepEqual(denied(await statuses(['Reports', 'automations'])), []);
  });

  test('denying every area leaves only the credential check', async () => {
    const all = await statuses([...PERMISSION_AREAS]);
    assert.deepEqual([...all].filter(([, s]) => s !== 403).map(([p]) => p), ['/users/me']);
  });

  test('unknown areas (or table names) are refused, naming the valid areas', async () => {
    await assert.rejects(startSimulator({ deny: ['no_such_area'] }), (error: Error) =>
      error instanceof RangeError && /unknown permission area "no_such_area"/.test(error.message) && error.message.includes(PERMISSION_AREAS.join(', ')));
    await assert.rejects(startSimulator({ deny: ['deals_activities'] }), RangeError);
  });
});

describe('statistics and control', () => {
  test('GET /__sim/stats counts /api/3 requests by path (no query) and status', async () => {
    await withSim({ rateLimit: 0 }, async (sim) => {
      await raw(`${sim.url}/api/3/contacts?limit=5`);
      await raw(`${sim.url}/api/3/contacts?limit=7&offset=5`);
      await raw(`${sim.url}/api/3/tags`, {});
      await raw(`${sim.url}/api/3/nope`);
      await raw(`${sim.url}/elsewhere`);
      const stats = (await (await control(sim, 'stats')).json()) as Rec;
      assert.deepEqual(stats, {
        requests: 4,
        byPath: { '/api/3/contacts': 2, '/api/3/tags': 1, '/api/3/nope': 1 },
        byStatus: { '200': 2, '403': 1, '404': 1 },
        faults: {},
      });
      assert.deepEqual(sim.stats(), stats);
    });
  });

  test('POST /__sim/mutate validates its body', async () => {
    await withSim({ rateLimit: 0 }, async (sim) => {
      assert.equal((await control(sim, 'mutate', { seed: 1, changes: -1 })).status, 400);
      assert.equal((await control(sim, 'mutate', { seed: 'x', changes: 1 })).status, 400);
      const bad = await fetch(`${sim.url}/__sim/mutate`, { method: 'POST', body: '{not json' });
      assert.equal(bad.status, 400);
      assert.equal((await control(sim, 'unknown')).status, 404);
    });
  });
});
