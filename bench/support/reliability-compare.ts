/**
 * For the reliability campaign: a copy compared table by table with the simulator's account (the test oracle,
 * test/support/oracle.ts), counting rows rather than stopping at the first difference.
 *
 * Exact comparison (no change to the account since the copy's last full pass): every table equals the account.
 * After a change to the account (`prior` given: the keys each incremental table held in the account before it),
 * incremental tables are compared as the correctness suite does (test/support/correctness-suite.ts), a little more
 * strictly: every current row is present with current values; a row left over in the copy must be one the account
 * held before the change (deleted since: it stays until the next full pass); contacts_tags compares the association's
 * own columns (the tag's attributes copied into it change without the contact) and may lack only associations the
 * account gained since (tag changes do not touch the contact's udate). Full tables are always compared exactly.
 */
import { TABLES, offersIncremental, type TableDef } from '../../src/catalog/index.js';
import type { TypedRow, TypedValue } from '../../src/core/contract.js';
import type { SimAccount } from '../../src/simulator/index.js';
import { expectedRows } from '../../test/support/oracle.js';

/** The keys each incremental table held in the account, by table name. */
export type PriorKeys = ReadonlyMap<string, ReadonlySet<string>>;

export interface TableDifference {
  readonly table: string;
  /** Rows of the account missing from the copy. */
  readonly lost: number;
  /** Extra copies of a key, plus rows in the copy the account never held (or no longer holds after a full pass). */
  readonly duplicated: number;
  /** Rows present with values other than the account's. */
  readonly stale: number;
  /** The table could not be read. */
  readonly error?: string;
  /** A few keys, for the report. */
  readonly examples: readonly string[];
}

export interface Comparison {
  /** Rows of the account compared (every table). */
  readonly compared: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly stale: number;
  /** Rows left over from deletions, and associations not yet seen, that the relaxed rules allow. */
  readonly allowed: number;
  readonly differences: readonly TableDifference[];
  readonly equal: boolean;
}

export const keyOf = (table: TableDef, row: TypedRow): string =>
  table.primaryKey.map((k) => String(row[table.columns.findIndex((c) => c.name === k)])).join('|');

/** The keys every incremental table holds in the account now: taken before a change to compare after it. */
export function incrementalKeys(account: SimAccount): PriorKeys {
  const keys = new Map<string, Set<string>>();
  for (const table of TABLES) {
    if (!offersIncremental(table)) continue;
    keys.set(table.name, new Set(expectedRows(table, account).map((row) => keyOf(table, row))));
  }
  return keys;
}

function sameValue(a: TypedValue | undefined, b: TypedValue | undefined): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}

function sameRow(a: TypedRow, b: TypedRow, columns: readonly number[] | null): boolean {
  if (columns) return columns.every((i) => sameValue(a[i], b[i]));
  return a.length === b.length && a.every((value, i) => sameValue(value, b[i]));
}

export async function compareCopy(
  read: (table: TableDef) => Promise<TypedRow[]>,
  account: SimAccount,
  prior: PriorKeys | null,
): Promise<Comparison> {
  let compared = 0;
  let lost = 0;
  let duplicated = 0;
  let stale = 0;
  let allowed = 0;
  const differences: TableDifference[] = [];

  for (const table of TABLES) {
    const expected = expectedRows(table, account);
    compared += expected.length;
    let copy: TypedRow[];
    let error: string | undefined;
    try {
      copy = await read(table);
    } catch (failure) {
      copy = [];
      error = (failure as Error).message.split('\n')[0];
    }
    const held = prior && offersIncremental(table) ? (prior.get(table.name) ?? new Set<string>()) : null;
    const tags = held !== null && table.name === 'contacts_tags';
    const own = tags ? table.columns.flatMap((c, i) => (c.joined ? [] : [i])) : null;

    const copies = new Map<string, TypedRow[]>();
    for (const row of copy) {
      const key = keyOf(table, row);
      const list = copies.get(key);
      if (list) list.push(row);
      else copies.set(key, [row]);
    }
    const diff = { lost: 0, duplicated: 0, stale: 0, examples: [] as string[] };
    const example = (text: string) => {
      if (diff.examples.length < 3) diff.examples.push(text);
    };
    for (const [key, rows] of copies) {
      if (rows.length > 1) {
        diff.duplicated += rows.length - 1;
        example(`${key} ×${rows.length}`);
      }
    }
    const expectedKeys = new Set<string>();
    for (const row of expected) {
      const key = keyOf(table, row);
      expectedKeys.add(key);
      const found = copies.get(key)?.[0];
      if (!found) {
        if (tags && !held.has(key)) {
          allowed++;
          continue;
        }
        diff.lost++;
        example(`${key} lost`);
      } else if (!sameRow(found, row, own)) {
        diff.stale++;
        example(`${key} stale`);
      }
    }
    for (const key of copies.keys()) {
      if (expectedKeys.has(key)) continue;
      if (held?.has(key)) {
        allowed++;
        continue;
      }
      diff.duplicated++;
      example(`${key} not in the account`);
    }
    if (diff.lost || diff.duplicated || diff.stale || error) {
      differences.push({ table: table.name, ...diff, ...(error !== undefined && { error }) });
    }
    lost += diff.lost;
    duplicated += diff.duplicated;
    stale += diff.stale;
  }
  return { compared, lost, duplicated, stale, allowed, differences, equal: differences.length === 0 };
}

/** One line naming what differs, e.g. `contacts: 2 lost (17 lost, 18 lost); deals: 1 stale (5 stale)`. */
export function describeDifferences(differences: readonly TableDifference[]): string {
  return differences.map((d) => {
    const parts = [d.lost && `${d.lost} lost`, d.duplicated && `${d.duplicated} duplicated`, d.stale && `${d.stale} stale`].filter(Boolean);
    if (d.error) parts.push(`unreadable: ${d.error}`);
    return `${d.table}: ${parts.join(', ')}${d.examples.length ? ` (${d.examples.join(', ')})` : ''}`;
  }).join('; ');
}
