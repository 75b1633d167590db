/**
 * Connector schedules: when each connector's next run is due. Every process with the service open may tick; a
 * due row is claimed with `FOR UPDATE SKIP LOCKED` and moved to its next due time in the transaction that queues
 * the run, so a due time fires once however many processes tick.
 */
import { Cron } from 'croner';
import type { Schedule } from '../jobs.js';

export const SCHEDULES_TABLE = 'acsync_queue.schedules';

export const SCHEDULES_DDL = `
  CREATE SCHEMA IF NOT EXISTS acsync_queue;
  CREATE TABLE IF NOT EXISTS ${SCHEDULES_TABLE} (
    connector_id text PRIMARY KEY,
    account text NOT NULL,
    every_minutes double precision,
    cron text,
    next_due timestamptz NOT NULL,
    CHECK ((every_minutes IS NULL) <> (cron IS NULL))
  );
  CREATE INDEX IF NOT EXISTS schedules_next_due ON ${SCHEDULES_TABLE} (next_due);
`;

/** A schedule as stored: one of the two columns is set. */
export interface ScheduleRow {
  readonly every_minutes: number | null;
  readonly cron: string | null;
}

/** Checks a schedule before it is stored: a positive interval, or a five-field cron expression croner reads. */
export function validateSchedule(schedule: Schedule): void {
  if ('everyMinutes' in schedule) {
    if (!(Number.isFinite(schedule.everyMinutes) && schedule.everyMinutes > 0)) {
      throw new RangeError(`a schedule's interval must be a positive number of minutes (got ${schedule.everyMinutes})`);
    }
    return;
  }
  const fields = schedule.cron.trim().split(/\s+/);
  if (fields.length !== 5) throw new RangeError(`a cron schedule has five fields (minute hour day month weekday), got "${schedule.cron}"`);
  // Croner throws on an expression it cannot read.
  new Cron(schedule.cron, { timezone: 'UTC', paused: true }).stop();
}

export function scheduleOf(row: ScheduleRow): Schedule {
  return row.cron !== null ? { cron: row.cron } : { everyMinutes: Number(row.every_minutes) };
}

/**
 * The first due time after `now`. An interval keeps its grid from `previousDue` (a run late by a few seconds
 * does not shift the next ones; due times missed while nothing ticked are skipped, not caught up one by one);
 * without a previous due time the first run is one interval away. Cron expressions are read in UTC.
 */
export function nextDue(schedule: Schedule, now: Date, previousDue?: Date): Date {
  if ('everyMinutes' in schedule) {
    const step = schedule.everyMinutes * 60_000;
    if (!previousDue) return new Date(now.getTime() + step);
    const steps = Math.max(1, Math.floor((now.getTime() - previousDue.getTime()) / step) + 1);
    return new Date(previousDue.getTime() + steps * step);
  }
  const next = new Cron(schedule.cron, { timezone: 'UTC', paused: true }).nextRun(now);
  if (!next) throw new RangeError(`the cron schedule "${schedule.cron}" has no due time after ${now.toISOString()}`);
  return next;
}
