import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../src/core/errors.js';
import { RequestBudget } from '../src/activecampaign/rate-limiter.js';

test('N acquisitions take about (N-1)/rate seconds, evenly spaced with no burst', async () => {
  const rate = 50;
  const budget = new RequestBudget({ requestsPerSecond: rate, maxInFlight: 100 });
  const started = performance.now();
  const startTimes = await Promise.all(
    Array.from({ length: 11 }, async () => {
      const release = await budget.acquire();
      const at = performance.now() - started;
      release();
      return at;
    }),
  );
  startTimes.sort((a, b) => a - b);
  const elapsed = startTimes[10] as number;
  // The times are taken when each waiter resumes, which a busy machine delays unevenly: the bounds allow for that
  // noise and still fail on a burst (gaps near 0) or on pacing at the wrong rate.
  assert.ok(elapsed >= 195 && elapsed < 1500, `10 intervals at 50/s took ${elapsed.toFixed(1)} ms`);
  assert.ok((startTimes[0] as number) < 50, 'the first request starts at once');
  for (let i = 1; i < startTimes.length; i++) {
    const gap = (startTimes[i] as number) - (startTimes[i - 1] as number);
    assert.ok(gap >= 10, `gap ${i} was ${gap.toFixed(1)} ms: a burst, against the 20 ms interval`);
  }
});

test('an idle budget does not bank unused time into a burst', async () => {
  const budget = new RequestBudget({ requestsPerSecond: 20, maxInFlight: 10 });
  (await budget.acquire())();
  await sleep(200);
  const started = performance.now();
  await Promise.all(Array.from({ length: 3 }, async () => (await budget.acquire())()));
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 95, `3 starts after idling took ${elapsed.toFixed(1)} ms, expected about 100`);
});

test('maxInFlight holds further starts until a request is released', async () => {
  const budget = new RequestBudget({ requestsPerSecond: 1000, maxInFlight: 2 });
  const first = await budget.acquire();
  await budget.acquire();
  let thirdStarted = false;
  const third = budget.acquire().then((release) => {
    thirdStarted = true;
    return release;
  });
  await sleep(30);
  assert.equal(thirdStarted, false);
  assert.equal(budget.active, 2);
  first();
  first(); // a second release is ignored
  (await third)();
  assert.equal(thirdStarted, true);
  assert.equal(budget.active, 1);
});

test('pause(ms) delays every later start until the pause ends', async () => {
  const budget = new RequestBudget({ requestsPerSecond: 100 });
  (await budget.acquire())();
  const pausedAt = performance.now();
  budget.pause(150);
  const waits = await Promise.all(
    Array.from({ length: 2 }, async () => {
      const release = await budget.acquire();
      release();
      return performance.now() - pausedAt;
    }),
  );
  assert.ok(Math.min(...waits) >= 145, `started after ${Math.min(...waits).toFixed(1)} ms of a 150 ms pause`);
  assert.ok(Math.max(...waits) < 900, `the pause did not end: ${Math.max(...waits).toFixed(1)} ms`);
  const spread = Math.abs((waits[1] as number) - (waits[0] as number));
  assert.ok(spread >= 8, `after a pause starts are still paced (spread ${spread.toFixed(1)} ms)`);
});

test('a pause taken while a request waits pushes that request back', async () => {
  const budget = new RequestBudget({ requestsPerSecond: 10 });
  (await budget.acquire())();
  const started = performance.now();
  const waiting = budget.acquire();
  budget.pause(250);
  (await waiting)();
  const waited = performance.now() - started;
  assert.ok(waited >= 245, `waited ${waited.toFixed(1)} ms, expected the 250 ms pause`);
});

test('an aborted waiter leaves the queue and the next one takes its place', async () => {
  const budget = new RequestBudget({ requestsPerSecond: 1000, maxInFlight: 1 });
  const holder = await budget.acquire();
  const controller = new AbortController();
  const abandoned = budget.acquire(controller.signal);
  const next = budget.acquire();
  controller.abort(new Error('run cancelled'));
  await assert.rejects(abandoned, /run cancelled/);
  holder();
  (await next)();
  assert.equal(budget.active, 0);
  await assert.rejects(budget.acquire(AbortSignal.abort(new Error('already'))), /already/);
});

test('bad settings are refused with a ConfigError', () => {
  assert.throws(() => new RequestBudget({ requestsPerSecond: 0 }), ConfigError);
  assert.throws(() => new RequestBudget({ requestsPerSecond: Number.NaN }), ConfigError);
  assert.throws(() => new RequestBudget({ requestsPerSecond: 4, maxInFlight: 0 }), ConfigError);
  assert.equal(new RequestBudget({ requestsPerSecond: 4 }).maxInFlight, 8);
});

test('a higher-priority waiter takes the next slot before earlier ones of lower priority', async () => {
  const budget = new RequestBudget({ requestsPerSecond: 100, maxInFlight: 1 });
  const holder = await budget.acquire();
  const order: string[] = [];
  const take = async (name: string, priority: number) => {
    const release = await budget.acquire(undefined, priority);
    order.push(name);
    release();
  };
  const all = [take('low-1', 0), take('low-2', 0), take('high', 1), take('low-3', 0), take('high-2', 1)];
  holder();
  await Promise.all(all);
  assert.deepEqual(order, ['high', 'high-2', 'low-1', 'low-2', 'low-3']);
});

test('the in-flight limit follows the latency seen, and halves on throttling', async () => {
  const budget = new RequestBudget({ requestsPerSecond: 100 });
  assert.equal(budget.maxInFlight, 10, 'starts at twice the rate, at most 10');
  // Requests that hold their slot 300 ms at 100/s need about 30 in flight to keep the pace.
  const holdAll = Array.from({ length: 60 }, async () => {
    const release = await budget.acquire();
    await sleep(300);
    release();
  });
  await Promise.all(holdAll);
  assert.ok(budget.maxInFlight > 20, `grew to ${budget.maxInFlight}`);
  assert.ok(budget.maxInFlight <= 32, 'never past the cap');
  const before = budget.maxInFlight;
  budget.pause(1);
  assert.equal(budget.maxInFlight, Math.floor(before / 2));
});

test('a fixed maxInFlight does not adapt', async () => {
  const budget = new RequestBudget({ requestsPerSecond: 100, maxInFlight: 3 });
  await Promise.all(Array.from({ length: 6 }, async () => {
    const release = await budget.acquire();
    await sleep(100);
    release();
  }));
  budget.pause(1);
  assert.equal(budget.maxInFlight, 3);
});

/** Start times of `count` requests taken as fast as the budget allows, ms from the first call. */
async function startTimes(budget: RequestBudget, count: number): Promise<number[]> {
  const started = performance.now();
  const times = await Promise.all(
    Array.from({ length: count }, async () => {
      const release = await budget.acquire();
      const at = performance.now() - started;
      release();
      return at;
    }),
  );
  return times.sort((a, b) => a - b);
}

test('at 5/s no more than 5 starts fall within any second plus the margin', async () => {
  const budget = new RequestBudget({ requestsPerSecond: 5, maxInFlight: 20, windowMarginMs: 50 });
  const times = await startTimes(budget, 12);
  // Measured where the caller resumes, a few ms after the budget's start: half the margin is kept as slack.
  for (let i = 5; i < times.length; i++) {
    const span = (times[i] as number) - (times[i - 5] as number);
    assert.ok(span >= 1025, `starts ${i - 5} and ${i} are ${span.toFixed(1)} ms apart: 6 starts within a window`);
  }
  // Even pacing alone would start the 6th at 1000 ms; with the window it starts at 1050 and the 12th at 2300.
  assert.ok((times[11] as number) < 2800, `12 starts took ${(times[11] as number).toFixed(0)} ms`);
});

test('the default pace of 4.8/s stays close to 5 per second', async () => {
  const budget = new RequestBudget({ requestsPerSecond: 4.8 });
  const times = await startTimes(budget, 11);
  const elapsed = times[10] as number;
  // 10 intervals: 2083 ms at 4.8/s, 2100 ms with the window; a strict 5/s limiter allows 2000.
  assert.ok(elapsed >= 2050 && elapsed < 2400, `10 intervals took ${elapsed.toFixed(0)} ms`);
  for (let i = 5; i < times.length; i++) assert.ok((times[i] as number) - (times[i - 5] as number) >= 1025);
});

test('a throttle lowers the pace ×0.9 once per episode, never below half the rate; successes bring it back slowly', () => {
  const budget = new RequestBudget({ requestsPerSecond: 5 });
  assert.equal(budget.currentRate, 5);
  budget.pause(20);
  assert.equal(budget.currentRate, 4.5);
  budget.pause(20); // a second throttle within the same pause: an echo of the same overload
  assert.equal(budget.currentRate, 4.5);
  for (let i = 0; i < 49; i++) budget.noteSuccess();
  assert.equal(budget.currentRate, 4.5);
  budget.noteSuccess();
  assert.ok(Math.abs(budget.currentRate - 4.59) < 1e-9, `after 50 successes: ${budget.currentRate}`);
  for (let i = 0; i < 5000; i++) budget.noteSuccess();
  assert.equal(budget.currentRate, 5, 'never above the configured rate');
});

test('throttles in separate episodes keep lowering the pace down to half the configured rate', async () => {
  const budget = new RequestBudget({ requestsPerSecond: 4 });
  for (let i = 0; i < 12; i++) {
    budget.pause(2);
    await sleep(5);
  }
  assert.equal(budget.currentRate, 2);
});

test('a lowered pace spaces starts further apart', async () => {
  const budget = new RequestBudget({ requestsPerSecond: 20, maxInFlight: 10 });
  for (let i = 0; i < 7; i++) {
    budget.pause(1);
    await sleep(3);
  }
  assert.equal(budget.currentRate, 10);
  const times = await startTimes(budget, 4);
  assert.ok((times[3] as number) >= 295, `3 intervals at 10/s took ${(times[3] as number).toFixed(0)} ms`);
});

test('RateLimit-Limit below the rate becomes the ceiling; a higher one never raises it past the configured rate', () => {
  const budget = new RequestBudget({ requestsPerSecond: 5 });
  assert.deepEqual(budget.observeRateLimit({ limit: 10, startedAt: performance.now() }), {});
  assert.deepEqual(budget.observeRateLimit({ limit: 3, startedAt: performance.now() }), { ceilingChanged: 3 });
  assert.equal(budget.currentRate, 3);
  assert.equal(budget.rateCeiling, 3);
  assert.deepEqual(budget.observeRateLimit({ limit: 3, startedAt: performance.now() }), {}, 'no change, no news');
  assert.deepEqual(budget.observeRateLimit({ limit: 120, windowSeconds: 60, startedAt: performance.now() }), { ceilingChanged: 2 });
  assert.deepEqual(budget.observeRateLimit({ limit: 5, startedAt: performance.now() }), { ceilingChanged: 5 });
  assert.equal(budget.currentRate, 2, 'a raised ceiling is reached by recovering, not at once');
  assert.deepEqual(budget.observeRateLimit({ limit: 0, startedAt: performance.now() }), {}, 'a zero limit is ignored');
});

test('RateLimit-Remaining: 0 that others explain holds the next start until the window clears', async () => {
  const budget = new RequestBudget({ requestsPerSecond: 1000, windowMarginMs: 20 });
  const release = await budget.acquire();
  const startedAt = performance.now();
  release();
  // One request of ours in the window, yet the server's window of 5 is full: someone else uses the account.
  const effect = budget.observeRateLimit({ limit: 5, remaining: 0, startedAt });
  assert.ok(effect.heldMs !== undefined && effect.heldMs > 900 && effect.heldMs <= 1020, `held ${effect.heldMs} ms`);
  (await budget.acquire())();
  const waited = performance.now() - startedAt;
  assert.ok(waited >= 1015 && waited < 1500, `the next start came ${waited.toFixed(0)} ms later`);
});

test('RateLimit-Remaining: 0 that our own starts explain adds no hold', async () => {
  const budget = new RequestBudget({ requestsPerSecond: 50 });
  let startedAt = 0;
  for (let i = 0; i < 5; i++) {
    const release = await budget.acquire();
    startedAt = performance.now();
    release();
  }
  // A window of 5 per 100 ms is 50/s, the configured rate: our 5 starts fill it.
  assert.deepEqual(budget.observeRateLimit({ limit: 5, windowSeconds: 0.1, remaining: 0, startedAt }), {});
  const before = performance.now();
  (await budget.acquire())();
  assert.ok(performance.now() - before < 100, 'the next start keeps its pace');
});

test('a bad window margin is refused', () => {
  assert.throws(() => new RequestBudget({ requestsPerSecond: 4, windowMarginMs: -1 }), ConfigError);
});

test('a throttle asking for no wait (Retry-After: 0) still lowers the pace', () => {
  const budget = new RequestBudget({ requestsPerSecond: 5 });
  budget.pause(0);
  assert.equal(budget.currentRate, 4.5);
  budget.pause(-1);
  budget.pause(Number.NaN);
  assert.equal(budget.currentRate, 4.5, 'nonsense is ignored');
});
