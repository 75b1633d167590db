import { performance } from 'node:perf_hooks';
import { ConfigError } from './errors.js';

export interface RequestBudgetOptions {
  /** Request starts per second, spread evenly: one start every 1/rate seconds, never a burst. */
  requestsPerSecond: number;
  /** Requests allowed in flight at once (default: twice the rate, rounded up, at most MAX_IN_FLIGHT). */
  maxInFlight?: number;
}

/** Requests in flight at most, whatever the rate. */
export const MAX_IN_FLIGHT = 16;

interface Waiter {
  priority: number;
  resolve: (release: () => void) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * The request budget of one account, shared by every request of a run. ActiveCampaign allows 5 requests/s
 * per account with no documented burst, so starts are paced evenly rather than drawn from a bucket that
 * could empty itself in one burst. Waiters are served by priority, then first come, first served: a stream
 * that can only have one request in flight (keyset paging) goes first, so it never waits behind others' read-ahead.
 */
export class RequestBudget {
  readonly requestsPerSecond: number;
  readonly maxInFlight: number;
  private readonly intervalMs: number;
  private readonly queue: Waiter[] = [];
  private inFlight = 0;
  /** Earliest start of the next request (performance.now() clock). */
  private nextStartAt = 0;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;

  constructor(options: RequestBudgetOptions) {
    const rate = options.requestsPerSecond;
    if (!Number.isFinite(rate) || rate <= 0) {
      throw new ConfigError(`the request rate must be a positive number of requests per second (got ${rate})`);
    }
    // Twice the rate covers latencies up to 2 s; the cap keeps an unthrottled run's pages in memory bounded.
    const maxInFlight = options.maxInFlight ?? Math.min(MAX_IN_FLIGHT, Math.max(1, Math.ceil(rate * 2)));
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new ConfigError(`the number of requests in flight must be a whole number of at least 1 (got ${maxInFlight})`);
    }
    this.requestsPerSecond = rate;
    this.maxInFlight = maxInFlight;
    this.intervalMs = 1000 / rate;
  }

  /**
   * Resolves when a request may start. Call the returned function once the request has ended (its body
   * read or its failure known); calling it again does nothing. Rejects with the signal's reason if the
   * signal aborts first.
   */
  acquire(signal?: AbortSignal, priority = 0): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { priority, resolve, reject };
      if (signal) {
        waiter.signal = signal;
        waiter.onAbort = () => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      // Behind every waiter of the same or higher priority.
      let index = this.queue.length;
      while (index > 0 && (this.queue[index - 1] as Waiter).priority < priority) index--;
      this.queue.splice(index, 0, waiter);
      this.pump();
    });
  }

  /** After a 429: no request of this budget starts before now + ms (requests in flight are left alone). */
  pause(ms: number): void {
    if (!Number.isFinite(ms) || ms <= 0) return;
    this.pausedUntil = Math.max(this.pausedUntil, performance.now() + ms);
    this.pump();
  }

  /** Requests currently holding a slot (started and not yet released). */
  get active(): number {
    return this.inFlight;
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const now = performance.now();
      const startAt = Math.max(this.nextStartAt, this.pausedUntil);
      // Timers may fire up to a millisecond early on Node's clock; within that, the slot has come.
      if (startAt - now > 1) {
        this.wakeAt(startAt, now);
        return;
      }
      const waiter = this.queue.shift() as Waiter;
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      this.inFlight += 1;
      this.nextStartAt = Math.max(now, startAt) + this.intervalMs;
      let released = false;
      waiter.resolve(() => {
        if (released) return;
        released = true;
        this.inFlight -= 1;
        this.pump();
      });
    }
    if (this.queue.length === 0) this.clearTimer();
  }

  private wakeAt(at: number, now: number): void {
    if (this.timer !== undefined && this.timerDue <= at) return;
    this.clearTimer();
    this.timerDue = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      this.pump();
    }, Math.ceil(at - now));
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }
}
