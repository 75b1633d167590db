import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DistinctIds } from '../src/activecampaign/distinct-ids.js';

test('add says whether an id is new; size counts distinct ids, duplicates the repeats', () => {
  const ids = new DistinctIds();
  assert.equal(ids.add('17'), true);
  assert.equal(ids.add(17), false, 'a JSON number and its decimal string are the same id');
  assert.equal(ids.add('18'), true);
  assert.equal(ids.add('17'), false);
  assert.equal(ids.add(0), true);
  assert.equal(ids.size, 3);
  assert.equal(ids.duplicates, 2);
  assert.equal(ids.has('18'), true);
  assert.equal(ids.has(19), false);
});

test('ids that are not canonical non-negative integers are kept apart, by their text', () => {
  const ids = new DistinctIds();
  assert.equal(ids.add('017'), true, '"017" is not "17"');
  assert.equal(ids.add('17'), true);
  assert.equal(ids.add('abc'), true);
  assert.equal(ids.add('abc'), false);
  assert.equal(ids.add(-1), true);
  assert.equal(ids.add('-1'), true, 'the number -1 and the string "-1" differ');
  assert.equal(ids.add(1.5), true);
  assert.equal(ids.add('9007199254740993'), true, 'beyond the safe integers: kept as text');
  assert.equal(ids.add('9007199254740993'), false);
  assert.equal(ids.has('abc'), true);
  assert.equal(ids.has('abd'), false);
  assert.equal(ids.size, 7);
  assert.equal(ids.duplicates, 2);
});

test('a million dense ids cost about one bit each; a few huge ids cost a few blocks', () => {
  const dense = new DistinctIds();
  for (let id = 1; id <= 1_000_000; id++) dense.add(String(id));
  for (let id = 1; id <= 1_000_000; id += 1000) dense.add(id);
  assert.equal(dense.size, 1_000_000);
  assert.equal(dense.duplicates, 1000);
  assert.ok(dense.bytes <= 1_000_000 / 8 + 8192, `${dense.bytes} bytes`);

  const sparse = new DistinctIds();
  for (const id of [1, 2 ** 40, 2 ** 52 + 7, Number.MAX_SAFE_INTEGER]) assert.equal(sparse.add(id), true);
  assert.equal(sparse.add(String(2 ** 40)), false);
  assert.equal(sparse.has(2 ** 40 + 1), false);
  assert.equal(sparse.size, 4);
  assert.equal(sparse.bytes, 4 * 8192);
});

test('bits at block and word edges are kept apart', () => {
  const ids = new DistinctIds();
  const edges = [31, 32, 33, 65_535, 65_536, 65_537, 131_071, 131_072];
  for (const id of edges) assert.equal(ids.add(id), true, `id ${id}`);
  for (const id of edges) assert.equal(ids.has(id), true);
  for (const id of [30, 34, 65_534, 65_538, 131_070, 131_073]) assert.equal(ids.has(id), false, `id ${id}`);
  assert.equal(ids.size, edges.length);
});
