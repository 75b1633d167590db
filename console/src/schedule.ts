/** Schedules in words, and when a connector's next run is due. */
import { Cron } from 'croner';
import type { Connector, Schedule } from './api.js';

export function describeSchedule(schedule: Schedule): string {
  if (schedule === null) return 'only when started by hand';
  if ('everyMinutes' in schedule) return `every ${schedule.everyMinutes} minutes`;
  if ('everyHours' in schedule) return schedule.everyHours === 1 ? 'every hour' : `every ${schedule.everyHours} hours`;
  return `cron ${schedule.cron} (UTC)`;
}

/** The next due time: the server's own figure when it gives one, else from the schedule and the last run. */
export function nextRunAt(connector: Connector & { nextRunAt?: string | null }): string | null {
  if (connector.nextRunAt !== undefined) return connector.nextRunAt;
  const schedule = connector.schedule;
  if (schedule === null || connector.paused) return null;
  if ('cron' in schedule) return new Cron(schedule.cron, { timezone: 'UTC' }).nextRun()?.toISOString() ?? null;
  const minutes = 'everyMinutes' in schedule ? schedule.everyMinutes : schedule.everyHours * 60;
  const last = connector.lastRun?.queuedAt ?? connector.createdAt;
  return new Date(Math.max(Date.parse(last) + minutes * 60_000, Date.now())).toISOString();
}
