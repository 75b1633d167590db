/**
 * Notifications: when a run fails or ends partial, and when a connector's first good run follows a bad one,
 * a JSON body is POSTed to the connector's webhook and to the service's global one (`acsync serve --webhook`).
 * Each delivery is retried with backoff in the background: a slow or dead receiver never holds up a sync.
 * A target that is a refused address (webhook-targets.ts) fails at once, without a try.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { redact } from '../../core/secrets.js';
import { USER_AGENT } from '../../core/version.js';
import type { ServiceDb } from '../jobs.js';
import { RefusedWebhookTarget, refusedWebhookUrl, refusingLookup, shownUrl, type ResolveAll } from './webhook-targets.js';

export const GLOBAL_WEBHOOK_SETTING = 'webhook_url';

export type NotificationEvent = 'run.failed' | 'run.partial' | 'connector.recovered';

export interface Notification {
  readonly event: NotificationEvent;
  readonly at: string;
  readonly connector: { readonly id: string; readonly name: string };
  readonly run: {
    readonly id: string;
    readonly kind: string;
    readonly status: string;
    readonly startedAt: string | null;
    readonly endedAt: string | null;
    readonly rows: number;
    readonly error: string | null;
    readonly failedTables: readonly { readonly table: string; readonly error: string | null }[];
  };
}

export interface DeliveryOptions {
  /** Tries in all (default 6: after 1, 2, 4, 8 and 16 s). */
  readonly attempts?: number;
  readonly firstDelayMs?: number;
  readonly onFailure?: (url: string, message: string) => void;
  /** How host names are resolved (default the system's, as dns.lookup). */
  readonly resolveAll?: ResolveAll;
}

const pending = new Set<Promise<void>>();

/** Which event a finished run makes, given the status of the connector's previous finished run. */
export function eventOf(status: string, previous: string | null): NotificationEvent | null {
  if (status === 'failed') return 'run.failed';
  if (status === 'partial') return 'run.partial';
  if (status === 'success' && (previous === 'failed' || previous === 'partial')) return 'connector.recovered';
  return null;
}

/** The service-wide webhook, as the last `serve --webhook` stored it. */
export async function globalWebhook(db: ServiceDb): Promise<string | null> {
  const { rows } = await db.query<{ value: string | null }>('SELECT value FROM acsync_settings WHERE name = $1', [GLOBAL_WEBHOOK_SETTING]);
  return rows[0]?.value ?? null;
}

export async function setGlobalWebhook(db: ServiceDb, url: string | null): Promise<void> {
  await db.query(
    'INSERT INTO acsync_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value',
    [GLOBAL_WEBHOOK_SETTING, url],
  );
}

/** Sends `notification` to each URL in the background; resolves at once. */
export function notify(urls: readonly string[], notification: Notification, options: DeliveryOptions = {}): void {
  for (const url of new Set(urls)) {
    const delivery = deliver(url, notification, options).finally(() => pending.delete(delivery));
    pending.add(delivery);
  }
}

/** Waits for deliveries under way (a stopping service gives them a last chance), at most `ms`. */
export async function settleNotifications(ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled([...pending]), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

async function deliver(url: string, notification: Notification, options: DeliveryOptions): Promise<void> {
  const attempts = options.attempts ?? 6;
  const body = redact(JSON.stringify(notification));
  const literal = refusedWebhookUrl(url);
  if (literal) {
    options.onFailure?.(url, `webhook ${shownUrl(url)} not delivered: ${literal}`);
    return;
  }
  const lookup = refusingLookup(options.resolveAll);
  let delay = options.firstDelayMs ?? 1000;
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const status = await post(url, body, lookup);
      if (status >= 200 && status < 300) return;
      last = `HTTP ${status}`;
    } catch (error) {
      if (error instanceof RefusedWebhookTarget) {
        options.onFailure?.(url, `webhook ${shownUrl(url)} not delivered: ${error.message}`);
        return;
      }
      last = (error as Error).message;
    }
    if (attempt < attempts) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
  options.onFailure?.(url, `webhook ${shownUrl(url)} not delivered after ${attempts} tries (${last})`);
}

/**
 * POSTs `body` and answers the status. node:http rather than fetch: its `lookup` sees the address connected to.
 * Redirects are not followed (one could lead to a refused address): a 3xx counts as a failed try.
 */
function post(url: string, body: string, lookup: LookupFunction): Promise<number> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': USER_AGENT },
      lookup,
      signal: AbortSignal.timeout(10_000),
    }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}
