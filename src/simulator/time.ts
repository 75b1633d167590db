/**
 * Time in the simulated account. The account's time zone is fixed at UTC-03:00 (America/Sao_Paulo, which
 * has had no daylight-saving time since 2019), and values come in the API's three styles: ISO with offset,
 * naive account-local and naive UTC.
 */
import { civilFromDays } from '../core/calendar.js';

export const ACCOUNT_OFFSET_SECONDS = -3 * 3600;
export const ACCOUNT_OFFSET = '-03:00';
export const ACCOUNT_TIME_ZONE = 'America/Sao_Paulo';

/** Base data lies in [BASE_START, BASE_END] (account time), far enough from any plausible "now". */
export const BASE_START = Date.UTC(2022, 0, 1, 3, 0, 0) / 1000;
export const BASE_END = Date.UTC(2025, 6, 1, 2, 59, 59) / 1000;
export const DAY = 86400;

const TWO_DIGITS: string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

function datePart(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${y}-${TWO_DIGITS[m]}-${TWO_DIGITS[d]}`;
}

function parts(epochSeconds: number): [string, string] {
  const t = Math.floor(epochSeconds);
  const days = Math.floor(t / DAY);
  const s = t - days * DAY;
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return [datePart(days), `${TWO_DIGITS[hh]}:${TWO_DIGITS[mm]}:${TWO_DIGITS[ss]}`];
}

/** `2024-03-01T16:02:11-03:00` */
export function isoTime(epochSeconds: number): string {
  const [d, t] = parts(epochSeconds + ACCOUNT_OFFSET_SECONDS);
  return `${d}T${t}${ACCOUNT_OFFSET}`;
}

/** `2024-03-01 16:02:11` in account time. */
export function localTime(epochSeconds: number): string {
  const [d, t] = parts(epochSeconds + ACCOUNT_OFFSET_SECONDS);
  return `${d} ${t}`;
}

/** `2024-03-01 19:02:11` in UTC. */
export function utcTime(epochSeconds: number): string {
  const [d, t] = parts(epochSeconds);
  return `${d} ${t}`;
}

/** `2024-03-01`, the account-local date. */
export function localDate(epochSeconds: number): string {
  return parts(epochSeconds + ACCOUNT_OFFSET_SECONDS)[0];
}

export const ZERO_DATE = '0000-00-00';
export const ZERO_DATETIME = '0000-00-00 00:00:00';

const FILTER_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * Parses a date filter value: `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD` in account time, or an ISO value with
 * an explicit offset. Returns epoch seconds, or undefined when the value is not a date.
 */
export function parseFilterTime(value: string): number | undefined {
  const text = value.trim();
  const m = FILTER_DATE.exec(text);
  if (m) {
    const [, y, mo, d, h, mi, s] = m;
    const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0));
    return Number.isNaN(ms) ? undefined : ms / 1000 - ACCOUNT_OFFSET_SECONDS;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
  }
  return undefined;
}

/** Epoch seconds of an API timestamp in any of the three styles (naive values by the key's name). */
export function parseApiTime(value: unknown, key: string): number | undefined {
  if (typeof value !== 'string' || value === '' || value.startsWith('0000-00-00')) return undefined;
  if (/[zZ]|[+-]\d{2}:\d{2}$/.test(value.slice(10))) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
  }
  const ms = Date.parse(`${value.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) return undefined;
  return key.includes('utc') ? ms / 1000 : ms / 1000 - ACCOUNT_OFFSET_SECONDS;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
