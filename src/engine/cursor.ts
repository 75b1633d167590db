/**
 * The incremental cursor, in one place (in the spirit of dlt's incremental helper): which mode each table runs
 * in, where an incremental pass starts, the filter value it sends, and how far the cursor may move.
 *
 * The rules:
 * - A table runs incrementally where it offers it, unless forced full (`--full-refresh`, `mode`) or its last
 *   full pass is older than `fullRefreshEveryDays` (default: the table's own `fullPassEveryDays`, a week for
 *   child tables; a table synced but never fully read counts as due): only a full pass sees deletions.
 * - A table read whole with a refresh interval (`refreshEveryHours`) is left out of a run while its last full pass
 *   is younger than the interval (`notDueUntil`); `--full-refresh` reads it anyway.
 * - The first pass of a table never synced reads everything from nothing; it counts as its first full pass.
 * - A first incremental pass starts from `start_date` if one is set, else from nothing (it reads everything).
 * - A pass in progress (crashed, now resumed) keeps the bound it started from; otherwise a pass starts from the
 *   committed cursor, which a full pass records too (so a table can switch from full to incremental at no cost).
 * - The filter re-reads an overlap window before the bound, written in account time (the API filters by
 *   account-local `YYYY-MM-DD HH:MM:SS`); rows equal to the bound are re-read and deduplicated by key.
 * - The committed cursor moves only when a pass ends: until then a crash must not skip unread changes. It never
 *   moves backwards.
 */
import { defaultMode, type ReplicationMode, type TableDef } from '../catalog/index.js';
import type { TableState } from '../core/contract.js';
import { zoneOffsetMinutes } from '../core/time-zone.js';

export interface TableSelection {
  readonly table: TableDef;
  readonly mode: ReplicationMode;
  /** `fallback`: a full pass from the table's documented fallback list, its sideload having failed its check. */
  readonly via?: 'fallback';
  /** A table read whole whose refresh interval has not passed: not read this run, until this time (ISO UTC). */
  readonly notDueUntil?: string;
}

export interface ModeChoice {
  /** Modes the user chose per table; a table not named runs in its default mode. */
  readonly modes?: ReadonlyMap<string, ReplicationMode>;
  /** Tables forced to a full pass this run. */
  readonly fullRefresh?: ReadonlySet<string>;
  /** A table whose last full pass is older than this runs a full pass (default: the catalog's, per table). */
  readonly fullRefreshEveryDays?: number | undefined;
  /** Tables read whole at most once in this many hours (default: every run), by name. */
  readonly refreshEveryHours?: ReadonlyMap<string, number> | undefined;
}

/** Each table's mode for this run. */
export function chooseModes(
  tables: readonly TableDef[],
  choice: ModeChoice,
  states: ReadonlyMap<string, TableState>,
  now = Date.now(),
): TableSelection[] {
  const { modes, fullRefresh, fullRefreshEveryDays, refreshEveryHours } = choice;
  return tables.map((table) => {
    const preferred = modes?.get(table.name) ?? defaultMode(table);
    if (fullRefresh?.has(table.name)) return { table, mode: 'full' as const };
    if (preferred === 'full') {
      const until = refreshNotDue(states.get(table.name), refreshEveryHours?.get(table.name), now);
      return { table, mode: 'full' as const, ...(until && { notDueUntil: until }) };
    }
    const everyDays = fullRefreshEveryDays ?? table.incremental?.fullPassEveryDays;
    return { table, mode: fullPassDue(states.get(table.name), everyDays, now) ? ('full' as const) : ('incremental' as const) };
  });
}

/**
 * Whether the periodic full pass is due: never done, or older than the period. A table that never finished a
 * pass is not due: its first pass (or the resume of it) reads everything anyway and counts as a full pass
 * (`completesCopy`).
 */
export function fullPassDue(state: TableState | undefined, everyDays: number | undefined, now = Date.now()): boolean {
  if (everyDays === undefined || state === undefined || (state.cursor === undefined && state.lastFullAt === undefined)) return false;
  const lastFull = state?.lastFullAt;
  return lastFull === undefined || now - Date.parse(lastFull) > everyDays * 86_400_000;
}

/**
 * When a table read whole with a refresh interval falls due (ISO UTC), if its last full pass is younger than the
 * interval; undefined when it is read this run: no interval, never read in full, or a pass to resume.
 */
export function refreshNotDue(state: TableState | undefined, everyHours: number | undefined, now = Date.now()): string | undefined {
  if (everyHours === undefined || !state?.lastFullAt || state.inProgress) return undefined;
  const due = Date.parse(state.lastFullAt) + everyHours * 3_600_000;
  return Number.isNaN(due) || due <= now ? undefined : new Date(due).toISOString();
}

/**
 * The states a run starts from: the stored ones, plus, with a `start_date` (ISO UTC), that date as the cursor of
 * each incremental table that has never been read.
 */
export function withStartDate(
  stored: ReadonlyMap<string, TableState>,
  selection: readonly TableSelection[],
  startDate: string | null | undefined,
): Map<string, TableState> {
  const states = new Map(stored);
  if (!startDate) return states;
  for (const { table, mode } of selection) {
    const state = states.get(table.name);
    if (mode === 'incremental' && !state?.cursor && !state?.inProgress) {
      states.set(table.name, { ...state, mode: 'incremental', cursor: startDate });
    }
  }
  return states;
}

/** The bound (ISO UTC) an incremental pass starts from, or undefined to read everything. */
export function passStart(state: TableState | undefined): string | undefined {
  if (state?.inProgress?.mode === 'incremental') return state.inProgress.since;
  return state?.cursor;
}

export interface AccountTime {
  /** IANA zone from the user's settings, preferred: correct across daylight-saving changes. */
  readonly timeZone: string | null;
  /** Offset east of UTC in minutes, learned from the API's ISO timestamps; used when no zone is set. */
  readonly offsetMinutes: number;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The `filters[updated_after]` value: `since` minus the overlap, as account-local `YYYY-MM-DD HH:MM:SS`. */
export function updatedAfter(since: string, accountTime: AccountTime, overlapSeconds: number): string {
  const ms = Date.parse(since) - overlapSeconds * 1000;
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${since}`);
  const offset = accountTime.timeZone ? zoneOffsetMinutes(accountTime.timeZone, ms) : accountTime.offsetMinutes;
  const local = new Date(ms + offset * 60_000);
  return (
    `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`
  );
}

/** The largest cursor value a pass has seen (typed timestamps: microseconds since the epoch). */
export class CursorTracker {
  private max: bigint | null = null;

  /** A resumed pass continues from the largest value it committed before the crash. */
  constructor(resumedFrom?: string) {
    if (resumedFrom) this.max = BigInt(Date.parse(resumedFrom)) * 1000n;
  }

  observe(value: bigint): void {
    if (this.max === null || value > this.max) this.max = value;
  }

  /** The largest value seen, ISO UTC. */
  get seen(): string | undefined {
    return this.max === null ? undefined : new Date(Number(this.max / 1000n)).toISOString();
  }

  /** The cursor to commit when the pass ends: the larger of the previous cursor and what this pass saw. */
  next(previous: string | undefined): string | undefined {
    const seen = this.seen;
    return seen && (!previous || seen > previous) ? seen : previous;
  }
}

/** Whether a finished incremental pass read the whole table into a copy that held nothing else: a full pass. */
export function completesCopy(previous: TableState | undefined, since: string | undefined): boolean {
  return since === undefined && previous?.cursor === undefined && previous?.lastFullAt === undefined;
}
