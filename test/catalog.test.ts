import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { TABLES, getTable } from '../src/catalog/index.js';

interface ContractTable {
  table: string;
  title: string;
  primaryKey: string[];
  modes: string[];
  columns: { name: string; type: string }[];
}

// The contract lives outside the repo (shared spec); a vendored copy keeps the test runnable from a clone.
const contract = JSON.parse(readFileSync(new URL('../docs/tables.json', import.meta.url), 'utf8')) as ContractTable[];

test('the catalog holds exactly the 33 tables of the contract, in page order', () => {
  assert.equal(TABLES.length, 33);
  assert.deepEqual(
    TABLES.map((t) => t.name),
    contract.map((t) => t.table),
  );
});

for (const expected of contract) {
  test(`${expected.table}: title, key, modes, column names, order and types match tables.json`, () => {
    const table = getTable(expected.table);
    assert.ok(table, `catalog lacks ${expected.table}`);
    assert.equal(table.title, expected.title);
    assert.deepEqual(table.primaryKey, expected.primaryKey);
    assert.deepEqual(table.modes, expected.modes);
    // A documented deviation keeps the name and position and changes only the type (docs/deviations.md).
    assert.deepEqual(
      table.columns.map((c, i) => ({ name: c.name, type: c.deviation ? expected.columns[i]?.type : c.type })),
      expected.columns,
    );
  });
}

test('every type deviation from the contract is listed in docs/deviations.md', () => {
  const listed = readFileSync(new URL('../docs/deviations.md', import.meta.url), 'utf8');
  const deviations = TABLES.flatMap((t) => t.columns.filter((c) => c.deviation).map((c) => `${t.name}.${c.name}`));
  assert.ok(deviations.length > 0);
  for (const name of deviations) assert.ok(listed.includes(`\`${name}\``), `${name} is not in docs/deviations.md`);
});

test('every foreign key names a catalog table and column', () => {
  for (const table of TABLES) {
    for (const fk of table.foreignKeys) {
      assert.ok(table.columns.some((c) => c.name === fk.column), `${table.name}.${fk.column}`);
      const parent = getTable(fk.table);
      assert.ok(parent, `${table.name}.${fk.column} → unknown table ${fk.table}`);
      assert.ok(parent.columns.some((c) => c.name === fk.references), `${fk.table}.${fk.references}`);
    }
  }
});

test('incremental is declared exactly where the contract offers it', () => {
  for (const table of TABLES) {
    assert.equal(table.incremental !== undefined, table.modes.includes('incremental'), table.name);
  }
});

test('each table declares the method its later runs use, matching how it is read', () => {
  for (const table of TABLES) {
    const inc = table.incremental;
    const expected = !inc ? 'full' : inc.child ? 'changed-parents' : inc.perChangedParent ? 'changed-parents-list' : 'updated-after';
    assert.equal(table.method.kind, expected, table.name);
    assert.ok(table.method.basis.length > 20, `${table.name}: the method says on what grounds`);
    if (inc?.child) assert.match(table.method.basis, new RegExp(`include=${inc.child.include.replace('.', '\\.')}`), table.name);
  }
});
