/**
 * Turns API values into values of the catalog's logical types (docs/tables.md 1.3-1.5).
 *
 * This runs on every value of every row, so the parsers scan characters instead of using regular
 * expressions, a table's column plans are built once (`rowConverter`), and time-zone offsets come from the
 * cached resolver of core/time-zone.ts.
 */
import type { Column, TableDef } from '../catalog/index.js';
import type { TypedRow, TypedValue } from '../core/contract.js';
import { daysFromCivil } from '../core/calendar.js';
import { zoneResolver } from '../core/time-zone.js';

export interface TypingContext {
  /** IANA zone (from the user's `timezone` setting) or null. */
  readonly timeZone: string | null;
  /** Fallback offset in minutes east of UTC, from an ISO timestamp of the same record or its parent (1.5.2). */
  offsetMinutes?: number | null;
}

/** A value that could not be converted to its column's type; it was written as NULL. */
export interface ConversionIssue {
  column: string;
  value: unknown;
}

const ZERO_DATE = '0000-00-00';
const ZERO_DATE_TIME = '0000-00-00 00:00:00';

const SECONDS_PER_DAY = 86_400;

// ---------------------------------------------------------------------------------------------------
// Calendar arithmetic

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// ---------------------------------------------------------------------------------------------------
// Date-time parsing. The parser writes into these module fields instead of allocating a result object.

let parsedDays = 0;
/** Seconds since midnight of the parsed wall-clock time (0 for a date-only value). */
let parsedSecondOfDay = 0;
let parsedMicros = 0;
let parsedHasTime = false;
/** Offset in seconds east of UTC, or NaN when the value carries none. */
let parsedOffsetSeconds = Number.NaN;

/** Value of the two ASCII digits at `i`, or -1. */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/**
 * Parses `YYYY-MM-DD`, optionally followed by `T` or a space, `HH:MM[:SS[.ffffff]]` and an offset
 * (`Z`, `±HH:MM`, `±HHMM`, `±HH`). Digits beyond the microsecond are dropped.
 */
function parseDateTime(s: string): boolean {
  const length = s.length;
  if (length < 10 || s.charCodeAt(4) !== 45 /* - */ || s.charCodeAt(7) !== 45) return false;
  const century = twoDigits(s, 0);
  const yearInCentury = twoDigits(s, 2);
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  if (century < 0 || yearInCentury < 0 || month < 1 || month > 12 || day < 1) return false;
  const year = century * 100 + yearInCentury;
  if (day > daysInMonth(year, month)) return false;
  parsedDays = daysFromCivil(year, month, day);
  parsedSecondOfDay = 0;
  parsedMicros = 0;
  parsedOffsetSeconds = Number.NaN;
  parsedHasTime = false;
  if (length === 10) return true;

  const separator = s.charCodeAt(10);
  if (separator !== 84 /* T */ && separator !== 32 /* space */ && separator !== 116 /* t */) return false;
  if (length < 16 || s.charCodeAt(13) !== 58 /* : */) return false;
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return false;
  let second = 0;
  let i = 16;
  if (i < length && s.charCodeAt(i) === 58) {
    second = twoDigits(s, i + 1);
    if (second < 0 || second > 59) return false;
    i += 3;
    if (i < length && (s.charCodeAt(i) === 46 /* . */ || s.charCodeAt(i) === 44 /* , */)) {
      i++;
      const start = i;
      let micros = 0;
      while (i < length) {
        const digit = s.charCodeAt(i) - 48;
        if (digit < 0 || digit > 9) break;
        if (i - start < 6) micros = micros * 10 + digit;
        i++;
      }
      const digits = i - start;
      if (digits === 0) return false;
      for (let k = digits; k < 6; k++) micros *= 10;
      parsedMicros = micros;
    }
  }
  parsedHasTime = true;
  parsedSecondOfDay = hour * 3600 + minute * 60 + second;
  if (i === length) return true;

  const sign = s.charCodeAt(i);
  if ((sign === 90 /* Z */ || sign === 122 /* z */) && i + 1 === length) {
    parsedOffsetSeconds = 0;
    return true;
  }
  if (sign !== 43 /* + */ && sign !== 45 /* - */) return false;
  const offsetHours = twoDigits(s, i + 1);
  if (offsetHours < 0 || offsetHours > 23) return false;
  let offsetMinutes = 0;
  const rest = length - (i + 3);
  if (rest === 3 && s.charCodeAt(i + 3) === 58) offsetMinutes = twoDigits(s, i + 4);
  else if (rest === 2) offsetMinutes = twoDigits(s, i + 3);
  else if (rest !== 0) return false;
  if (offsetMinutes < 0 || offsetMinutes > 59) return false;
  const offset = offsetHours * 3600 + offsetMinutes * 60;
  parsedOffsetSeconds = sign === 45 ? -offset : offset;
  return true;
}

/** Microseconds since the epoch as a bigint; one BigInt conversion when the product is exact as a double. */
function toMicros(seconds: number, micros: number): bigint {
  const total = seconds * 1_000_000 + micros;
  return Number.isSafeInteger(total) ? BigInt(total) : BigInt(seconds) * 1_000_000n + BigInt(micros);
}

/** Offset (minutes east of UTC) of the first ISO timestamp with an offset among a record's values, or null. */
export function recordOffset(record: Record<string, unknown>): number | null {
  for (const key in record) {
    const value = record[key];
    // Only `YYYY-MM-DDTHH:MM…` strings can carry an offset; the length test skips most values cheaply.
    if (typeof value !== 'string' || value.length < 17 || value.charCodeAt(10) !== 84 /* T */) continue;
    if (parseDateTime(value) && !Number.isNaN(parsedOffsetSeconds)) return parsedOffsetSeconds / 60;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Conversions per logical type. Each returns the typed value, or `undefined` when the value is not
// convertible (the caller writes NULL and records the issue).

/** Strict decimal: optional sign, digits with an optional point, optional exponent; no spaces, hex or words. */
function parseDecimal(s: string): number | undefined {
  const length = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 45 /* - */ || c === 43 /* + */) i++;
  let digits = 0;
  while (i < length) {
    c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    digits++;
    i++;
  }
  if (i < length && s.charCodeAt(i) === 46 /* . */) {
    i++;
    while (i < length) {
      c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      digits++;
      i++;
    }
  }
  if (digits === 0) return undefined;
  if (i < length && (s.charCodeAt(i) | 32) === 101 /* e */) {
    i++;
    c = s.charCodeAt(i);
    if (c === 45 || c === 43) i++;
    const start = i;
    while (i < length) {
      c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      i++;
    }
    if (i === start) return undefined;
  }
  return i === length ? Number(s) : undefined;
}

function toFloat(raw: unknown): number | undefined {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string') return parseDecimal(raw);
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  return undefined;
}

function toBoolean(raw: unknown): boolean | undefined {
  switch (raw) {
    case true: case 1: case '1': case 'true': return true;
    case false: case 0: case '0': case 'false': return false;
    default: return undefined;
  }
}

function toDate(raw: unknown): number | undefined {
  if (typeof raw !== 'string' || !parseDateTime(raw)) return undefined;
  // A date-time keeps its calendar date as written, whatever its offset.
  return parsedDays;
}

/** Cuts a string to its first `max` Unicode code points (a surrogate pair is one code point). */
function cutCodePoints(s: string, max: number): string {
  if (s.length <= max) return s;
  let index = 0;
  for (let count = 0; count < max && index < s.length; count++) {
    const c = s.charCodeAt(index);
    const isPair = c >= 0xd800 && c <= 0xdbff && index + 1 < s.length
      && (s.charCodeAt(index + 1) & 0xfc00) === 0xdc00;
    index += isPair ? 2 : 1;
  }
  return s.slice(0, index);
}

function toText(raw: unknown, json: boolean, maxChars: number): string | undefined {
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (typeof raw === 'number') text = String(raw);
  else if (typeof raw === 'boolean') text = raw ? 'true' : 'false';
  else if (json && typeof raw === 'object' && raw !== null) text = JSON.stringify(raw);
  else return undefined;
  return maxChars > 0 ? cutCodePoints(text, maxChars) : text;
}

/** Where a naive account-local time gets its offset when no IANA zone is set. */
type LocalOffset = () => number;

function toTimestamp(raw: unknown, utcKey: boolean, timeZone: string | null, localOffset: LocalOffset): bigint | undefined {
  if (typeof raw !== 'string' || !parseDateTime(raw)) return undefined;
  // Read the parser's fields now: finding the record's offset parses other values.
  const local = parsedDays * SECONDS_PER_DAY + parsedSecondOfDay;
  const micros = parsedMicros;
  let utc: number;
  if (!Number.isNaN(parsedOffsetSeconds)) utc = local - parsedOffsetSeconds;
  else if (!parsedHasTime || utcKey) utc = local;
  else if (timeZone !== null) utc = zoneResolver(timeZone).localToUtc(local);
  else utc = local - localOffset() * 60;
  return toMicros(utc, micros);
}

// ---------------------------------------------------------------------------------------------------
// Columns

// Logical types as small integers: the per-value switch compares numbers, not strings.
const FLOAT = 0;
const TEXT = 1;
const BOOLEAN = 2;
const DATE = 3;
const TIMESTAMP = 4;
type Kind = typeof FLOAT | typeof TEXT | typeof BOOLEAN | typeof DATE | typeof TIMESTAMP;

const KINDS: Readonly<Record<Column['type'], Kind>> = {
  float: FLOAT,
  text: TEXT,
  boolean: BOOLEAN,
  date: DATE,
  timestamp: TIMESTAMP,
};

/** What converting one column needs, resolved once per table. */
interface ColumnPlan {
  readonly name: string;
  readonly source: string;
  readonly joined: boolean;
  readonly kind: Kind;
  /** Timestamps: a naive value is already UTC (the source key's name contains `utc`). */
  readonly utcKey: boolean;
  /** Text: objects and arrays become JSON text. */
  readonly json: boolean;
  /** Text: cut to this many code points; 0 for no limit. */
  readonly maxChars: number;
}

/** `utc` as a word of a key (`created_utc_timestamp`, `createdUtcTimestamp`), not inside one (`outcome`). */
const UTC_KEY = /(?:^|_)utc(?:_|$)|Utc|UTC/;

function planColumn(column: Column): ColumnPlan {
  return {
    name: column.name,
    source: column.source,
    joined: column.joined !== undefined,
    kind: KINDS[column.type],
    utcKey: UTC_KEY.test(column.source),
    json: column.type === 'text' && column.json === true,
    maxChars: column.maxChars ?? 0,
  };
}

function convert(plan: ColumnPlan, raw: unknown, timeZone: string | null, localOffset: LocalOffset,
  issues: ConversionIssue[] | undefined): TypedValue {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string') {
    if (raw.length === 0) return plan.kind === TEXT ? '' : null;
    if (raw.charCodeAt(0) === 48 /* 0 */ && (raw === ZERO_DATE || raw === ZERO_DATE_TIME)) return null;
  }
  let value: TypedValue | undefined;
  switch (plan.kind) {
    case FLOAT: value = toFloat(raw); break;
    case TEXT: value = toText(raw, plan.json, plan.maxChars); break;
    case BOOLEAN: value = toBoolean(raw); break;
    case DATE: value = toDate(raw); break;
    case TIMESTAMP: value = toTimestamp(raw, plan.utcKey, timeZone, localOffset); break;
  }
  if (value === undefined) {
    issues?.push({ column: plan.name, value: raw });
    return null;
  }
  return value;
}

/** Converts one API value to its column's type; an unconvertible value gives NULL and, if given, an issue. */
export function typeValue(column: Column, raw: unknown, ctx: TypingContext, issues?: ConversionIssue[]): TypedValue {
  const offset = ctx.offsetMinutes ?? 0;
  return convert(planColumn(column), raw, ctx.timeZone, () => offset, issues);
}

/**
 * Builds a table's row converter once (column lookups resolved up front); `joined` is the contacts_tags tag object.
 *
 * Without a time zone, a naive account-local time takes the offset of an ISO timestamp of its own object
 * (the joined tag for tag columns), then `ctx.offsetMinutes` (the parent's), then UTC (docs/tables.md 1.5).
 */
export function rowConverter(table: TableDef): (record: Record<string, unknown>, ctx: TypingContext,
  issues: ConversionIssue[], joined?: Record<string, unknown> | null) => TypedRow {
  const plans = table.columns.map(planColumn);
  const count = plans.length;

  // Per-row state for the lazily computed offsets; the converter is synchronous, so sharing is safe.
  let currentRecord: Record<string, unknown> = {};
  let currentJoined: Record<string, unknown> | null | undefined = null;
  let fallbackMinutes = 0;
  let recordMinutes: number | undefined;
  let joinedMinutes: number | undefined;
  const recordLocalOffset: LocalOffset = () => {
    if (recordMinutes === undefined) recordMinutes = recordOffset(currentRecord) ?? fallbackMinutes;
    return recordMinutes;
  };
  const joinedLocalOffset: LocalOffset = () => {
    if (joinedMinutes === undefined) {
      joinedMinutes = (currentJoined ? recordOffset(currentJoined) : null) ?? recordLocalOffset();
    }
    return joinedMinutes;
  };

  return (record, ctx, issues, joined) => {
    currentRecord = record;
    currentJoined = joined;
    fallbackMinutes = ctx.offsetMinutes ?? 0;
    recordMinutes = undefined;
    joinedMinutes = undefined;
    const timeZone = ctx.timeZone;
    const row: TypedValue[] = new Array<TypedValue>(count);
    for (let i = 0; i < count; i++) {
      const plan = plans[i]!;
      if (plan.joined) {
        row[i] = joined ? convert(plan, joined[plan.source], timeZone, joinedLocalOffset, issues) : null;
      } else {
        row[i] = convert(plan, record[plan.source], timeZone, recordLocalOffset, issues);
      }
    }
    return row;
  };
}
