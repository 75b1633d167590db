/**
 * What a person sees while a sync runs: on a terminal, one live bar per table (rows, pages, ETA where the API
 * announced a total) and the request rate; elsewhere, plain log lines as tables finish plus a heartbeat.
 */
import cliProgress from 'cli-progress';
import type { SyncEvent } from '../engine/sync.js';
import type { Logger } from './log.js';

export interface ProgressReporter {
  onEvent(event: SyncEvent): void;
  stop(): void;
}

/** Live bars on a TTY; log lines otherwise (and always in JSON log mode). */
export function createProgress(logger: Logger, requestCount: () => number, interactive: boolean): ProgressReporter {
  return interactive && logger.format === 'text' ? new TerminalProgress(requestCount) : new LogProgress(logger, requestCount);
}

class TerminalProgress implements ProgressReporter {
  private readonly bars = new cliProgress.MultiBar(
    {
      format: ' {table} {bar} {rows} rows · {pages} pages {left}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
      etaBuffer: 50,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  private readonly rows = new Map<string, cliProgress.SingleBar>();
  /** When each table's first page arrived, for its own ETA (pages arrive in bursts, so the bar's own is poor). */
  private readonly firstPageAt = new Map<string, number>();
  private readonly header: cliProgress.SingleBar;
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly requestCount: () => number) {
    this.header = this.bars.create(0, 0, { table: 'requests'.padEnd(30), rows: '', pages: '', left: '' }, {
      format: ' {table} {requests} requests · {rate} requests/s',
    });
    this.timer = setInterval(() => this.tick(), 500);
    this.timer.unref();
  }

  private tick(): void {
    const seconds = (Date.now() - this.started) / 1000;
    const requests = this.requestCount();
    this.header.update(0, { requests, rate: seconds > 0 ? (requests / seconds).toFixed(1) : '0.0' });
  }

  onEvent(event: SyncEvent): void {
    if (event.type === 'table-progress') {
      let bar = this.rows.get(event.table);
      const total = event.total ?? Math.max(event.scanned, 1);
      if (!bar) {
        bar = this.bars.create(total, 0, { table: event.table.padEnd(30), rows: 0, pages: 0, left: '' });
        this.rows.set(event.table, bar);
        this.firstPageAt.set(event.table, Date.now());
      }
      bar.setTotal(Math.max(total, event.scanned));
      bar.update(event.scanned, { rows: event.rows, pages: event.pages, left: this.timeLeft(event.table, event.scanned, event.total) });
    } else if (event.type === 'table-done') {
      const bar = this.rows.get(event.table);
      const success = event.record.status === 'success';
      const label = success ? event.table : `${event.table} (${event.record.status})`;
      if (bar) {
        // Only a table that finished shows a full bar and `done`; one that stopped keeps where it got to.
        if (success) bar.setTotal(Math.max(bar.getTotal(), 1));
        bar.update(success ? bar.getTotal() : bar.getProgress() * bar.getTotal(), {
          table: label.padEnd(30),
          rows: event.record.rows,
          left: success ? '· done' : '',
        });
      } else {
        this.bars.create(1, 1, { table: label.padEnd(30), rows: event.record.rows, pages: 0, left: '' });
      }
    } else if (event.type === 'warning') {
      this.bars.log(`warning: ${event.table ? `${event.table}: ` : ''}${event.message}\n`);
    } else if (event.type === 'waiting') {
      this.bars.log(`${event.message}\n`);
    }
  }

  /** Time left at the pace this table has had since its first page, when the API announced a total. */
  private timeLeft(table: string, scanned: number, total: number | undefined): string {
    const since = this.firstPageAt.get(table);
    if (!total || !since || scanned >= total) return '';
    const seconds = (Date.now() - since) / 1000;
    if (seconds < 2 || scanned === 0) return '';
    const left = Math.round(((total - scanned) * seconds) / scanned);
    return left >= 60 ? `· ${Math.floor(left / 60)}m${String(left % 60).padStart(2, '0')}s left` : `· ${left}s left`;
  }

  stop(): void {
    clearInterval(this.timer);
    this.tick();
    this.bars.stop();
  }
}

class LogProgress implements ProgressReporter {
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;
  private readonly latest = new Map<string, { rows: number; scanned: number; total: number | undefined }>();
  /** End of the longest wait announced (epoch ms), for the heartbeat. */
  private waitingUntil = 0;

  constructor(
    private readonly logger: Logger,
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
