/**
 * Rate limiters, one state per key: the token bucket (the simulator's default, kind to bursts) and the strict
 * sliding window (at most N requests in any second).
 */
import type { LimiterKind } from './options.js';

export interface Taken {
  ok: boolean;
  /** For `RateLimit-Remaining`. */
  remaining: number;
  /** Whole seconds a refused client should wait (the limiter's own `Retry-After`). */
  retryAfter: number;
}

export interface RateLimiter {
  readonly kind: LimiterKind;
  /** For `RateLimit-Limit`. */
  readonly limit: number;
  take(key: string): Taken;
}

/** One token bucket per key: capacity = rate, continuous refill. */
export class TokenBucket implements RateLimiter {
  readonly kind = 'bucket';
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(readonly limit: number) {}

  take(key: string): Taken {
    const now = performance.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit, at: now };
    bucket.tokens = Math.min(this.limit, bucket.tokens + ((now - bucket.at) / 1000) * this.limit);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true, remaining: Math.floor(bucket.tokens), retryAfter: 0 };
    }
    return { ok: false, remaining: 0, retryAfter: Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit)) };
  }
}

/** The `Retry-After` of a sliding window when none is configured: the API reference's example value. */
export const WINDOW_RETRY_AFTER = 30;
const WINDOW_MS = 1000;

/** A strict sliding window per key: at most `limit` accepted requests in any 1000 ms; refusals do not count. */
export class SlidingWindow implements RateLimiter {
  readonly kind = 'window';
  readonly limit: number;
  /** Acceptance times per key, oldest first. */
  private readonly accepted = new Map<string, number[]>();

  constructor(rate: number) {
    this.limit = Math.max(1, Math.floor(rate));
  }

  take(key: string): Taken {
    const now = performance.now();
    const times = this.accepted.get(key) ?? [];
    this.accepted.set(key, times);
    let expired = 0;
    while (expired < times.length && (times[expired] as number) <= now - WINDOW_MS) expired++;
    if (expired > 0) times.splice(0, expired);
    if (times.length >= this.limit) return { ok: false, remaining: 0, retryAfter: WINDOW_RETRY_AFTER };
    times.push(now);
    return { ok: true, remaining: this.limit - times.length, retryAfter: 0 };
  }
}

export function createLimiter(kind: LimiterKind, rate: number): RateLimiter | undefined {
  if (rate <= 0) return undefined;
  return kind === 'window' ? new SlidingWindow(rate) : new TokenBucket(rate);
}
