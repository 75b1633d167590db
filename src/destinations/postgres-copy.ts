/**
 * The COPY text format, in which a batch travels to PostgreSQL: each logical type's values written as
 * PostgreSQL reads them back exactly, rows as tab-separated lines, sent with COPY … FROM STDIN.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { LogicalType, TableDef } from '../catalog/index.js';
import { civilFromDays } from '../core/calendar.js';
import type { TypedRow, TypedValue } from '../core/contract.js';
import { JS_TYPES, wrongType } from './batches.js';

const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '' };
const COPY_SPECIAL = /[\\\t\n\r\0]/;
const COPY_SPECIAL_ALL = /[\\\t\n\r\0]/g;

/**
 * The COPY text form of a text value: backslash, tab, newline and carriage return escaped. PostgreSQL's
 * text cannot hold U+0000, so it is dropped (DuckDB keeps it; the API has no reason to send it).
 */
export function copyTextValue(value: string): string {
  return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c]!) : value;
}

const DAY_MICROS = 86_400_000_000;
const DAY_MICROS_BIG = 86_400_000_000n;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** `YYYY-MM-DD` of a day number, and the era suffix PostgreSQL needs for years before 1 (` BC`). */
function dateParts(days: number): [date: string, era: string] {
  const [year, month, day] = civilFromDays(days);
  // Astronomical year 0 is 1 BC.
  const shownYear = year > 0 ? year : 1 - year;
  return [`${pad(shownYear, 4)}-${pad(month, 2)}-${pad(day, 2)}`, year > 0 ? '' : ' BC'];
}

/** A day number as a PostgreSQL date literal. */
export function copyDate(days: number): string {
  const [date, era] = dateParts(days);
  return date + era;
}

/** Microseconds since 1970-01-01 UTC as a PostgreSQL timestamp literal with all six fractional digits. */
export function copyTimestamp(micros: bigint): string {
  let days: number;
  let microsOfDay: number;
  const small = Number(micros);
  if (Number.isSafeInteger(small)) {
    days = Math.floor(small / DAY_MICROS);
    microsOfDay = small - days * DAY_MICROS;
  } else {
    let bigDays = micros / DAY_MICROS_BIG;
    let rest = micros % DAY_MICROS_BIG;
    if (rest < 0n) {
      rest += DAY_MICROS_BIG;
      bigDays -= 1n;
    }
    days = Number(bigDays);
    microsOfDay = Number(rest);
  }
  const seconds = Math.floor(microsOfDay / 1_000_000);
  const fraction = microsOfDay - seconds * 1_000_000;
  const [date, era] = dateParts(days);
  const time = `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}`;
  return `${date} ${time}.${pad(fraction, 6)}${era}`;
}

/** A double as COPY text: the shortest form that reads back to the same double (`-0` kept). */
function copyFloat(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

/** The function writing one column's non-NULL values, checking each value has its logical type's JS type. */
export function copyFormatter(table: TableDef, column: string, type: LogicalType): (value: TypedValue) => string {
  const jsType = JS_TYPES[type];
  const check = (value: TypedValue) => {
    if (typeof value !== jsType) throw wrongType(table, column, type, value);
  };
  switch (type) {
    case 'float':
      return (value) => { check(value); return copyFloat(value as number); };
    case 'text':
      return (value) => { check(value); return copyTextValue(value as string); };
    case 'boolean':
      return (value) => { check(value); return value ? 't' : 'f'; };
    case 'date':
      return (value) => {
        check(value);
        if (!Number.isInteger(value)) throw new Error(`table ${table.name}, column ${column}: a date must be a whole day number, got ${String(value)}`);
        return copyDate(value as number);
      };
    case 'timestamp':
      return (value) => { check(value); return copyTimestamp(value as bigint); };
  }
}

/** The rows in COPY text format: tab-separated, `\N` for NULL, one line per row; `formatters` one per column. */
export function copyText(rows: readonly TypedRow[], formatters: readonly ((value: TypedValue) => string)[]): string {
  const width = formatters.length;
  const lines = new Array<string>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    let line = '';
    for (let c = 0; c < width; c++) {
      const value = row[c]!;
      if (c > 0) line += '\t';
      line += value === null ? '\\N' : formatters[c]!(value);
    }
    lines[r] = line;
  }
  return `${lines.join('\n')}\n`;
}

/** Runs one COPY … FROM STDIN with `text` as its data. */
export async function copy(client: pg.Client, sql: string, text: string): Promise<void> {
  await pipeline(Readable.from([Buffer.from(text, 'utf8')]), client.query(copyStreams.from(sql)));
}
