/** Seams between overlapping offset pages (src/engine/seams.ts): which ones are suspect, as pure logic. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from '../src/activecampaign/pages.js';
import { SEAM_ROWS, SeamWatch } from '../src/engine/seams.js';

/** A page of `ids` starting at `start`, each row with the order key `cdate` from `dates` (default: its id). */
function page(start: number, ids: number[], dates: (id: number) => string = (id) => `d${id}`): Page {
  const rows = ids.map((id) => ({ id: String(id), cdate: dates(id) }));
  return { body: {}, rows, position: { offset: start + rows.length, rows: start + rows.length }, last: false };
}
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

test('stable pages: each page repeats the last row of the one before, and no seam is suspect', () => {
  assert.equal(SEAM_ROWS, 1);
  const watch = new SeamWatch('cdate');
  watch.observe(page(0, range(1, 100)));
  watch.observe(page(99, range(100, 100)));
  watch.observe(page(198, range(199, 40)));
  assert.deepEqual(watch.seams, []);
  assert.equal(watch.distinct, 238);
});

test('a row removed between two requests shifts the next page: the seam is suspect', () => {
  const watch = new SeamWatch('cdate');
  watch.observe(page(0, range(1, 100)));
  // Row 50 was removed after the first request: the second page starts one row later than the first ended.
  watch.observe(page(99, range(101, 100)));
  assert.deepEqual(watch.seams, [[0, 99]]);
});

test('a run of equal values across a seam is suspect even when the repeated row matches', () => {
  const tied = (id: number) => (id >= 90 && id <= 130 ? 'same second' : `d${id}`);
  const watch = new SeamWatch('cdate');
  watch.observe(page(0, range(1, 100), tied));
  watch.observe(page(99, range(100, 100), tied));
  assert.deepEqual(watch.seams, [[0, 99]]);
  assert.equal(watch.add([{ id: '5' }, { id: '500' }]), 1, 'only rows new to the stream count');
});
