import { performance } from 'node:perf_hooks';
import { ConfigError } from '../core/errors.js';

export interface RequestBudgetOptions {
  /** Request starts per second, spread evenly: one start every 1/rate seconds, never a burst. */
  requestsPerSecond: number;
  /**
   * Requests allowed in flight at once. Default: adaptive, starting at twice the rate (at most
   * INITIAL_IN_FLIGHT) and following the latency seen (rate × latency, with headroom, at most MAX_IN_FLIGHT),
   * halved on throttling. A number fixes it.
   */
  maxInFlight?: number;
}

/** Where an adaptive limit starts: enough for 5/s at up to 2 s a request. */
const INITIAL_IN_FLIGHT = 10;
/** Requests in flight at most, whatever the rate and latency: bounds the pages held in memory. */
export const MAX_IN_FLIGHT = 32;
/** Weight of the newest request in the latency average. */
const LATENCY_WEIGHT = 0.2;

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
  private limit: number;
  private readonly adaptive: boolean;
  /** Moving average of how long a request holds its slot, ms (0 until one ends). */
  private latencyMs = 0;
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
    const maxInFlight = options.maxInFlight ?? Math.min(INITIAL_IN_FLIGHT, Math.max(1, Math.ceil(rate * 2)));
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new ConfigError(`the number of requests in flight must be a whole number of at least 1 (got ${maxInFlight})`);
    }
    this.requestsPerSecond = rate;
    this.limit = maxInFlight;
    this.adaptive = options.maxInFlight === undefined;
    this.intervalMs = 1000 / rate;
  }

  /** Requests allowed in flight now. */
  get maxInFlight(): number {
    return this.limit;
  }

  /**
   * Keeps the pipe full whatever the latency: at `rate` starts per second, each request holding its slot
   * `latency` seconds, about rate × latency are in flight. The limit grows one step per request towards that
   * (with headroom for jitter), and drops at once when requests get faster.
   */
  private adapt(heldMs: number): void {
    this.latencyMs = this.latencyMs === 0 ? heldMs : this.latencyMs + LATENCY_WEIGHT * (heldMs - this.latencyMs);
    if (!this.adaptive) return;
    const needed = Math.ceil((this.requestsPerSecond * this.latencyMs * 1.5) / 1000) + 1;
    const target = Math.min(MAX_IN_FLIGHT, Math.max(2, needed));
    this.limit = target > this.limit ? this.limit + 1 : Math.max(target, Math.min(this.limit, INITIAL_IN_FLIGHT));
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

  /**
   * After a 429: no request of this budget starts before now + ms (requests in flight are left alone), and an
   * adaptive limit is halved, to grow back one request at a time.
   */
  pause(ms: number): void {
    if (!Number.isFinite(ms) || ms <= 0) return;
    this.pausedUntil = Math.max(this.pausedUntil, performance.now() + ms);
    if (this.adaptive) this.limit = Math.max(1, Math.floor(this.limit / 2));
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
      const started = now;
      waiter.resolve(() => {
        if (released) return;
        released = true;
        this.inFlight -= 1;
        this.adapt(performance.now() - started);
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
