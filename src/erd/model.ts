import type { Column, ForeignKey, TableDef } from '../catalog/index.js';

/**
 * What every diagram format draws, derived once from the catalog: per table the columns worth a row
 * (keys, foreign keys, referenced columns), and one relation per foreign key.
 */

export interface KeyColumn {
  readonly column: Column;
  /** Part of the table's primary key. */
  readonly primary: boolean;
  /** The foreign keys declared on this column (usually none or one). */
  readonly references: readonly ForeignKey[];
  /** Some foreign key of the drawn tables points at this column. */
  readonly referenced: boolean;
}

export interface ErdTable {
  readonly def: TableDef;
  /** The entity a table belongs to: its title up to the first colon ("Deals: tasks" → "Deals"). */
  readonly family: string;
  /** Primary-key columns in key order, then foreign-key and referenced columns in column order. */
  readonly keyColumns: readonly KeyColumn[];
  /** Columns not listed in `keyColumns`. */
  readonly otherColumnCount: number;
}

export interface Relation {
  /** The referencing table and column. */
  readonly child: string;
  readonly column: string;
  /** The referenced table and column. */
  readonly parent: string;
  readonly references: string;
  /** The foreign key is part of the child's primary key (a sub-table of its parent). */
  readonly identifying: boolean;
}

export interface ErdModel {
  readonly tables: readonly ErdTable[];
  readonly relations: readonly Relation[];
}

/** The entity a table belongs to, for grouping and colour. */
export function familyOf(table: TableDef): string {
  const colon = table.title.indexOf(':');
  return (colon === -1 ? table.title : table.title.slice(0, colon)).trim();
}

/**
 * Builds the diagram model. Foreign keys whose parent table is not among `tables` are left out, so a
 * subset of the catalog draws only the relations inside it.
 */
export function buildModel(tables: readonly TableDef[]): ErdModel {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const relations: Relation[] = [];
  for (const table of tables) {
    for (const fk of table.foreignKeys) {
      const parent = byName.get(fk.table);
      if (!parent) continue;
      if (!table.columns.some((c) => c.name === fk.column)) {
        throw new Error(`${table.name}: foreign key column ${fk.column} is not a column of the table`);
      }
      if (!parent.columns.some((c) => c.name === fk.references)) {
        throw new Error(`${table.name}.${fk.column}: referenced column ${fk.table}.${fk.references} does not exist`);
      }
      relations.push({
        child: table.name,
        column: fk.column,
        parent: fk.table,
        references: fk.references,
        identifying: table.primaryKey.includes(fk.column),
      });
    }
  }

  const referenced = new Set(relations.map((r) => `${r.parent}.${r.references}`));
  const erdTables = tables.map((def): ErdTable => {
    const describe = (column: Column): KeyColumn => ({
      column,
      primary: def.primaryKey.includes(column.name),
      references: def.foreignKeys.filter((fk) => fk.column === column.name && byName.has(fk.table)),
      referenced: referenced.has(`${def.name}.${column.name}`),
    });
    const primary = def.primaryKey.map((name) => {
      const column = def.columns.find((c) => c.name === name);
      if (!column) throw new Error(`${def.name}: primary key column ${name} is not a column of the table`);
      return describe(column);
    });
    const others = def.columns
      .filter((c) => !def.primaryKey.includes(c.name))
      .map(describe)
      .filter((k) => k.references.length > 0 || k.referenced);
    const keyColumns = [...primary, ...others];
    return { def, family: familyOf(def), keyColumns, otherColumnCount: def.columns.length - keyColumns.length };
  });

  return { tables: erdTables, relations };
}

/** The families in order of first appearance, for a stable colour per family. */
export function familiesOf(model: ErdModel): readonly string[] {
  return [...new Set(model.tables.map((t) => t.family))];
}
