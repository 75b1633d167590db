/** Account-time helpers for the updated-since filter (written as `YYYY-MM-DD HH:MM:SS` in account time). */
import { zoneOffsetMinutes } from '../core/time-zone.js';

export interface AccountTime {
  /** IANA zone from the user's settings, preferred: correct across daylight-saving changes. */
  readonly timeZone: string | null;
  /** Offset east of UTC in minutes, learned from the API's ISO timestamps; used when no zone is set. */
  readonly offsetMinutes: number;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `utcIso` minus `overlapSeconds`, written as account-local `YYYY-MM-DD HH:MM:SS`. */
export function formatAccountTime(utcIso: string, accountTime: AccountTime, overlapSeconds = 0): string {
  const ms = Date.parse(utcIso) - overlapSeconds * 1000;
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${utcIso}`);
  const offset = accountTime.timeZone ? zoneOffsetMinutes(accountTime.timeZone, ms) : accountTime.offsetMinutes;
  const local = new Date(ms + offset * 60_000);
  return (
    `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`
  );
}

/** Microseconds since the epoch (a typed timestamp) as ISO-8601 UTC. */
export function microsToIso(micros: bigint): string {
  return new Date(Number(micros / 1000n)).toISOString();
}
