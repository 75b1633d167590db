/**
 * The catalog as dbt sources (`sources.yml`): every table and column with its description, `unique` and
 * `not_null` tests on primary keys, and `relationships` tests from the catalog's foreign keys, so a dbt project
 * built on an acsync copy documents and checks it without writing a line.
 */
import { stringify } from 'yaml';
import type { TableDef } from '../catalog/index.js';

/** Where dbt finds the tables: the database (catalog) and schema (destinations/kinds.ts `tablesLocation`). */
export interface SourceLocation {
  readonly database?: string | undefined;
  readonly schema: string;
  /** What a reader must do first for the tables to exist there. */
  readonly note?: string | undefined;
}

export const SOURCE_NAME = 'activecampaign';

type Test = string | Record<string, Record<string, unknown>>;

/** An identifier double-quoted for SQL, as the destinations create them (many column names are keywords). */
const quoted = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * Relationships are warnings: an ActiveCampaign account keeps rows whose parent was deleted (a note on a
 * deleted deal, a tag association of a deleted tag), so an orphan is a fact to know, not a broken copy.
 */
const RELATIONSHIP_SEVERITY = { severity: 'warn' };

function tableEntry(table: TableDef, present: ReadonlySet<string>): Record<string, unknown> {
  const single = table.primaryKey.length === 1 ? table.primaryKey[0] : undefined;
  const columns = table.columns.map((column) => {
    const tests: Test[] = [];
    if (table.primaryKey.includes(column.name)) tests.push('not_null');
    if (column.name === single) tests.push('unique');
    // A relationship to a table the copy does not hold could only fail.
    for (const key of table.foreignKeys.filter((k) => k.column === column.name && present.has(k.table))) {
      tests.push({
        relationships: { to: `source('${SOURCE_NAME}', '${key.table}')`, field: quoted(key.references), config: RELATIONSHIP_SEVERITY },
      });
    }
    return {
      name: column.name,
      ...(column.description && { description: column.description }),
      // Tests name the column in SQL: quoted, as the destinations created it.
      ...(tests.length > 0 && { quote: true, data_tests: tests }),
    };
  });
  // A composite key is unique as a whole: dbt's `unique` over the key's columns joined into one value.
  const tableTests: Test[] = single ? [] : [{
    unique: { column_name: `(${table.primaryKey.map((c) => `${quoted(c)}`).join(` || '-' || `)})` },
  }];
  return {
    name: table.name,
    description: table.description,
    ...(tableTests.length > 0 && { data_tests: tableTests }),
    columns,
  };
}

/** The `sources.yml` text for `tables` read at `location`. */
export function dbtSources(tables: readonly TableDef[], location: SourceLocation): string {
  const source = {
    name: SOURCE_NAME,
    description: `ActiveCampaign, replicated by acsync.${location.note ? ` ${location.note}` : ''}`,
    ...(location.database !== undefined && { database: location.database }),
    schema: location.schema,
    tables: tables.map((table) => tableEntry(table, new Set(tables.map((t) => t.name)))),
  };
  const header = '# dbt sources for an acsync copy of ActiveCampaign, written by `acsync dbt`.\n';
  return header + stringify({ version: 2, sources: [source] }, { lineWidth: 0, aliasDuplicateObjects: false });
}
