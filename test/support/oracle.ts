/**
 * The test oracle: what each table must hold, built straight from the simulator's records (the data behind its
 * HTTP answers) rather than from anything acsync fetched. Values are typed with the same converter as the product;
 * typing has its own tests (typing.test.ts), so this oracle checks fetching, paging, splitting, joining and loading.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { TableDef } from '../../src/catalog/index.js';
import type { TypedRow, TypedValue } from '../../src/core/contract.js';
import { rowConverter } from '../../src/engine/typing.js';
import type { SimAccount } from '../../src/simulator/index.js';

/** The simulator's account time is -03:00 (America/Sao_Paulo, no daylight saving since 2019). */
export const SIM_OFFSET_MINUTES = -180;

export function expectedRows(table: TableDef, account: SimAccount): TypedRow[] {
  const source = table.source;
  const resource = source.rows === 'dealCustomFieldData' ? 'deals.dealCustomFieldData' : (source.rows ?? source.endpoint.envelope);
  const tags = source.join ? new Map([...account.records(source.join.endpoint.envelope)].map((t) => [String(t.id), t])) : null;
  const convert = rowConverter(table);
  const rows: TypedRow[] = [];
  for (const record of account.records(resource)) {
    if (source.where && record[source.where.key] !== source.where.equals) continue;
    const joined = source.join ? (tags?.get(String(record[source.join.on])) ?? null) : undefined;
    rows.push(convert(record, { timeZone: null, offsetMinutes: SIM_OFFSET_MINUTES }, [], joined));
  }
  return sortByKey(table, rows);
}

export function sortByKey(table: TableDef, rows: TypedRow[]): TypedRow[] {
  const keyIndexes = table.primaryKey.map((k) => table.columns.findIndex((c) => c.name === k));
  // Rows of a key seen twice: the API may list a row twice across pages; the copy keeps one.
  const byKey = new Map<string, TypedRow>();
  for (const row of rows) byKey.set(keyIndexes.map((i) => String(row[i])).join('|'), row);
  return [...byKey.values()].sort((a, b) => {
    for (const i of keyIndexes) {
      const d = Number(a[i]) - Number(b[i]);
      if (d !== 0) return d;
    }
    return 0;
  });
}

/**
 * Reads `from` (a table name or a table function such as read_parquet) with DuckDB, typed as TypedRow
 * (timestamps as µs bigints, dates as day numbers) and ordered by primary key.
 */
export async function readTypedWithDuckDb(database: string, from: string, table: TableDef): Promise<TypedRow[]> {
  const instance = await DuckDBInstance.create(database, database === ':memory:' ? {} : { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const select = table.columns
      .map((c) => {
        const q = `"${c.name}"`;
        if (c.type === 'timestamp') return `epoch_us(${q}) AS ${q}`;
        if (c.type === 'date') return `(${q} - DATE '1970-01-01') AS ${q}`;
        return q;
      })
      .join(', ');
    const order = table.primaryKey.map((k) => `"${k}"`).join(', ');
    const reader = await connection.runAndReadAll(`SELECT ${select} FROM ${from} ORDER BY ${order}`);
    return reader.getRows().map((row) =>
      row.map((value, i): TypedValue => {
        if (value === null) return null;
        const type = table.columns[i]?.type;
        if (type === 'timestamp') return BigInt(value as bigint);
        if (type === 'date') return Number(value);
        return value as TypedValue;
      }),
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Reads a table back from a DuckDB file. */
export function readDuckDbTable(path: string, table: TableDef): Promise<TypedRow[]> {
  return readTypedWithDuckDb(path, `"${table.name}"`, table);
}
