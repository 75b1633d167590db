/**
 * The setting behind `refreshEveryHours` (engine/cursor.ts `refreshNotDue` applies it): tables read whole at most
 * once in so many hours. Checked here, in one place, for every face that takes it: the CLI's `--refresh-every`
 * and config file, and the service's connectors. Each face names the setting in its own words.
 */
import { TABLES, defaultMode, getTable, type ReplicationMode } from '../catalog/index.js';
import { ConfigError } from '../core/errors.js';

/** As the user wrote it: hours for every table read whole, `table=hours` pairs (text), or table → hours. */
export type RefreshEverySetting = number | string | Readonly<Record<string, number>>;

/** How a face names things in the messages about its setting. */
export interface RefreshEveryWording {
  /** The setting: `--refresh-every`, `refreshEveryHours`. */
  readonly setting: string;
  /** Where the table names are listed, said after an unknown one. */
  readonly tableList: string;
  /** How the user makes a table run in full mode. */
  readonly fullMode: (table: string) => string;
}

/**
 * A bare number applies to every table the API lets us read only whole; `table=hours` pairs (or an object) name
 * tables, and win. A table read incrementally is refused: only a full pass is ever left out.
 */
export function refreshIntervals(
  value: RefreshEverySetting | null | undefined,
  modes: ReadonlyMap<string, ReplicationMode>,
  wording: RefreshEveryWording,
): Map<string, number> {
  const every = new Map<string, number>();
  if (value === undefined || value === null) return every;
  const hours = (text: string | number, what: string): number => {
    const n = typeof text === 'number' ? text : Number(text);
    if ((typeof text === 'string' && text.trim() === '') || !Number.isFinite(n) || n <= 0) {
      throw new ConfigError(`bad refresh interval "${String(text)}" for ${what}: write a number of hours above 0`);
    }
    return n;
  };
  const pairs: [string, number][] = [];
  const everyFullOnly = (n: number) => {
    for (const table of TABLES) if (!table.modes.includes('incremental')) every.set(table.name, n);
  };
  if (typeof value === 'number') everyFullOnly(hours(value, 'every table read whole'));
  else if (typeof value === 'string') {
    for (const entry of value.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [name, n, ...rest] = entry.split('=').map((s) => s.trim());
      if (!name || rest.length > 0) throw new ConfigError(`bad ${wording.setting} entry "${entry}": write hours, or table=hours, comma-separated`);
      if (n === undefined) everyFullOnly(hours(name, 'every table read whole'));
      else pairs.push([name, hours(n, name)]);
    }
  } else pairs.push(...Object.entries(value).map(([name, n]): [string, number] => [name, hours(n, name)]));
  for (const [name, n] of pairs) {
    const table = getTable(name);
    if (!table) throw new ConfigError(`unknown table "${name}" in ${wording.setting}; ${wording.tableList}`);
    if ((modes.get(name) ?? defaultMode(table)) !== 'full') {
      throw new ConfigError(`${name} is read incrementally, so a refresh interval does not apply to it; set its mode to full (${wording.fullMode(name)}) or leave it out`);
    }
    every.set(name, n);
  }
  return every;
}
