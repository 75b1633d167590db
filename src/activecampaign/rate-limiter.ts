import { performance } from 'node:perf_hooks';
import { ConfigError } from '../core/errors.js';

export interface RequestBudgetOptions {
  /**
   * Request starts per second, spread evenly: one start every 1/rate seconds, never a burst. This is also the
   * ceiling of the adaptive pace (see `pause` and `noteSuccess`).
   */
  requestsPerSecond: number;
  /**
   * Requests allowed in flight at once. Default: adaptive, starting at twice the rate (at most
   * INITIAL_IN_FLIGHT) and following the latency seen (rate × latency, with headroom, at most MAX_IN_FLIGHT),
   * halved on throttling. A number fixes it.
   */
  maxInFlight?: number;
  /**
   * Slack added to the 1-second window of the sliding-window check, for network jitter between our start and
   * the server's arrival clock (default DEFAULT_WINDOW_MARGIN_MS).
   */
  windowMarginMs?: number;
}

/** What a response's `RateLimit-*` headers said (the client parses them). */
export interface RateLimitInfo {
  /** `RateLimit-Limit`: requests allowed per window. */
  readonly limit?: number;
  /** The window of `limit`, seconds (`;w=` in the header; 1 when absent). */
  readonly windowSeconds?: number;
  /** `RateLimit-Remaining`: requests left in the server's current window, this one counted. */
  readonly remaining?: number;
  /** When the request that got this answer started (performance.now() clock). */
  readonly startedAt: number;
}

export interface RateLimitEffect {
  /** The pace ceiling changed to follow the server's `RateLimit-Limit` (the new ceiling, requests/s). */
  readonly ceilingChanged?: number;
  /** Starts are held this long (ms from now) because the server's window is full with others' requests. */
  readonly heldMs?: number;
}

/** Where an adaptive limit starts: enough for 5/s at up to 2 s a request. */
const INITIAL_IN_FLIGHT = 10;
/** Requests in flight at most, whatever the rate and latency: bounds the pages held in memory. */
export const MAX_IN_FLIGHT = 32;
/** Weight of the newest request in the latency average. */
const LATENCY_WEIGHT = 0.2;
/** The API's limit is counted per second (docs/activecampaign-api.md section 5). */
const WINDOW_MS = 1000;
export const DEFAULT_WINDOW_MARGIN_MS = 50;
/** A throttle lowers the pace by this factor, once per throttle episode, down to half the configured rate. */
const SLOW_DOWN = 0.9;
/** Every SPEED_UP_EVERY successful requests the pace grows by this factor, up to its ceiling. */
const SPEED_UP = 1.02;
const SPEED_UP_EVERY = 50;
/** Above this many starts per window (a local simulator), even pacing alone is used. */
const MAX_WINDOW_COUNT = 64;
/**
 * fetch keeps an idle connection this long (undici's default keep-alive timeout, which a server hint can only
 * shorten unless it is long). A start that finds no connection idle for less than this opens a new one.
 */
const KEEP_ALIVE_MS = 4000;
/**
 * A request on a new connection reaches the server after the TCP and TLS handshakes, up to a few round trips
 * after its start: its arrival is only known to lie between its start and its answer. The window then counts it
 * at its answer, at most this long after its start.
 */
const COLD_CAP_MS = 1000;

/** One start, for the sliding window. */
interface Start {
  readonly at: number;
  /** Probably opened a new connection (no idle one to reuse). */
  readonly cold: boolean;
  /** When its slot was released; NaN while in flight. */
  endedAt: number;
}

interface Waiter {
  priority: number;
  resolve: (release: () => void) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * The request budget of one account, shared by every request of a run. ActiveCampaign allows 5 requests/s
 * per account with no documented burst, and its limiter's algorithm is unknown, so the budget assumes the
 * strictest one (a sliding window) and never relies on a bucket's burst:
 *
 * - starts are paced evenly at the current pace (never a burst);
 * - on top of that, no more than ceil(pace) starts fall within any window of 1 s plus a margin for jitter, so a
 *   strict "5 in any second" limiter is not tripped by pacing at or just under 5/s. A start that has to open
 *   a connection (none idle in a model of fetch's keep-alive pool) may reach the server much later than it
 *   started; the window counts it at its answer instead (at most 1 s after its start);
 * - a throttle (`pause`) stops every start for the time asked, halves an adaptive in-flight limit and lowers
 *   the pace ×0.9 (at most once per throttle episode, never below half the configured rate); successes bring
 *   it back slowly (+2 % per 50 requests);
 * - the server's `RateLimit-Limit`, when lower, becomes the ceiling; `RateLimit-Remaining: 0` that our own
 *   recent starts do not explain (another integration shares the account) holds starts until the window clears.
 *
 * Waiters are served by priority, then first come, first served: a stream that can only have one request in
 * flight (keyset paging) goes first, so it never waits behind others' read-ahead.
 */
export class RequestBudget {
  /** The configured rate: the pace never goes above it. */
  readonly requestsPerSecond: number;
  private limit: number;
  private readonly adaptive: boolean;
  /** Moving average of how long a request holds its slot, ms (0 until one ends). */
  private latencyMs = 0;
  /** The configured rate, or the server's lower `RateLimit-Limit`. */
  private ceiling: number;
  /** Starts per second now: the ceiling, lowered by throttles, recovering with successes. */
  private pace: number;
  private successes = 0;
  private readonly marginMs: number;
  /** Recent starts, oldest first from `recentHead` (performance.now() clock). */
  private readonly recent: Start[] = [];
  private recentHead = 0;
  /** A model of fetch's keep-alive pool: when each idle connection was last released, oldest first. */
  private readonly idleSince: number[] = [];
  private readonly queue: Waiter[] = [];
  private inFlight = 0;
  /** Earliest start of the next request (performance.now() clock). */
  private nextStartAt = 0;
  /** A throttle's pause. */
  private pausedUntil = 0;
  /** A hold for a server window that others filled (not a throttle: no slow-down). */
  private heldUntil = 0;
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
    const margin = options.windowMarginMs ?? DEFAULT_WINDOW_MARGIN_MS;
    if (!Number.isFinite(margin) || margin < 0) {
      throw new ConfigError(`the rate window margin must be zero or more milliseconds (got ${margin})`);
    }
    this.requestsPerSecond = rate;
    this.ceiling = rate;
    this.pace = rate;
    this.marginMs = margin;
    this.limit = maxInFlight;
    this.adaptive = options.maxInFlight === undefined;
  }

  /** Requests allowed in flight now. */
  get maxInFlight(): number {
    return this.limit;
  }

  /** Starts per second now (at most `rateCeiling`; lowered by throttles, recovering with successes). */
  get currentRate(): number {
    return this.pace;
  }

  /** The most the pace may recover to: the configured rate, or the server's lower `RateLimit-Limit`. */
  get rateCeiling(): number {
    return this.ceiling;
  }

  /** Requests currently holding a slot (started and not yet released). */
  get active(): number {
    return this.inFlight;
  }

  /**
   * Keeps the pipe full whatever the latency: at `rate` starts per second, each request holding its slot
   * `latency` seconds, about rate × latency are in flight. The limit grows one step per request towards that
   * (with headroom for jitter), and drops at once when requests get faster.
   */
  private adapt(heldMs: number): void {
    this.latencyMs = this.latencyMs === 0 ? heldMs : this.latencyMs + LATENCY_WEIGHT * (heldMs - this.latencyMs);
    if (!this.adaptive) return;
    const needed = Math.ceil((this.pace * this.latencyMs * 1.5) / 1000) + 1;
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
   * After a throttle: no request of this budget starts before now + ms (requests in flight are left alone).
   * The first throttle of an episode (one arriving while no pause is running) also halves an adaptive in-flight
   * limit and lowers the pace ×0.9, not below half the configured rate; the throttles of the requests that
   * were in flight with it are echoes of the same overload and only extend the pause. A throttle that asks
   * for no wait at all (`Retry-After: 0`) still counts as one.
   */
  pause(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const now = performance.now();
    if (now >= this.pausedUntil) {
      if (this.adaptive) this.limit = Math.max(1, Math.floor(this.limit / 2));
      this.pace = Math.max(Math.min(this.ceiling, this.requestsPerSecond / 2), this.pace * SLOW_DOWN);
      this.successes = 0;
    }
    this.pausedUntil = Math.max(this.pausedUntil, now + ms);
    this.pump();
  }

  /** A request succeeded: every SPEED_UP_EVERY of them, a pace lowered by throttles grows back 2 %. */
  noteSuccess(): void {
    if (this.pace >= this.ceiling) return;
    this.successes += 1;
    if (this.successes < SPEED_UP_EVERY) return;
    this.successes = 0;
    this.pace = Math.min(this.ceiling, this.pace * SPEED_UP);
  }

  /**
   * What a response's `RateLimit-*` headers said. A limit below the configured rate becomes the pace's
   * ceiling (the latest limit wins, never above the configured rate). `Remaining: 0` that our own starts in
   * the window before this request do not explain means others share the account: starts are held until a
   * window has passed since this request started.
   */
  observeRateLimit(info: RateLimitInfo): RateLimitEffect {
    const effect: { ceilingChanged?: number; heldMs?: number } = {};
    const windowSeconds = info.windowSeconds !== undefined && info.windowSeconds > 0 ? info.windowSeconds : 1;
    const limit = info.limit !== undefined && Number.isFinite(info.limit) && info.limit > 0 ? info.limit : undefined;
    if (limit !== undefined) {
      const ceiling = Math.min(this.requestsPerSecond, limit / windowSeconds);
      if (Math.abs(ceiling - this.ceiling) > 1e-9) {
        this.ceiling = ceiling;
        this.pace = Math.min(this.pace, ceiling);
        effect.ceilingChanged = ceiling;
      }
    }
    if (info.remaining === 0) {
      const span = windowSeconds * 1000 + this.marginMs;
      // The request itself counts: its recorded start may be a fraction of a millisecond after `startedAt`.
      const ours = this.countStarts(info.startedAt - span, info.startedAt + 1);
      if (limit === undefined || ours < limit) {
        const until = info.startedAt + span;
        const now = performance.now();
        if (until > this.heldUntil) this.heldUntil = until;
        if (until - now > 1) effect.heldMs = Math.round(until - now);
      }
    }
    this.pump();
    return effect;
  }

  /** Starts allowed within one window (plus margin): the pace rounded up, at least 1. */
  private windowCount(): number {
    return Math.max(1, Math.ceil(this.pace - 1e-9));
  }

  /**
   * Where the server's window may count a start: its start, or for a start on a new connection its answer
   * (now while it is in flight), at most COLD_CAP_MS after its start.
   */
  private anchor(start: Start, now: number): number {
    if (!start.cold) return start.at;
    const end = Number.isNaN(start.endedAt) ? now : start.endedAt;
    return Math.min(Math.max(end, start.at), start.at + COLD_CAP_MS);
  }

  /** Earliest start the sliding window allows: one window after the n-th latest anchor, n the window's count. */
  private windowOpensAt(now: number): number {
    const n = this.windowCount();
    if (n > MAX_WINDOW_COUNT) return 0;
    const span = WINDOW_MS + this.marginMs;
    const anchors: number[] = [];
    for (let i = this.recent.length - 1; i >= this.recentHead; i--) {
      const start = this.recent[i] as Start;
      if (start.at <= now - span - COLD_CAP_MS) break;
      const at = this.anchor(start, now);
      if (at > now - span) anchors.push(at);
    }
    if (anchors.length < n) return 0;
    anchors.sort((a, b) => b - a);
    return (anchors[n - 1] as number) + span;
  }

  private recordStart(at: number): Start {
    // Forget starts too old to matter to the window or to RateLimit-Remaining.
    const horizon = at - 2 * (WINDOW_MS + this.marginMs) - COLD_CAP_MS;
    while (this.recentHead < this.recent.length && (this.recent[this.recentHead] as Start).at < horizon) this.recentHead++;
    if (this.recentHead > 1024 && this.recentHead * 2 > this.recent.length) {
      this.recent.splice(0, this.recentHead);
      this.recentHead = 0;
    }
    while (this.idleSince.length > 0 && (this.idleSince[0] as number) < at - KEEP_ALIVE_MS) this.idleSince.shift();
    const cold = this.idleSince.length === 0;
    if (!cold) this.idleSince.pop();
    const start: Start = { at, cold, endedAt: Number.NaN };
    this.recent.push(start);
    return start;
  }

  /** Starts in (from, to]. */
  private countStarts(from: number, to: number): number {
    let count = 0;
    for (let i = this.recent.length - 1; i >= this.recentHead; i--) {
      const at = (this.recent[i] as Start).at;
      if (at <= from) break;
      if (at <= to) count++;
    }
    return count;
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const now = performance.now();
      const startAt = Math.max(this.nextStartAt, this.pausedUntil, this.heldUntil, this.windowOpensAt(now));
      // Timers may fire up to a millisecond early on Node's clock; within that, the slot has come.
      if (startAt - now > 1) {
        this.wakeAt(startAt, now);
        return;
      }
      const waiter = this.queue.shift() as Waiter;
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      this.inFlight += 1;
      const started = Math.max(now, startAt);
      const start = this.recordStart(started);
      this.nextStartAt = started + 1000 / this.pace;
      let released = false;
      waiter.resolve(() => {
        if (released) return;
        released = true;
        const ended = performance.now();
        start.endedAt = ended;
        this.idleSince.push(ended);
        this.inFlight -= 1;
        this.adapt(ended - now);
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
