/**
 * IANA time zones, resolved through Intl once per zone and local hour, then cached: typing (naive account-time
 * values to UTC), the engine (the updated-since filter in account time) and the settings (zone names) share it.
 */
import { daysFromCivil } from './calendar.js';

const SECONDS_PER_DAY = 86_400;

/** Converts wall-clock times of one IANA zone to UTC, correctly across daylight-saving changes. */
class ZoneResolver {
  private readonly format: Intl.DateTimeFormat;
  /** Offset (seconds) for each local hour without a transition inside it; NaN for the rare hours with one. */
  private readonly hourOffsets = new Map<number, number>();

  constructor(timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Offset (seconds east of UTC) in force at a UTC instant. */
  offsetAt(utcSeconds: number): number {
    let year = 0;
    let month = 0;
    let day = 0;
    let hour = 0;
    let minute = 0;
    let second = 0;
    for (const part of this.format.formatToParts(new Date(utcSeconds * 1000))) {
      switch (part.type) {
        case 'year': year = Number(part.value); break;
        case 'month': month = Number(part.value); break;
        case 'day': day = Number(part.value); break;
        case 'hour': hour = Number(part.value); break;
        case 'minute': minute = Number(part.value); break;
        case 'second': second = Number(part.value); break;
        default: break;
      }
    }
    const wall = daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
    // Intl works in whole milliseconds and seconds; the instant has no sub-second part here.
    return wall - Math.floor(utcSeconds);
  }

  /**
   * The offset that applies to a wall-clock time. An ambiguous time (clocks turned back) takes the
   * earlier instant; a time that does not exist (clocks turned forward) is read with the offset in
   * force before the change, so it lands after the gap — the `compatible` rule of Temporal and of
   * most databases.
   */
  private offsetForLocalExact(localSeconds: number): number {
    const before = this.offsetAt(localSeconds - SECONDS_PER_DAY);
    const after = this.offsetAt(localSeconds + SECONDS_PER_DAY);
    let best = Number.NaN;
    for (const candidate of [before, after, this.offsetAt(localSeconds - before), this.offsetAt(localSeconds - after)]) {
      if (this.offsetAt(localSeconds - candidate) !== candidate) continue;
      // The earlier instant is the one with the larger offset.
      if (Number.isNaN(best) || candidate > best) best = candidate;
    }
    return Number.isNaN(best) ? before : best;
  }

  /** UTC seconds of a wall-clock time given as seconds since 1970-01-01 00:00 local. */
  localToUtc(localSeconds: number): number {
    const hourIndex = Math.floor(localSeconds / 3600);
    let offset = this.hourOffsets.get(hourIndex);
    if (offset === undefined) {
      const start = hourIndex * 3600;
      const atStart = this.offsetForLocalExact(start);
      offset = atStart === this.offsetForLocalExact(start + 3599) ? atStart : Number.NaN;
      if (this.hourOffsets.size >= 500_000) this.hourOffsets.clear();
      this.hourOffsets.set(hourIndex, offset);
    }
    if (Number.isNaN(offset)) offset = this.offsetForLocalExact(localSeconds);
    return localSeconds - offset;
  }
}

const zoneResolvers = new Map<string, ZoneResolver>();
let lastZoneName: string | null = null;
let lastZoneResolver: ZoneResolver | null = null;

export function zoneResolver(timeZone: string): ZoneResolver {
  if (timeZone === lastZoneName && lastZoneResolver !== null) return lastZoneResolver;
  let resolver = zoneResolvers.get(timeZone);
  if (resolver === undefined) {
    resolver = new ZoneResolver(timeZone);
    zoneResolvers.set(timeZone, resolver);
  }
  lastZoneName = timeZone;
  lastZoneResolver = resolver;
  return resolver;
}

/** Offset (minutes east of UTC) of an IANA zone at an instant given in epoch milliseconds. */
export function zoneOffsetMinutes(timeZone: string, epochMs: number): number {
  return zoneResolver(timeZone).offsetAt(Math.floor(epochMs / 1000)) / 60;
}

/** True when `timeZone` is an IANA zone name this runtime knows (for validating the `timezone` setting). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
