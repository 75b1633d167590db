/**
 * What a person sees while a sync runs: on a terminal, a live area (requests, tables done, one line per table in
 * progress) with warnings printed above it; elsewhere, plain log lines as tables finish plus a heartbeat.
 */
import type { RunTableRecord } from '../core/contract.js';
import type { SyncEvent } from '../engine/sync.js';
import { createLogger, type Logger } from './log.js';

export interface ProgressReporter {
  /** Logs while the run goes on: on a terminal, printed above the live area instead of through it. */
  readonly logger: Logger;
  onEvent(event: SyncEvent): void;
  /** Ends the display (the terminal's live area is erased); calling it again does nothing. */
  stop(): void;
}

/** A live area on a TTY; log lines otherwise (and always in JSON log mode). */
export function createProgress(logger: Logger, requestCount: () => number, interactive: boolean): ProgressReporter {
  return interactive && logger.format === 'text' ? new TerminalProgress(logger, requestCount) : new LogProgress(logger, requestCount);
}

/** Control sequences of the live area (ECMA-48 / xterm): erase the line, cursor up and down, hide and show it. */
const ERASE_LINE = '\x1b[2K';
const DOWN = '\x1b[B';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const up = (rows: number) => (rows > 0 ? `\r\x1b[${rows}A` : '\r');

interface TableLine {
  rows: number;
  pages: number;
  scanned: number;
  total: number | undefined;
  /** When the table's first page arrived, for its own time left (pages arrive in bursts). */
  readonly since: number;
}

/**
 * A live area under what the run printed, rewritten in place: a header (requests, rate, tables done), one line
 * per table in progress and one line for the rest. It never takes more than half the screen nor a line wider than
 * it, so the cursor can always move back to its first line and no stale frame scrolls away; whatever is printed
 * meanwhile (warnings, waits, log lines) goes above it, in full, and the terminal wraps it. Stopping erases it,
 * so the summary that follows is the only copy.
 */
class TerminalProgress implements ProgressReporter {
  readonly logger: Logger;
  private readonly out = process.stderr;
  /** Tables with a page read and not done, in the order they started (lines keep their place). */
  private readonly active = new Map<string, TableLine>();
  private readonly notStarted = new Set<string>();
  private readonly ended = new Map<RunTableRecord['status'], number>();
  private waitingUntil = 0;
  /** Lengths of the lines of the frame on screen, to find its first line again, also after a resize. */
  private drawn: number[] = [];
  private stopped = false;
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;
  private readonly redraw = () => this.draw();
  /** A crash must not leave the user's terminal without a cursor. */
  private readonly showCursor = () => this.out.write(SHOW_CURSOR);

  constructor(
    logger: Logger,
    private readonly requestCount: () => number,
  ) {
    this.logger = createLogger(logger.format, (text) => this.print(text));
    this.out.write(HIDE_CURSOR);
    process.on('exit', this.showCursor);
    this.out.on('resize', this.redraw);
    this.timer = setInterval(this.redraw, 250);
    this.timer.unref();
  }

  onEvent(event: SyncEvent): void {
    if (event.type === 'run-start') {
      for (const stream of event.streams) for (const { table } of stream.tables) this.notStarted.add(table.name);
    } else if (event.type === 'table-progress') {
      const line = this.active.get(event.table) ?? { rows: 0, pages: 0, scanned: 0, total: undefined, since: Date.now() };
      Object.assign(line, { rows: event.rows, pages: event.pages, scanned: event.scanned, total: event.total });
      this.active.set(event.table, line);
      this.notStarted.delete(event.table);
    } else if (event.type === 'table-done') {
      this.active.delete(event.table);
      this.notStarted.delete(event.table);
      const { status } = event.record;
      this.ended.set(status, (this.ended.get(status) ?? 0) + 1);
    } else if (event.type === 'warning') {
      this.logger.warn(`${event.table ? `${event.table}: ` : ''}${event.message}`);
    } else if (event.type === 'waiting') {
      this.waitingUntil = Math.max(this.waitingUntil, event.untilMs);
      this.logger.info(event.message);
    }
  }

  /** Writes `text` above the live area, whole: the frame is erased, the text written, the frame drawn again. */
  private print(text: string): void {
    if (this.stopped) {
      this.out.write(text);
      return;
    }
    this.out.write(this.erase() + text);
    this.drawn = [];
    this.draw();
  }

  /**
   * Erases the frame line by line (and the line below it, where the terminal echoes ^C) and returns to its first
   * line. Not "erase to the end of the screen": from the top-left corner that clears the whole screen, which tmux
   * (scroll-on-clear) keeps in the scrollback. A narrower terminal may have wrapped the frame's lines.
   */
  private erase(): string {
    const [columns] = this.size();
    const rows = this.drawn.reduce((sum, length) => sum + Math.max(1, Math.ceil(length / columns)), 0);
    return up(rows) + `${ERASE_LINE}${DOWN}`.repeat(rows) + ERASE_LINE + up(rows);
  }

  /** Asked of the terminal each time: a redraw may run after a resize and before Node's own resize event. */
  private size(): [columns: number, rows: number] {
    const [columns, rows] = this.out.getWindowSize();
    return [Math.max(columns || 80, 1), Math.max(rows || 24, 1)];
  }

  private draw(): void {
    if (this.stopped) return;
    const lines = this.frame(...this.size());
    this.out.write(this.erase() + lines.map((line) => `${line}\n`).join(''));
    this.drawn = lines.map((line) => line.length);
  }

  /** The frame's lines: at most half the screen (at least the header), each narrower than the screen. */
  private frame(columns: number, screenRows: number): string[] {
    const fit = (line: string) => line.slice(0, Math.max(columns - 1, 1));
    const seconds = (Date.now() - this.started) / 1000;
    const requests = this.requestCount();
    const done = [...this.ended.values()].reduce((sum, n) => sum + n, 0);
    const all = done + this.active.size + this.notStarted.size;
    const header = [
      `${requests} requests (${seconds > 0 ? (requests / seconds).toFixed(1) : '0.0'}/s)`,
      ...(all > 0 ? [`${done}/${all} tables done`] : []),
      ...[...this.ended].filter(([status]) => status !== 'success').map(([status, n]) => `${n} ${status}`),
      ...(this.waitingUntil > Date.now() ? [`waiting until ${new Date(this.waitingUntil).toISOString().slice(11, 19)} UTC`] : []),
    ].join(' · ');
    const room = Math.max(0, Math.min(screenRows - 1, Math.ceil(screenRows / 2)) - 1);
    const tables = [...this.active];
    const shown = tables.length + (this.notStarted.size > 0 ? 1 : 0) <= room ? tables : tables.slice(0, Math.max(room - 1, 0));
    const more = tables.length - shown.length;
    const rest = [...(more > 0 ? [`+${more} more in progress`] : []), ...(this.notStarted.size > 0 ? [`+${this.notStarted.size} waiting`] : [])];
    const nameWidth = Math.min(30, Math.max(...shown.map(([name]) => name.length), 0));
    const barWidth = Math.min(24, columns - nameWidth - 40);
    const lines = shown.map(([name, t]) => {
      const bar = barWidth < 6 ? '' : `${progressBar(t.scanned, t.total, barWidth)} `;
      return `  ${name.padEnd(nameWidth)} ${bar}${t.rows} rows · ${t.pages} pages${timeLeft(t)}`;
    });
    return [header, ...lines, ...(rest.length > 0 && room > 0 ? [`  ${rest.join(' · ')}`] : [])].slice(0, Math.max(room + 1, 1)).map(fit);
  }

  stop(): void {
    if (this.stopped) return;
    clearInterval(this.timer);
    this.out.off('resize', this.redraw);
    this.out.write(this.erase() + SHOW_CURSOR);
    process.off('exit', this.showCursor);
    this.drawn = [];
    this.stopped = true;
  }
}

/** Where a table got to when the API announced its total; blank while the total is unknown. */
function progressBar(scanned: number, total: number | undefined, width: number): string {
  if (!total) return ' '.repeat(width);
  const filled = Math.min(width, Math.round((scanned / total) * width));
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** Time left at the pace this table has had since its first page, when the API announced a total. */
function timeLeft({ scanned, total, since }: TableLine): string {
  const seconds = (Date.now() - since) / 1000;
  if (!total || scanned >= total || seconds < 2 || scanned === 0) return '';
  const left = Math.round(((total - scanned) * seconds) / scanned);
  return left >= 60 ? ` · ${Math.floor(left / 60)}m${String(left % 60).padStart(2, '0')}s left` : ` · ${left}s left`;
}

class LogProgress implements ProgressReporter {
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;
  private readonly latest = new Map<string, { rows: number; scanned: number; total: number | undefined }>();
  /** End of the longest wait announced (epoch ms), for the heartbeat. */
  private waitingUntil = 0;

  constructor(
    readonly logger: Logger,
    private readonly requestCount: () => number,
  ) {
    this.timer = setInterval(() => this.heartbeat(), 15_000);
    this.timer.unref();
  }

  private heartbeat(): void {
    const seconds = (Date.now() - this.started) / 1000;
    const requests = this.requestCount();
    const active = [...this.latest.entries()].map(([t, p]) => `${t} ${p.rows}${p.total ? `/${p.total}` : ''}`);
    const waiting = this.waitingUntil > Date.now() ? `; waiting until ${new Date(this.waitingUntil).toISOString().slice(11, 19)} UTC` : '';
    this.logger.info(`${requests} requests (${(requests / seconds).toFixed(1)}/s); in progress: ${active.join(', ') || 'none'}${waiting}`, {
      event: 'heartbeat',
      requests,
    });
  }

  onEvent(event: SyncEvent): void {
    if (event.type === 'table-progress') {
      this.latest.set(event.table, { rows: event.rows, scanned: event.scanned, total: event.total });
    } else if (event.type === 'table-done') {
      this.latest.delete(event.table);
      const { record } = event;
      const base = `${record.table}: ${record.status}, ${record.rows} rows (${record.mode})`;
      const fields = { event: 'table-done', ...record };
      if (record.status === 'success') this.logger.info(base, fields);
      else if (record.notDueUntil !== undefined) this.logger.info(`${record.table}: ${record.error ?? 'not due'}`, fields);
      else this.logger.warn(`${base}: ${record.error ?? ''}`, fields);
    } else if (event.type === 'warning') {
      this.logger.warn(`${event.table ? `${event.table}: ` : ''}${event.message}`, { event: 'warning' });
    } else if (event.type === 'run-start') {
      this.logger.info(`run ${event.runId}: ${event.streams.length} request streams`, { event: 'run-start', runId: event.runId });
    } else if (event.type === 'waiting') {
      this.waitingUntil = Math.max(this.waitingUntil, event.untilMs);
      this.logger.info(event.message, { event: 'waiting', until: new Date(event.untilMs).toISOString() });
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
