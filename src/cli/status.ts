import { TABLES, type ReplicationMode } from '../catalog/index.js';
import type { RunRecord, TableState } from '../core/contract.js';
import { withReader, type DestinationReader } from '../destinations/readback.js';
import { chooseModes, type ModeChoice } from '../engine/cursor.js';
import { loadConfigFile, parseModes, parseRefreshEvery } from './config.js';
import { destinationOf, type DestinationFlags } from './reading.js';
import { WIDTH, count, fit, problems, took, utcTime } from './runs.js';

export interface StatusFlags extends DestinationFlags {
  json?: boolean;
}

/** One table's status, as `--json` prints it. */
export interface TableStatus {
  readonly table: string;
  /** Mode of the last pass (or of the pass in progress). */
  readonly mode: ReplicationMode;
  /** Rows in the copy; null when the table is not there. */
  readonly rows: number | null;
  /** When the last run that copied the table successfully ended; null if none is recorded. */
  readonly lastSuccessAt: string | null;
  readonly cursor: string | null;
  readonly lastFullAt: string | null;
  /** A pass that stopped before its end, which the next sync continues. */
  readonly resumable: { readonly mode: ReplicationMode; readonly runId: string; readonly rows: number | null } | null;
  /** The mode the next sync runs the table in (the config file's modes and full-pass period applied). */
  readonly nextMode: ReplicationMode;
  /** Incremental tables: when the periodic full pass falls due; null when none is scheduled or it is due now. */
  readonly nextFullPassAt: string | null;
  /** Tables read whole with a refresh interval (config `refreshEveryHours`): syncs before this time skip them. */
  readonly notDueUntil: string | null;
}

export interface DestinationStatus {
  readonly destination: string;
  readonly account: string | null;
  readonly lastRun: RunRecord | null;
  readonly tables: readonly TableStatus[];
  /** Catalog tables the destination holds no state for. */
  readonly notSynced: readonly string[];
}

/**
 * `acsync status` (declared in ./commands/status.ts): per table, what the destination itself records (state, row
 * counts, run history): the mode, the last successful sync, rows, cursor, a pass waiting to be resumed, and when
 * the next full pass is due; and the last run's outcome. Reads the same --dest and config file as `sync`.
 */
export async function runStatus(flags: StatusFlags): Promise<number> {
    const file = loadConfigFile(flags.config);
    const modes = parseModes(file.mode);
    const status = await withReader(destinationOf(flags), (reader) => readStatus(reader, {
      modes, fullRefreshEveryDays: file.fullRefreshEveryDays, refreshEveryHours: parseRefreshEvery(file.refreshEveryHours, modes),
    }));
    process.stdout.write(flags.json ? `${JSON.stringify(status, null, 2)}\n` : `${statusText(status).join('\n')}\n`);
    return 0;
}

/** The status from what the destination records; `choice` is what the config file says of modes and full passes. */
export async function readStatus(reader: DestinationReader, choice: ModeChoice, now = Date.now()): Promise<DestinationStatus> {
  const states = await reader.states();
  const rows = await reader.rowCounts();
  const synced = TABLES.filter((table) => states.has(table.name));
  // The run history, newest first, read only until every synced table's last success is found.
  const lastSuccess = new Map<string, string>();
  let lastRun: RunRecord | null = null;
  for await (const run of reader.runs()) {
    lastRun ??= run;
    for (const table of run.tables) {
      if (table.status === 'success' && run.endedAt && !lastSuccess.has(table.table)) lastSuccess.set(table.table, run.endedAt);
    }
    if (synced.every((table) => lastSuccess.has(table.name))) break;
  }
  const next = new Map(chooseModes(synced, choice, states, now).map((selection) => [selection.table.name, selection]));
  const tables = synced.map((table): TableStatus => {
    const state = states.get(table.name) as TableState;
    const nextMode = next.get(table.name)?.mode ?? 'full';
    const everyDays = choice.fullRefreshEveryDays ?? table.incremental?.fullPassEveryDays;
    const nextFullPassAt = nextMode === 'incremental' && everyDays !== undefined && state.lastFullAt
      ? new Date(Date.parse(state.lastFullAt) + everyDays * 86_400_000).toISOString()
      : null;
    const progress = state.inProgress;
    return {
      table: table.name,
      mode: state.mode,
      rows: rows.get(table.name) ?? null,
      lastSuccessAt: lastSuccess.get(table.name) ?? null,
      cursor: state.cursor ?? null,
      lastFullAt: state.lastFullAt ?? null,
      resumable: progress ? { mode: progress.mode, runId: progress.runId, rows: progress.position.rows ?? null } : null,
      nextMode,
      nextFullPassAt,
      notDueUntil: next.get(table.name)?.notDueUntil ?? null,
    };
  });
  const account = [...states.values()].find((state) => state.account)?.account ?? null;
  return {
    destination: reader.description,
    account,
    lastRun,
    tables,
    notSynced: TABLES.filter((table) => !states.has(table.name)).map((table) => table.name),
  };
}

/** The status as text, every line within 80 columns. */
export function statusText(status: DestinationStatus): string[] {
  const lines = [fit(status.destination)];
  if (status.account) lines.push(fit(`account ${status.account}`));
  const run = status.lastRun;
  if (run) {
    const ok = run.tables.filter((t) => t.status === 'success').length;
    const rows = run.tables.reduce((sum, t) => sum + t.rows, 0);
    lines.push(fit(`last run ${utcTime(run.startedAt, 19)} UTC: ${run.status}, ${ok}/${run.tables.length} tables, ${count(rows)} rows, took ${took(run)}`));
    lines.push(...problems(run).map((line) => fit(`  ${line}`)));
  } else {
    lines.push('no runs recorded');
  }
  if (status.tables.length === 0) {
    lines.push('no table synced yet: run acsync sync');
    return lines;
  }
  const name = Math.max(...status.tables.map((t) => t.table.length), 'table'.length);
  lines.push('', `${'table'.padEnd(name)}  ${'mode'.padEnd(11)}  ${'rows'.padStart(11)}  last success (UTC)`);
  for (const t of status.tables) {
    lines.push(`${t.table.padEnd(name)}  ${t.mode.padEnd(11)}  ${(t.rows === null ? '-' : count(t.rows)).padStart(11)}  ${utcTime(t.lastSuccessAt, 16)}`);
  }
  const incremental = status.tables.filter((t) => t.cursor !== null || t.nextMode === 'incremental');
  if (incremental.length > 0) {
    const width = Math.max(...incremental.map((t) => t.table.length), 'incremental'.length);
    lines.push('', `${'incremental'.padEnd(width)}  ${'cursor (UTC)'.padEnd(16)}  ${'last full (UTC)'.padEnd(16)}  next full pass`);
    for (const t of incremental) {
      const due = t.nextMode === 'full' ? 'next sync' : t.nextFullPassAt ? utcTime(t.nextFullPassAt, 10) : 'not scheduled';
      lines.push(fit(`${t.table.padEnd(width)}  ${utcTime(t.cursor, 16).padEnd(16)}  ${utcTime(t.lastFullAt, 16).padEnd(16)}  ${due}`));
    }
  }
  const notDue = status.tables.filter((t) => t.notDueUntil !== null);
  if (notDue.length > 0) {
    const width = Math.max(...notDue.map((t) => t.table.length), 'not due (refresh interval)'.length);
    lines.push('', `${'not due (refresh interval)'.padEnd(width)}  ${'last full (UTC)'.padEnd(16)}  next read after (UTC)`);
    for (const t of notDue) lines.push(fit(`${t.table.padEnd(width)}  ${utcTime(t.lastFullAt, 16).padEnd(16)}  ${utcTime(t.notDueUntil, 16)}`));
  }
  const resumable = status.tables.filter((t) => t.resumable);
  if (resumable.length > 0) lines.push('');
  for (const t of resumable) {
    const progress = t.resumable!;
    const rows = progress.rows === null ? '' : ` after ${count(progress.rows)} rows`;
    lines.push(...wrap(`resumable: ${t.table}, a ${progress.mode} pass stopped${rows} (run ${progress.runId}); the next sync continues it`));
  }
  if (status.notSynced.length > 0) {
    lines.push('', ...wrap(`not synced: ${status.notSynced.join(', ')}`));
  }
  return lines;
}

/** Words wrapped at the terminal's width, continuation lines indented. */
function wrap(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = `  ${word}`;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.map(fit);
}
