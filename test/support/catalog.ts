/** The catalog's table of that name, for tests: a name the catalog lacks fails the test that asked for it. */
import assert from 'node:assert/strict';
import { getTable, type TableDef } from '../../src/catalog/index.js';

export function table(name: string): TableDef {
  const found = getTable(name);
  assert.ok(found, `catalog lacks ${name}`);
  return found;
}
