import type { RunRecord } from '../core/contract.js';
import { ConfigError } from '../core/errors.js';
import { withReader } from '../destinations/readback.js';
import { destinationOf, type DestinationFlags } from './reading.js';

export interface RunsFlags extends DestinationFlags {
  limit?: string;
  json?: boolean;
}

export const DEFAULT_LIMIT = 20;
/** Output fits a classic terminal. */
export const WIDTH = 80;

/**
 * `acsync runs` (declared in ./commands/runs.ts): the destination's run history as `sync` recorded it
 * (`_acsync_runs`, or a lake's run files), most recent first, as a table or as JSON lines (one run record each).
 */
export async function runRuns(flags: RunsFlags): Promise<number> {
    const limit = parseLimit(flags.limit);
    const runs = await withReader(destinationOf(flags), async (reader) => {
      const recent: RunRecord[] = [];
      for await (const run of reader.runs()) {
        if (recent.length >= limit) break;
        recent.push(run);
      }
      if (recent.length === 0 && !flags.json) process.stderr.write(`no runs recorded in ${reader.description}\n`);
      return recent;
    });
    if (flags.json) {
      for (const run of runs) process.stdout.write(`${JSON.stringify(run)}\n`);
    } else if (runs.length > 0) {
      process.stdout.write(`${runsTable(runs).join('\n')}\n`);
    }
    return 0;
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  const limit = Number(value);
  if (!/^\d+$/.test(value.trim()) || limit < 1) throw new ConfigError(`--limit must be a whole number of runs, at least 1 (got "${value}")`);
  return limit;
}

/** One line per run (tables copied / tables read), and under a run that did not fully succeed, a line per table that did not. */
export function runsTable(runs: readonly RunRecord[]): string[] {
  const lines = [`${'started (UTC)'.padEnd(19)}  ${'took'.padStart(6)}  ${'status'.padEnd(11)}  tables  ${'rows'.padStart(11)}  ${'requests'.padStart(8)}`];
  for (const run of runs) {
    // Tables left out as not due (a refresh interval) were not read: they count neither as copied nor as failed.
    const read = run.tables.filter((t) => t.notDueUntil === undefined);
    const ok = read.filter((t) => t.status === 'success').length;
    const rows = run.tables.reduce((sum, t) => sum + t.rows, 0);
    const requests = run.tables.reduce((sum, t) => sum + t.requests, 0);
    lines.push(`${utcTime(run.startedAt, 19).padEnd(19)}  ${took(run).padStart(6)}  ${run.status.padEnd(11)}  ${`${ok}/${read.length}`.padStart(6)}  ${count(rows).padStart(11)}  ${count(requests).padStart(8)}`);
    lines.push(...problems(run).map((line) => fit(`  ${line}`)));
  }
  return lines;
}

/** What went wrong in a run, one line per table that did not succeed. */
export function problems(run: RunRecord): string[] {
  return run.tables.filter((t) => t.status !== 'success' && t.notDueUntil === undefined).map((t) => `${t.table} ${t.status}${t.error ? `: ${t.error.split('\n')[0]}` : ''}`);
}

/** `2026-12-01 18:10:02` (UTC) of an ISO time, cut to `length` (16: minutes); `-` when absent. */
export function utcTime(iso: string | null | undefined, length: number): string {
  if (!iso) return '-';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso.slice(0, length) : new Date(ms).toISOString().replace('T', ' ').slice(0, length);
}

/** How long a run took: `42s`, `4m05s`, `2h03m`; `-` while it has no end (running, or killed). */
export function took(run: RunRecord): string {
  if (!run.endedAt) return '-';
  const seconds = Math.max(0, Math.round((Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000));
  if (Number.isNaN(seconds)) return '-';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** A line cut to the terminal's width, marked with … where cut. */
export function fit(line: string): string {
  return line.length <= WIDTH ? line : `${line.slice(0, WIDTH - 1)}…`;
}
