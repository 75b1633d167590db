/** The heap ceiling of a sync (src/engine/heap.ts) against this process's own V8 heap. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeapStatistics } from 'node:v8';
import { HeapCeiling } from '../src/engine/heap.js';

const MB = 1024 * 1024;

/** About `mb` MB of small objects and strings, as parsed pages are. */
function pages(mb: number): { id: number; email: string }[][] {
  const held: { id: number; email: string }[][] = [];
  for (let page = 0; page < mb * 70; page++) {
    held.push(Array.from({ length: 100 }, (_, i) => ({ id: page * 100 + i, email: `contact-${page}-${i}@example.com` })));
  }
  return held;
}

const used = () => getHeapStatistics().used_heap_size;

test('a heap grown past its ceiling by garbage is collected down to what is live', () => {
  const ceiling = new HeapCeiling(16 * MB);
  ceiling.check();
  const live = used();
  let held: unknown = pages(48);
  assert.ok(used() > live + 32 * MB, 'the pages take room in the heap');
  held = null;
  ceiling.check();
  assert.equal(held, null);
  assert.ok(ceiling.collections >= 1);
  assert.ok(used() < live + 16 * MB, `the garbage stays in the heap: ${Math.round(used() / MB)} MB in use, ${Math.round(live / MB)} MB live before`);
});

test('a live set larger than the ceiling is collected again only once it has grown by half the ceiling', () => {
  const ceiling = new HeapCeiling(16 * MB);
  const held = [pages(32)];
  ceiling.check();
  const first = ceiling.collections;
  assert.ok(first >= 1, 'past the ceiling: collected');
  ceiling.check();
  ceiling.check();
  assert.equal(ceiling.collections, first, 'nothing to gain: not collected again');
  held.push(pages(16));
  ceiling.check();
  assert.equal(ceiling.collections, first + 1, 'grown by more than half the ceiling: collected again');
  assert.equal(held.length, 2);
});
