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

type RefreshEvery = Connector['refreshEveryHours'];

/** A refresh interval as the form's text: `24` (every table read whole) or `contacts_notes=24, accounts=6`. */
export function refreshEveryText(value: RefreshEvery): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  return Object.entries(value).map(([table, hours]) => `${table}=${hours}`).join(', ');
}

/** The form's text back to the API's value; the server checks the tables and their modes. */
export function parseRefreshEveryText(text: string): RefreshEvery {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const hours = (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`refresh interval: "${value}" is not a number of hours`);
    return n;
  };
  if (!trimmed.includes('=')) return hours(trimmed);
  const entries = trimmed.split(',').map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    const [table, n, ...rest] = entry.split('=').map((s) => s.trim());
    if (!table || n === undefined || rest.length > 0) throw new Error(`refresh interval: write hours, or table=hours, comma-separated (not "${entry}")`);
    return [table, hours(n)] as const;
  });
  return Object.fromEntries(entries);
}

export function describeRefreshEvery(value: RefreshEvery): string {
  if (value === null) return 'every run';
  if (typeof value === 'number') return `at most every ${value} h`;
  return Object.entries(value).map(([table, hours]) => `${table} at most every ${hours} h`).join(', ');
}
