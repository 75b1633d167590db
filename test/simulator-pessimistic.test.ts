/**
 * The simulator's pessimistic switches, over HTTP against a real server: each one where the API reference is
 * silent (sideloads, totals, cdate ties, the rate limiter, child changes and parent dates, per-parent 404s,
 * changes during a sync, permission areas), set by option, by `setBehaviour` and by POST /__sim/behaviour,
 * and each default unchanged.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { simulatorOptionsFromFlags } from '../src/cli/simulate.js';
import {
  DEFAULT_BEHAVIOUR, DEMO_KEY, startSimulator, type Simulator, type SimulatorOptions,
} from '../src/simulator/index.js';

type Rec = Record<string, unknown>;

interface Answer {
  status: number;
  headers: Headers;
  body: Rec;
}

async function withSim(options: SimulatorOptions, run: (sim: Simulator) => Promise<void>): Promise<void> {
  const sim = await startSimulator({ contacts: 300, seed: 5, rateLimit: 0, ...options });
  try {
    await run(sim);
  } finally {
    await sim.close();
  }
}

async function get(sim: Simulator, path: string, key = DEMO_KEY): Promise<Answer> {
  const res = await fetch(`${sim.url}/api/3${path}`, { headers: { 'Api-Token': key } });
  const text = await res.text();
  let body: Rec = {};
  try {
    body = text === '' ? {} : (JSON.parse(text) as Rec);
  } catch {
    // an injected fault's HTML page
  }
  return { status: res.status, headers: res.headers, body };
}

function behaviour(sim: Simulator, body?: unknown): Promise<Response> {
  return fetch(`${sim.url}/__sim/behaviour`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
}

describe('behaviour switches: control path, setBehaviour, options and flags', () => {
  test('GET /__sim/behaviour shows the defaults; POST changes only the named switches and answers them all', async () => {
    await withSim({}, async (sim) => {
      assert.deepEqual(await (await behaviour(sim)).json(), { ...DEFAULT_BEHAVIOUR, rateLimit: 0 });
      const changed = await behaviour(sim, { limiter: 'window', deny: ['deals'], retryAfterSeconds: 3 });
      assert.equal(changed.status, 200);
      assert.deepEqual(await changed.json(), { ...DEFAULT_BEHAVIOUR, rateLimit: 0, limiter: 'window', deny: ['Deals'], retryAfterSeconds: 3 });
      const returned = sim.setBehaviour({ rateLimitStatus: 503 });
      assert.equal(returned.rateLimitStatus, 503);
      assert.equal(returned.limiter, 'window', 'other switches keep their value');
      assert.deepEqual(await (await behaviour(sim)).json(), returned);
      assert.equal(sim.stats().requests, 0, 'control paths are not API requests');
    });
  });

  test('unknown names and bad values: 400 over HTTP, RangeError in process, nothing changed', async () => {
    await withSim({}, async (sim) => {
      const unknown = await behaviour(sim, { limiter: 'window', sideloadz: 'none' });
      assert.equal(unknown.status, 400);
      assert.match(((await unknown.json()) as Rec).message as string, /unknown behaviour option "sideloadz"/);
      for (const bad of [
        { limiter: 'leaky' }, { retryAfterSeconds: 1.5 }, { retryAfterSeconds: -1 }, { deny: ['deals_activities'] }, { deny: 'deals' },
        { rateLimitStatus: 500 }, { rateLimit: -1 },
      ]) {
        const res = await behaviour(sim, bad);
        assert.equal(res.status, 400, JSON.stringify(bad));
        assert.throws(() => sim.setBehaviour(bad as SimulatorOptions), RangeError, JSON.stringify(bad));
      }
      assert.deepEqual(await (await behaviour(sim)).json(), { ...DEFAULT_BEHAVIOUR, rateLimit: 0 });
      await assert.rejects(startSimulator({ limiter: 'nope' as 'window' }), /limiter must be/);
    });
  });

  test('acsync simulate flags map onto the same options', () => {
    assert.deepEqual(simulatorOptionsFromFlags({
      port: '0', deny: 'deals, Users and groups', limiter: 'window', retryAfterSeconds: '12', rateLimitStatus: '503',
    }), {
      port: 0, deny: ['deals', 'Users and groups'], limiter: 'window', retryAfterSeconds: 12, rateLimitStatus: 503,
    });
    for (const [flags, message] of [
      [{ port: '0', deny: 'deals,nope' }, /^--deny: unknown permission area "nope" \(areas: Contacts, Lists, Campaigns, Deals, Accounts, Reports, Automations, Users and groups\)$/],
      [{ port: '0', limiter: 'leaky' }, /^--limiter must be/],
      [{ port: '0', rateLimitStatus: '500' }, /^--rate-limit-status must be 429 or 503/],
      [{ port: '0', retryAfterSeconds: 'soon' }, /^--retry-after-seconds must be an integer/],
    ] as const) {
      assert.throws(() => simulatorOptionsFromFlags(flags), (error: Error) => error instanceof RangeError && message.test(error.message), JSON.stringify(flags));
    }
  });
});

describe('rate limiter', () => {
  async function burst(sim: Simulator, n: number, key = DEMO_KEY): Promise<Answer[]> {
    return Promise.all(Array.from({ length: n }, () => get(sim, '/users/me', key)));
  }
  const statuses = (answers: Answer[]): number[] => answers.map((a) => a.status).sort();
  const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  test('window: at most rateLimit in any second, 429 with Retry-After 30 and the RateLimit headers', async () => {
    await withSim({ rateLimit: 5, limiter: 'window' }, async (sim) => {
      const answers = await burst(sim, 12);
      assert.deepEqual(statuses(answers), [...Array(5).fill(200), ...Array(7).fill(429)]);
      for (const answer of answers) {
        assert.equal(answer.headers.get('ratelimit-limit'), '5');
        if (answer.status === 429) {
          assert.equal(answer.headers.get('retry-after'), '30');
          assert.equal(answer.headers.get('ratelimit-remaining'), '0');
        }
      }
      await pause(1100);
      assert.deepEqual(statuses(await burst(sim, 5)), Array(5).fill(200), 'a second later the window is free again');
    });
  });

  test('window allows no burst beyond the limit where the bucket does', async () => {
    // 3 requests, half a second, 3 more: the bucket has refilled, the window still holds the first 3.
    const pattern = async (sim: Simulator): Promise<number> => {
      assert.deepEqual(statuses(await burst(sim, 3)), [200, 200, 200]);
      await pause(500);
      return (await burst(sim, 3)).filter((a) => a.status === 200).length;
    };
    await withSim({ rateLimit: 5, limiter: 'window' }, async (sim) => assert.equal(await pattern(sim), 2));
    await withSim({ rateLimit: 5 }, async (sim) => assert.equal(await pattern(sim), 3));
  });

  test('retryAfterSeconds and a 503 throttle; the bucket keeps its own Retry-After and its bare 503 by default', async () => {
    await withSim({ rateLimit: 1, limiter: 'window', retryAfterSeconds: 7 }, async (sim) => {
      const refused = (await burst(sim, 3)).filter((a) => a.status !== 200);
      assert.ok(refused.length >= 2 && refused.every((a) => a.status === 429 && a.headers.get('retry-after') === '7'));
      sim.setBehaviour({ rateLimitStatus: 503, retryAfterSeconds: null });
      const throttled = (await burst(sim, 3)).filter((a) => a.status !== 200);
      assert.ok(throttled.length >= 2);
      for (const a of throttled) {
        assert.equal(a.status, 503);
        assert.deepEqual(a.body, { message: 'Service Unavailable' });
        assert.equal(a.headers.get('retry-after'), '30', 'the window says when to come back, 503 or not');
      }
    });
    await withSim({ rateLimit: 1 }, async (sim) => {
      const refused = (await burst(sim, 3)).filter((a) => a.status !== 200);
      assert.ok(refused.length >= 2 && refused.every((a) => a.status === 429 && a.headers.get('retry-after') === '1'));
      sim.setBehaviour({ retryAfterSeconds: 9 });
      assert.ok((await burst(sim, 3)).filter((a) => a.status === 429).every((a) => a.headers.get('retry-after') === '9'));
      sim.setBehaviour({ rateLimitStatus: 503 });
      const bare = (await burst(sim, 3)).filter((a) => a.status === 503);
      assert.ok(bare.length >= 2 && bare.every((a) => a.headers.get('retry-after') === null));
    });
  });

  test('a running simulator without a limit gets one at runtime, and loses it again', async () => {
    await withSim({}, async (sim) => {
      assert.deepEqual(statuses(await burst(sim, 8)), Array(8).fill(200));
      sim.setBehaviour({ rateLimit: 2, limiter: 'window' });
      assert.deepEqual(statuses(await burst(sim, 4)), [200, 200, 429, 429]);
      sim.setBehaviour({ rateLimit: 0 });
      assert.deepEqual(statuses(await burst(sim, 8)), Array(8).fill(200));
    });
  });
});

describe('permission areas at runtime', () => {
  test('deny takes areas, case-insensitively, and can change while the simulator runs', async () => {
    await withSim({ deny: ['accounts'] }, async (sim) => {
      assert.equal((await get(sim, '/accounts')).status, 403);
      assert.deepEqual((await get(sim, '/accountContacts')).body, {
        errors: [{ status: 403, title: 'Forbidden', detail: 'You do not have permission to view accounts.' }],
      });
      assert.equal((await get(sim, '/deals')).status, 200);
      const res = await behaviour(sim, { deny: ['DEALS', 'users AND groups'] });
      assert.deepEqual(((await res.json()) as Rec).deny, ['Deals', 'Users and groups']);
      assert.equal((await get(sim, '/accounts')).status, 200);
      for (const path of ['/deals', '/dealTasks', '/dealStages', '/deals/1/dealActivities', '/groups/1/userGroups', '/users/1/userGroup']) {
        assert.equal((await get(sim, path)).status, 403, path);
      }
      assert.equal((await get(sim, '/users/me')).status, 200, 'the credential check is never denied');
      const unknown = await behaviour(sim, { deny: ['deals_activities'] });
      assert.equal(unknown.status, 400);
      assert.match(((await unknown.json()) as Rec).message as string, /unknown permission area "deals_activities" \(areas: Contacts, Lists/);
      sim.setBehaviour({ deny: [] });
      assert.equal((await get(sim, '/deals')).status, 200);
    });
  });
});
