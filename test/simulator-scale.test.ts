/**
 * The arithmetic layouts behind the simulator, checked against brute force, and a 1,000,000-contact account
 * served from its last pages (timings are reported, not asserted).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DenseSpace, RowSet, SlotSpace } from '../src/simulator/layout.js';
import { DEMO_KEY, startSimulator } from '../src/simulator/index.js';
import { hash } from '../src/simulator/random.js';

type Rec = Record<string, unknown>;

describe('id layouts', () => {
  test('SlotSpace rank/select/nextPresent agree with brute force', () => {
    const space = new SlotSpace(3000, 7, (g) => hash(1, g) & 0x7f & (g % 5 === 0 ? 0 : 0x7f));
    const present: number[] = [];
    for (let id = 1; id <= space.maxId; id++) if (space.present(id)) present.push(id);
    assert.equal(space.count(), present.length);
    present.forEach((id, k) => {
      assert.equal(space.select(k), id);
      assert.equal(space.rank(id), k);
    });
    assert.equal(space.rank(space.maxId + 10), present.length);
    for (const probe of [1, 2, 500, 12_345, space.maxId]) assert.equal(space.nextPresent(probe), present.find((id) => id >= probe) ?? 0);
  });

  test('RowSet with deletions and inserts: count, has, select, rank and after agree with brute force', () => {
    for (const base of [new DenseSpace(2000), new SlotSpace(700, 5, (g) => hash(2, g))]) {
      const rows = new RowSet(base);
      const truth: number[] = [];
      for (let id = 1; id <= base.maxId; id++) if (base.present(id)) truth.push(id);
      for (let i = 0; i < 400; i++) {
        const h = hash(3, i);
        if (h % 3 === 0) {
          truth.push(rows.add());
        } else if (truth.length > 0) {
          const [victim] = truth.splice(h % truth.length, 1);
          assert.ok(rows.remove(victim as number));
          assert.equal(rows.remove(victim as number), false);
        }
      }
      assert.equal(rows.count(), truth.length);
      truth.forEach((id, k) => {
        assert.equal(rows.select(k), id);
        assert.equal(rows.rank(id), k);
        assert.ok(rows.has(id));
      });
      assert.equal(rows.select(truth.length), 0);
      assert.deepEqual([...rows.all()], truth);
      for (const after of [0, 17, 999, truth[truth.length - 3] as number]) {
        assert.deepEqual(rows.after(after, 25), truth.filter((id) => id > after).slice(0, 25));
      }
    }
  });
});

describe('a 1,000,000-contact account', () => {
  test('serves its last pages (keyset and deep offsets) quickly and correctly', async (t) => {
    const sim = await startSimulator({ contacts: 1_000_000, rateLimit: 0 });
    try {
      const timed = async (path: string): Promise<{ ms: number; body: Rec }> => {
        const start = performance.now();
        const response = await fetch(`${sim.url}/api/3${path}`, { headers: { 'Api-Token': DEMO_KEY } });
        const body = (await response.json()) as Rec;
        assert.equal(response.status, 200, path);
        return { ms: performance.now() - start, body };
      };
      const last = await timed('/contacts?orders[id]=ASC&id_greater=999950&limit=100');
      const contacts = last.body.contacts as Rec[];
      assert.deepEqual(contacts.map((c) => Number(c.id)), Array.from({ length: 50 }, (_, i) => 999_951 + i));
      assert.equal((last.body.meta as Rec).total, '1000000');
      const again = await timed('/contacts?orders[id]=ASC&id_greater=999900&limit=100');
      const deepOffset = await timed('/contacts?limit=100&offset=999900');
      assert.equal((deepOffset.body.contacts as Rec[])[0]?.id, '999901');
      const fieldValuesFirst = await timed('/fieldValues?limit=100&offset=2500000');
      const fieldValuesWarm = await timed('/fieldValues?limit=100&offset=2600000');
      assert.equal((fieldValuesWarm.body.fieldValues as Rec[]).length, 100);
      t.diagnostic(`last keyset page: ${last.ms.toFixed(1)} ms (first request), ${again.ms.toFixed(1)} ms (warm)`);
      t.diagnostic(`contacts offset 999900: ${deepOffset.ms.toFixed(1)} ms`);
      t.diagnostic(`fieldValues offset 2.5M: ${fieldValuesFirst.ms.toFixed(1)} ms (builds block counts), 2.6M: ${fieldValuesWarm.ms.toFixed(1)} ms`);
      t.diagnostic(`test process RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
    } finally {
      await sim.close();
    }
  });
});
