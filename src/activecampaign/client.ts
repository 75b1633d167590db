import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { USER_AGENT } from '../core/version.js';
import { linkedAbort } from './abort.js';
import { ApiError, ConfigError, type ApiErrorKind } from '../core/errors.js';
import { DEFAULT_MAX_WAIT_SECONDS } from '../core/defaults.js';
import { errorMessageFromBody, permissionDenial } from './error-body.js';
import type { RateLimitInfo, RequestBudget } from './rate-limiter.js';
import { normalizeBaseUrl } from './url.js';

export interface ClientOptions {
  /** The URL from Settings → Developer; normalised with normalizeBaseUrl. */
  baseUrl: string;
  key: string;
  /** The account's budget, shared by every request of the run. */
  budget: RequestBudget;
  /** Per attempt, from the request's start to the end of its body (default 30000). */
  timeoutMs?: number;
  /** Attempts per request, the first included (default 6). */
  maxAttempts?: number;
  /** Backoff base: the n-th retry waits a random time below base·2^(n-1) (default 1000). */
  retryBaseMs?: number;
  /**
   * Longest a request waits on throttling, all its throttled retries together (default 10 minutes,
   * DEFAULT_MAX_WAIT_SECONDS). A Retry-After that would take it past this is not waited out: the request ends
   * with ApiError kind 'throttled' carrying `retryAt`, and every later request of this client fails the same
   * way, without a request, until then.
   */
  maxWaitMs?: number;
  /** Waits at least this long (throttle pauses, backoffs, holds) are announced with a 'waiting' event (default 2000). */
  announceWaitMs?: number;
  userAgent?: string;
  /** Requests, retries, throttles, long waits and pace changes, for the engine to log and count. */
  onEvent?: (event: ClientEvent) => void;
}

/**
 * Why a request, or the whole budget, waits:
 * - `throttle`: a 429 (or a 503 with Retry-After or `RateLimit-Remaining: 0`); every request of the budget waits;
 * - `backoff`: a retry after a failure; after a bare 503 every request of the budget waits with it;
 * - `rate-window`: `RateLimit-Remaining: 0` that our own requests do not explain; every request waits.
 */
export type WaitCause = 'throttle' | 'backoff' | 'rate-window';

export type ClientEvent =
  | { type: 'request'; path: string; status: number; ms: number }
  /** `attempt` is the 1-based number of the attempt that failed; `delayMs` the wait before the next one. */
  | { type: 'retry'; path: string; attempt: number; reason: string; delayMs: number }
  /** A throttle answer; `retryAfterMs` is the pause it caused (Retry-After, or a backoff without one). */
  | { type: 'throttled'; path: string; retryAfterMs: number }
  /**
   * A wait of at least `announceWaitMs` (default 2 s) begins: `ms` long, until `untilMs` (epoch ms). `reason`
   * is a short phrase for a log line ("waiting 30 s until 15:04:05: <reason>"). A wait every request shares
   * (cause throttle or rate-window, or a bare 503's backoff) is announced once, not by each request that sees it.
   */
  | { type: 'waiting'; path: string; cause: WaitCause; reason: string; untilMs: number; ms: number }
  /** The server's `RateLimit-Limit` changed the budget's ceiling to `requestsPerSecond`. */
  | { type: 'pace'; path: string; requestsPerSecond: number; reason: string };

export interface ClientStats {
  /** HTTP attempts made, whether or not a response arrived. */
  requests: number;
  retries: number;
  /** Throttle answers: 429s, and 503s with Retry-After or `RateLimit-Remaining: 0`. */
  throttled: number;
  /** Attempts by HTTP status; attempts without a response count under `timeout` or `network`. */
  byStatus: Record<string, number>;
}

interface FailureInit {
  reason: string;
  /** Kind of the ApiError if this failure is the last one. */
  finalKind: ApiErrorKind;
  status?: number;
  /**
   * A throttle (429, or 503 with Retry-After or `RateLimit-Remaining: 0`): the account is over its rate.
   * `retryAfterMs` is the server's Retry-After when it sent one. It never counts as an attempt.
   */
  throttled?: { retryAfterMs?: number };
}

/** One failed attempt: retried while attempts remain, otherwise turned into an ApiError. */
class Failure {
  readonly reason: string;
  readonly finalKind: ApiErrorKind;
  readonly status: number | undefined;
  readonly throttled: { retryAfterMs?: number } | undefined;
  constructor(init: FailureInit) {
    this.reason = init.reason;
    this.finalKind = init.finalKind;
    this.status = init.status;
    this.throttled = init.throttled;
  }
}

/** Answers that end the request at once. */
class Fatal {
  constructor(readonly error: ApiError) {}
}

const RETRIABLE_STATUS = new Set([408, 500, 502, 503, 504]);
/** 403s retried on a list endpoint (intermittent 403s are seen on valid keys, docs section 5). */
const MAX_FORBIDDEN_RETRIES = 2;
/** On the credential check a 403 almost always is a bad key: one quick retry, not 13 s of backoff. */
const MAX_AUTH_FORBIDDEN_RETRIES = 1;
const AUTH_RETRY_MAX_MS = 500;
/** A throttle without Retry-After waits the backoff ceiling, at most this long. */
const MAX_THROTTLE_BACKOFF_MS = 60_000;
/** Shared waits ending within this of one already announced are the same wait. */
const SAME_WAIT_MS = 1000;
const WHERE = 'Settings → Developer';

/**
 * The only code that speaks HTTP to ActiveCampaign: GET requests under the account's budget, with the
 * API's retry rules (docs/activecampaign-api.md sections 5 and 6) and errors sorted by what the user can do.
 *
 * Throttles (429, or a 503 that says so with Retry-After or `RateLimit-Remaining: 0`) pause the whole budget
 * for the time asked and never use up a request's attempts; they are bounded by `maxWaitMs` instead. Other
 * failures are retried with backoff up to `maxAttempts`; a bare 503 may be throttling too, so its backoff
 * pauses the whole budget as well.
 */
export class ActiveCampaignClient {
  readonly baseUrl: string;
  readonly stats: ClientStats = { requests: 0, retries: 0, throttled: 0, byStatus: {} };
  private readonly key: string;
  private readonly budget: RequestBudget;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly maxWaitMs: number;
  private readonly announceWaitMs: number;
  private readonly userAgent: string;
  private readonly onEvent: ((event: ClientEvent) => void) | undefined;
  /** True once any HTTP answer arrived: a refused connection before that means a wrong URL. */
  private answered = false;
  /**
   * The API's clock minus this machine's (ms), from the `Date` header of the latest answer (whole seconds, so
   * within a second and the answer's latency); undefined until an answer carried one.
   */
  private clockOffset: number | undefined;
  /** After a throttle beyond maxWaitMs: no request before this (epoch ms). */
  private blockedUntil = 0;
  private blockedStatus: number | undefined;
  /** End of the latest shared wait announced (epoch ms). */
  private announcedUntil = 0;

  /**
   * How far the API's clock is ahead of this machine's (ms, negative when behind), as its answers' `Date` headers
   * say; undefined if none carried one (a proxy may drop it). Dates the API writes compare with this machine's
   * times only after this correction.
   */
  get serverClockOffsetMs(): number | undefined {
    return this.clockOffset;
  }

  constructor(options: ClientOptions) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
    const key = options.key.trim();
    if (key === '') throw new ConfigError(`the ActiveCampaign key is empty; copy it from ${WHERE}`);
    // A key with control characters cannot go into a header; say so without echoing it.
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(key)) {
      throw new ConfigError(`the ActiveCampaign key contains line breaks or control characters; copy it again from ${WHERE}`);
    }
    this.key = key;
    this.budget = options.budget;
    this.timeoutMs = positive(options.timeoutMs, 30_000, 'timeoutMs');
    this.maxAttempts = Math.max(1, Math.floor(positive(options.maxAttempts, 6, 'maxAttempts')));
    this.retryBaseMs = nonNegative(options.retryBaseMs, 1000, 'retryBaseMs');
    this.maxWaitMs = nonNegative(options.maxWaitMs, DEFAULT_MAX_WAIT_SECONDS * 1000, 'maxWaitMs');
    this.announceWaitMs = nonNegative(options.announceWaitMs, 2000, 'announceWaitMs');
    this.userAgent = options.userAgent ?? USER_AGENT;
    this.onEvent = options.onEvent;
  }

  /**
   * GET `<base>/api/3<path>?<params>` and its JSON object. Rejects with ApiError, or the signal's reason.
   * `priority`: requests of a higher priority take the budget's next free slot first.
   */
  get(path: string, params?: Record<string, string>, signal?: AbortSignal, priority = 0): Promise<Record<string, unknown>> {
    return this.request(path, params, signal, 'permission', priority);
  }

  /**
   * The key's user (`GET /users/me` → `user`): the credential check. A 401 or 403 here means a bad key or URL:
   * a 401 fails at once, a 403 after one quick retry.
   */
  async me(signal?: AbortSignal): Promise<Record<string, unknown>> {
    const path = '/users/me';
    const body = await this.request(path, undefined, signal, 'auth');
    const user = body.user;
    if (typeof user !== 'object' || user === null || Array.isArray(user)) {
      throw new ApiError('bad_response', `ActiveCampaign answered ${path} without a user object; check the URL (${WHERE})`, path, 200);
    }
    return user as Record<string, unknown>;
  }

  private async request(
    path: string,
    params: Record<string, string> | undefined,
    signal: AbortSignal | undefined,
    forbiddenKind: 'permission' | 'auth',
    priority = 0,
  ): Promise<Record<string, unknown>> {
    if (!path.startsWith('/') || path.includes('?') || path.includes('#')) {
      throw new Error(`client paths start with '/' and carry no query (got ${JSON.stringify(path)})`);
    }
    const url = new URL(`${this.baseUrl}/api/3${path}`);
    for (const [name, value] of Object.entries(params ?? {})) url.searchParams.set(name, value);

    let tries = 0;
    /** Failed attempts that count toward maxAttempts: every failure but a throttle. */
    let attempts = 0;
    let forbidden = 0;
    let throttles = 0;
    let throttledMs = 0;
    for (;;) {
      signal?.throwIfAborted();
      if (Date.now() < this.blockedUntil) throw this.blockedError(path);
      const outcome = await this.attempt(url, path, signal, forbiddenKind, priority);
      tries += 1;
      if (outcome instanceof Fatal) throw outcome.error;
      if (!(outcome instanceof Failure)) return outcome;

      const failure = outcome;
      let delayMs: number;
      if (failure.throttled) {
        throttles += 1;
        const askedMs = failure.throttled.retryAfterMs ?? Math.min(this.backoffCeiling(throttles), MAX_THROTTLE_BACKOFF_MS);
        if (throttledMs + askedMs > this.maxWaitMs) throw this.stopThrottled(path, failure, askedMs, throttledMs);
        throttledMs += askedMs;
        this.throttle(path, failure, askedMs);
        // Jitter keeps requests throttled together from restarting together.
        delayMs = askedMs + Math.round(Math.random() * Math.min(this.retryBaseMs, 1000));
      } else {
        attempts += 1;
        if (failure.status === 403) forbidden += 1;
        const forbiddenRetries = forbiddenKind === 'auth' ? MAX_AUTH_FORBIDDEN_RETRIES : MAX_FORBIDDEN_RETRIES;
        if (attempts >= this.maxAttempts || (failure.status === 403 && forbidden > forbiddenRetries)) {
          throw this.giveUp(path, tries, forbidden, failure);
        }
        delayMs = Math.round(Math.random() * this.backoffCeiling(attempts));
        if (failure.status === 403 && forbiddenKind === 'auth') delayMs = Math.min(delayMs, AUTH_RETRY_MAX_MS);
        const next = `attempt ${attempts + 1} of ${this.maxAttempts}`;
        if (failure.status === 503) {
          // A bare 503 may be the account's throttling (docs section 5): nobody else starts during this backoff.
          this.budget.pause(delayMs);
          this.announceWait(path, 'backoff', `ActiveCampaign answered ${failure.reason}, which may be throttling; ${next}`, delayMs, true);
        } else {
          this.announceWait(path, 'backoff', `${failure.reason}; ${next}`, delayMs, false);
        }
      }
      this.stats.retries += 1;
      this.emit({ type: 'retry', path, attempt: tries, reason: failure.reason, delayMs });
      await sleep(delayMs, undefined, signal ? { signal } : undefined).catch(() => signal?.throwIfAborted());
    }
  }

  /** One HTTP attempt: the body, a retriable failure, or a fatal error. */
  private async attempt(
    url: URL,
    path: string,
    signal: AbortSignal | undefined,
    forbiddenKind: 'permission' | 'auth',
    priority: number,
  ): Promise<Record<string, unknown> | Failure | Fatal> {
    const release = await this.budget.acquire(signal, priority);
    if (Date.now() < this.blockedUntil) {
      // Throttled beyond the ceiling while this request waited for its slot.
      release();
      return new Fatal(this.blockedError(path));
    }
    const abort = linkedAbort(signal, this.timeoutMs);
    const started = performance.now();
    this.stats.requests += 1;
    let status: number;
    let statusText: string;
    let text: string;
    let contentType: string;
    let location: string | null;
    let retryAfter: string | null;
    let rateLimit: Omit<RateLimitInfo, 'startedAt'>;
    try {
      const response = await fetch(url, {
        method: 'GET',
        headers: { 'Api-Token': this.key, Accept: 'application/json', 'User-Agent': this.userAgent },
        redirect: 'manual',
        signal: abort.signal,
      });
      this.answered = true;
      status = response.status;
      statusText = response.statusText;
      contentType = response.headers.get('content-type') ?? '';
      location = response.headers.get('location');
      retryAfter = response.headers.get('retry-after');
      rateLimit = parseRateLimit(response.headers.get('ratelimit-limit'), response.headers.get('ratelimit-remaining'));
      const serverDate = Date.parse(response.headers.get('date') ?? '');
      if (!Number.isNaN(serverDate)) this.clockOffset = serverDate - Date.now();
      // The body is read inside the same timeout: a response that stalls halfway is a timeout too.
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const cause = networkCause(error);
      // A name the DNS says does not exist is a wrong URL, not a passing failure: no point retrying for a minute.
      if (cause === 'ENOTFOUND') {
        return new Fatal(
          new ApiError('unavailable', `cannot find the host ${url.hostname}: check the URL (copy it from ${WHERE})`, path),
        );
      }
      // Nothing listening before this client ever had an answer: a wrong URL or port. Later in a run the
      // server may be restarting, so a refusal is retried then.
      if (cause === 'ECONNREFUSED' && !this.answered) {
        return new Fatal(
          new ApiError('unavailable', `nothing accepts connections at ${hostAndPort(url)} (connection refused): check the URL (copy it from ${WHERE})`, path),
        );
      }
      const timedOut = abort.timedOut;
      this.count(timedOut ? 'timeout' : 'network');
      const reason = timedOut ? `no complete answer within ${this.timeoutMs} ms` : `connection failed (${cause})`;
      return new Failure({ reason: this.redact(reason), finalKind: 'unavailable' });
    } finally {
      abort.dispose();
      release();
    }

    const ms = Math.round(performance.now() - started);
    this.count(String(status));
    this.emit({ type: 'request', path, status, ms });

    const retryAfterMs = parseRetryAfter(retryAfter);
    const throttled = status === 429 || (status === 503 && (retryAfterMs !== undefined || rateLimit.remaining === 0));
    this.observeRateLimit(path, rateLimit, started, throttled);

    if (status >= 200 && status < 300) {
      const body = this.parseBody(text, contentType, status);
      if (!(body instanceof Failure)) this.budget.noteSuccess();
      return body;
    }

    const parsed = parseJson(text);
    const message = this.redact(oneLine(errorMessageFromBody(parsed, status, statusText)));
    const said = `${status} ${message}`;
    if (status >= 300 && status < 400) {
      const target = location ? ` to ${this.redact(location)}` : '';
      return new Fatal(
        new ApiError(
          'redirect',
          `ActiveCampaign answered ${path} with a redirect (${status}${target}); the URL probably is wrong: copy it from ${WHERE}`,
          path,
          status,
        ),
      );
    }
    if (status === 401) return new Fatal(this.authError(path, status, said));
    if (status === 403) {
      if (forbiddenKind === 'auth') return new Failure({ reason: said, finalKind: 'auth', status });
      // Only an answer that talks about a permission is one; a bare "Forbidden" from a flaky server is not.
      const denial = permissionDenial(parsed);
      if (denial === undefined) return new Failure({ reason: said, finalKind: 'unavailable', status });
      const detail = this.redact(oneLine(denial));
      const reason = detail === message ? said : `${said}: ${detail}`;
      return new Failure({ reason, finalKind: 'permission', status });
    }
    if (status === 404) {
      return new Fatal(new ApiError('not_found', `ActiveCampaign has no ${path} (${said})`, path, status));
    }
    if (throttled) {
      return new Failure({ reason: said, finalKind: 'unavailable', status, throttled: retryAfterMs === undefined ? {} : { retryAfterMs } });
    }
    if (RETRIABLE_STATUS.has(status) || status >= 500) {
      return new Failure({ reason: said, finalKind: 'unavailable', status });
    }
    return new Fatal(new ApiError('bad_request', `ActiveCampaign refused the request for ${path} (${said})`, path, status));
  }

  private parseBody(text: string, contentType: string, status: number): Record<string, unknown> | Failure {
    const looksHtml = /html/i.test(contentType) || /^\s*</.test(text);
    if (looksHtml) {
      return new Failure({ reason: `${status} with an HTML page instead of JSON`, finalKind: 'bad_response', status });
    }
    const body = parseJson(text);
    if (body === undefined) {
      const what = text.trim() === '' ? 'an empty body' : 'invalid or truncated JSON';
      return new Failure({ reason: `${status} with ${what}`, finalKind: 'bad_response', status });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return new Failure({ reason: `${status} with JSON that is not an object`, finalKind: 'bad_response', status });
    }
    return body as Record<string, unknown>;
  }

  /** `RateLimit-*` headers feed the budget: a lower limit becomes its ceiling, a full window others filled holds it. */
  private observeRateLimit(path: string, info: Omit<RateLimitInfo, 'startedAt'>, startedAt: number, throttled: boolean): void {
    if (info.limit === undefined && info.remaining === undefined) return;
    // A throttle pauses the budget anyway; its Remaining: 0 needs no hold of its own.
    const seen = throttled ? { ...info, remaining: undefined } : info;
    const effect = this.budget.observeRateLimit({ ...seen, startedAt });
    if (effect.ceilingChanged !== undefined) {
      const rate = Math.round(effect.ceilingChanged * 100) / 100;
      this.emit({
        type: 'pace',
        path,
        requestsPerSecond: effect.ceilingChanged,
        reason: `the API's RateLimit-Limit allows ${rate} requests/s; acsync paces at most at that rate`,
      });
    }
    if (effect.heldMs !== undefined) {
      this.announceWait(path, 'rate-window', 'the account used up its rate window (RateLimit-Remaining: 0); another integration may share it', effect.heldMs, true);
    }
  }

  private giveUp(path: string, tries: number, forbidden: number, failure: Failure): ApiError {
    const attempts = tries === 1 ? '1 attempt' : `${tries} attempts`;
    switch (failure.finalKind) {
      case 'auth':
        return this.authError(path, failure.status, failure.reason);
      case 'permission':
        return new ApiError(
          'permission',
          `ActiveCampaign denied access to ${path} (${failure.reason}); the key's user needs a group with this permission`,
          path,
          failure.status,
        );
      case 'bad_response':
        return new ApiError(
          'bad_response',
          `ActiveCampaign sent no usable response for ${path} after ${attempts} (last: ${failure.reason})`,
          path,
          failure.status,
        );
      default:
        if (failure.status === 403) {
          return new ApiError(
            'unavailable',
            `ActiveCampaign refused ${path} ${forbidden} times (last: ${failure.reason}) without naming a missing permission; ` +
              'the key passed the credential check, so the server may be failing: try again later',
            path,
            failure.status,
          );
        }
        return new ApiError(
          'unavailable',
          `ActiveCampaign did not answer ${path} after ${attempts} (last: ${failure.reason})`,
          path,
          failure.status,
        );
    }
  }

  private authError(path: string, status: number | undefined, said: string): ApiError {
    return new ApiError(
      'auth',
      `ActiveCampaign rejected the key on ${path} (${said}); check the URL and key in ${WHERE}`,
      path,
      status,
    );
  }

  /**
   * A throttle pauses the whole budget, not just this request: every request of the account would get one.
   * The budget also lowers its pace for a while.
   */
  private throttle(path: string, failure: Failure, waitMs: number): void {
    this.stats.throttled += 1;
    this.budget.pause(waitMs);
    this.emit({ type: 'throttled', path, retryAfterMs: waitMs });
    const asked = failure.throttled?.retryAfterMs === undefined ? 'without Retry-After' : `Retry-After ${seconds(waitMs)}`;
    this.announceWait(path, 'throttle', `the API asked to slow down (${failure.status}, ${asked})`, waitMs, true);
  }

  /** A throttle that asks for more than maxWaitMs: the request ends, and the client refuses requests until then. */
  private stopThrottled(path: string, failure: Failure, askedMs: number, waitedMs: number): ApiError {
    const retryAt = Date.now() + askedMs;
    if (retryAt > this.blockedUntil) {
      this.blockedUntil = retryAt;
      this.blockedStatus = failure.status;
    }
    this.stats.throttled += 1;
    this.emit({ type: 'throttled', path, retryAfterMs: askedMs });
    const asked =
      waitedMs === 0
        ? `asked to wait ${seconds(askedMs)}`
        : `kept throttling: ${seconds(waitedMs)} waited, ${seconds(askedMs)} more asked`;
    return new ApiError(
      'throttled',
      `ActiveCampaign ${asked} on ${path} (${failure.reason}), more than the ${seconds(this.maxWaitMs)} acsync waits; ` +
        `stopped so that a later run resumes: retry after ${new Date(retryAt).toISOString()}`,
      path,
      failure.status,
      retryAt,
    );
  }

  private blockedError(path: string): ApiError {
    const when = new Date(this.blockedUntil).toISOString();
    return new ApiError(
      'throttled',
      `ActiveCampaign asked acsync to wait until ${when}; ${path} was not requested: retry after that time`,
      path,
      this.blockedStatus,
      this.blockedUntil,
    );
  }

  /**
   * A 'waiting' event for a wait of at least announceWaitMs. A shared wait (the whole budget waits) is announced
   * once: the requests that run into the same pause do not repeat it.
   */
  private announceWait(path: string, cause: WaitCause, reason: string, ms: number, shared: boolean): void {
    if (ms <= 0 || ms < this.announceWaitMs) return;
    const untilMs = Date.now() + ms;
    if (shared) {
      if (untilMs <= this.announcedUntil + SAME_WAIT_MS) return;
      this.announcedUntil = untilMs;
    }
    this.emit({ type: 'waiting', path, cause, reason, untilMs, ms: Math.round(ms) });
  }

  private backoffCeiling(attempt: number): number {
    return this.retryBaseMs * 2 ** (attempt - 1);
  }

  private count(bucket: string): void {
    this.stats.byStatus[bucket] = (this.stats.byStatus[bucket] ?? 0) + 1;
  }

  private emit(event: ClientEvent): void {
    this.onEvent?.(event);
  }

  /** Whatever the server or the network says, the key never leaves this object. */
  private redact(text: string): string {
    return text.split(this.key).join('[key]');
  }
}

/** Server messages go into one-line log entries: whitespace collapsed, length bounded. */
function oneLine(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  return collapsed.length > 300 ? `${collapsed.slice(0, 297)}...` : collapsed;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Retry-After as whole (or fractional) seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - Date.now());
}

/**
 * `RateLimit-Limit` and `RateLimit-Remaining` (docs section 5). The limit is read as its first number, with an
 * optional window `;w=<seconds>` (the IETF draft's form, `5, 5;w=1`); anything unreadable is left out.
 */
export function parseRateLimit(limit: string | null, remaining: string | null): { limit?: number; windowSeconds?: number; remaining?: number } {
  const out: { limit?: number; windowSeconds?: number; remaining?: number } = {};
  const count = limit === null ? null : /^\s*(\d+(?:\.\d+)?)/.exec(limit);
  if (limit !== null && count) {
    out.limit = Number(count[1]);
    const window = /;\s*w\s*=\s*(\d+(?:\.\d+)?)/i.exec(limit);
    if (window && Number(window[1]) > 0) out.windowSeconds = Number(window[1]);
  }
  const left = remaining === null ? null : /^\s*(\d+)\s*(?:[,;]|$)/.exec(remaining);
  if (left) out.remaining = Number(left[1]);
  return out;
}

/** A duration for a message: '30 s', '2.5 s', '10 min'. */
function seconds(ms: number): string {
  if (ms >= 120_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/** host:port of a URL, the default port spelled out. */
function hostAndPort(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/** A short name for a network failure: the system error code when there is one (ECONNRESET, UND_ERR_SOCKET...). */
function networkCause(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return error instanceof Error ? error.message : String(error);
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number (got ${value})`);
  return value;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be zero or more (got ${value})`);
  return value;
}
