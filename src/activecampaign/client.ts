import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { USER_AGENT } from '../core/version.js';
import { linkedAbort } from './abort.js';
import { ApiError, ConfigError, type ApiErrorKind } from '../core/errors.js';
import { errorMessageFromBody } from './error-body.js';
import type { RequestBudget } from './rate-limiter.js';
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
  /** Longest Retry-After honoured; longer ones are cut to this (default 120000). */
  maxRetryAfterMs?: number;
  userAgent?: string;
  /** Retries and throttles, for the engine to log and count. */
  onEvent?: (event: ClientEvent) => void;
}

export type ClientEvent =
  | { type: 'request'; path: string; status: number; ms: number }
  /** `attempt` is the 1-based number of the attempt that failed; `delayMs` the wait before the next one. */
  | { type: 'retry'; path: string; attempt: number; reason: string; delayMs: number }
  | { type: 'throttled'; path: string; retryAfterMs: number };

export interface ClientStats {
  /** HTTP attempts made, whether or not a response arrived. */
  requests: number;
  retries: number;
  /** 429 answers. */
  throttled: number;
  /** Attempts by HTTP status; attempts without a response count under `timeout` or `network`. */
  byStatus: Record<string, number>;
}

interface FailureInit {
  reason: string;
  /** Kind of the ApiError if this failure is the last one. */
  finalKind: ApiErrorKind;
  status?: number;
  /** A 429: the account is over its rate; `retryAfterMs` is the server's Retry-After when it sent one. */
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
const MAX_FORBIDDEN_RETRIES = 2;
const WHERE = 'Settings → Developer';

/**
 * The only code that speaks HTTP to ActiveCampaign: GET requests under the account's budget, with the
 * API's retry rules (docs/activecampaign-api.md sections 5 and 6) and errors sorted by what the user can do.
 */
export class ActiveCampaignClient {
  readonly baseUrl: string;
  readonly stats: ClientStats = { requests: 0, retries: 0, throttled: 0, byStatus: {} };
  private readonly key: string;
  private readonly budget: RequestBudget;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly userAgent: string;
  private readonly onEvent: ((event: ClientEvent) => void) | undefined;

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
    this.maxRetryAfterMs = nonNegative(options.maxRetryAfterMs, 120_000, 'maxRetryAfterMs');
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

  /** The key's user (`GET /users/me` → `user`): the credential check. A 401 or 403 here means a bad key or URL. */
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

    let forbidden = 0;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const outcome = await this.attempt(url, path, signal, forbiddenKind, priority);
      if (outcome instanceof Fatal) throw outcome.error;
      if (!(outcome instanceof Failure)) return outcome;

      const failure = outcome;
      if (failure.status === 403) forbidden += 1;
      const throttleWaitMs = failure.throttled ? this.throttle(path, attempt, failure.throttled.retryAfterMs) : undefined;
      const last = attempt >= this.maxAttempts || (failure.status === 403 && forbidden > MAX_FORBIDDEN_RETRIES);
      if (last) throw this.giveUp(path, attempt, failure);

      // Jitter keeps requests throttled together from restarting together.
      const delayMs =
        throttleWaitMs !== undefined
          ? throttleWaitMs + Math.round(Math.random() * Math.min(this.retryBaseMs, 1000))
          : Math.round(Math.random() * this.backoffCeiling(attempt));
      this.stats.retries += 1;
      this.emit({ type: 'retry', path, attempt, reason: failure.reason, delayMs });
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
    const abort = linkedAbort(signal, this.timeoutMs);
    const started = performance.now();
    this.stats.requests += 1;
    let status: number;
    let statusText: string;
    let text: string;
    let contentType: string;
    let location: string | null;
    let retryAfter: string | null;
    try {
      const response = await fetch(url, {
        method: 'GET',
        headers: { 'Api-Token': this.key, Accept: 'application/json', 'User-Agent': this.userAgent },
        redirect: 'manual',
        signal: abort.signal,
      });
      status = response.status;
      statusText = response.statusText;
      contentType = response.headers.get('content-type') ?? '';
      location = response.headers.get('location');
      retryAfter = response.headers.get('retry-after');
      // The body is read inside the same timeout: a response that stalls halfway is a timeout too.
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      // A name the DNS says does not exist is a wrong URL, not a passing failure: no point retrying for a minute.
      if (networkCause(error) === 'ENOTFOUND') {
        return new Fatal(
          new ApiError('unavailable', `cannot find the host ${url.hostname}: check the URL (copy it from ${WHERE})`, path),
        );
      }
      const timedOut = abort.timedOut;
      this.count(timedOut ? 'timeout' : 'network');
      const reason = timedOut ? `no complete answer within ${this.timeoutMs} ms` : `connection failed (${networkCause(error)})`;
      return new Failure({ reason: this.redact(reason), finalKind: 'unavailable' });
    } finally {
      abort.dispose();
      release();
    }

    const ms = Math.round(performance.now() - started);
    this.count(String(status));
    this.emit({ type: 'request', path, status, ms });

    if (status >= 200 && status < 300) return this.parseBody(text, contentType, status);

    const message = this.redact(oneLine(errorMessageFromBody(parseJson(text), status, statusText)));
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
    if (status === 403) return new Failure({ reason: said, finalKind: forbiddenKind, status });
    if (status === 404) {
      return new Fatal(new ApiError('not_found', `ActiveCampaign has no ${path} (${said})`, path, status));
    }
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(retryAfter);
      const throttled = retryAfterMs === undefined ? {} : { retryAfterMs };
      return new Failure({ reason: said, finalKind: 'unavailable', status, throttled });
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

  private giveUp(path: string, attempts: number, failure: Failure): ApiError {
    const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
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
          `ActiveCampaign sent no usable response for ${path} after ${tries} (last: ${failure.reason})`,
          path,
          failure.status,
        );
      default:
        return new ApiError(
          'unavailable',
          `ActiveCampaign did not answer ${path} after ${tries} (last: ${failure.reason})`,
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
   * A 429 pauses the whole budget, not just this request: every request of the account would get one. The
   * wait is Retry-After (capped) or, without it, the backoff ceiling.
   */
  private throttle(path: string, attempt: number, retryAfterMs: number | undefined): number {
    const waitMs = Math.min(retryAfterMs ?? this.backoffCeiling(attempt), this.maxRetryAfterMs);
    this.stats.throttled += 1;
    this.budget.pause(waitMs);
    this.emit({ type: 'throttled', path, retryAfterMs: waitMs });
    return waitMs;
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
