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
  assert.ok(elapsed >= 195 && elapsed < 700, `10 intervals at 50/s took ${elapsed.toFixed(1)} ms`);
  assert.ok((startTimes[0] as number) < 15, 'the first request starts at once');
  for (let i = 1; i < startTimes.length; i++) {
    const gap = (startTimes[i] as number) - (startTimes[i - 1] as number);
    assert.ok(gap >= 18, `gap ${i} was ${gap.toFixed(1)} ms, below the 20 ms interval`);
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
