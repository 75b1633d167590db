/** Small pieces every page uses: loading, empty and error states, status badges, times. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.js';

/** Loads `load()` once (and again on `reload`), with its loading and error states. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): { data: T | undefined; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then((value) => { if (live) { setData(value); setError(null); } }, (e: unknown) => { if (live) setError(messageOf(e)); });
    return () => { live = false; };
  }, [...deps, tick]);
  return { data, error, reload: useCallback(() => setTick((n) => n + 1), []) };
}

export const messageOf = (error: unknown): string => (error instanceof ApiError || error instanceof Error ? error.message : String(error));

export function Loading({ what }: { what: string }) {
  return <p class="loading" role="status">Loading {what}…</p>;
}

export function ErrorBox({ message, retry }: { message: string; retry?: () => void }) {
  return (
    <div class="error" role="alert">
      <strong>Error:</strong> {message}
      {retry && <button type="button" class="link" onClick={retry}>Try again</button>}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

const STATUS_CLASS: Record<string, string> = {
  success: 'ok', partial: 'warn', failed: 'bad', interrupted: 'warn', cancelled: 'muted', queued: 'muted', running: 'live',
  skipped: 'muted', paused: 'muted', active: 'ok', ok: 'ok', denied: 'bad',
};

export function Badge({ status }: { status: string }) {
  return <span class={`badge ${STATUS_CLASS[status] ?? 'muted'}`}>{status}</span>;
}

/** "3 min ago" / "in 12 min", with the exact time on hover. */
export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <span class="muted">—</span>;
  const seconds = Math.round((Date.parse(at) - Date.now()) / 1000);
  const size = Math.abs(seconds);
  const text = size < 60 ? `${size} s` : size < 3600 ? `${Math.round(size / 60)} min` : size < 86_400 ? `${Math.round(size / 3600)} h` : `${Math.round(size / 86_400)} d`;
  return <time dateTime={at} title={new Date(at).toLocaleString()}>{seconds <= 0 ? `${text} ago` : `in ${text}`}</time>;
}

export const number = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : n.toLocaleString('en-US'));

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${Math.round(seconds % 60)} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Navigates within the console (hash routes keep it a single static page). */
export const go = (path: string): void => { location.hash = `#${path}`; };
