/**
 * The one place that assembles a run, for every face of acsync (the `sync` and `check` commands, Singer,
 * Airbyte): the API client under one request budget, the account check, each table's mode, and the destination
 * opened and closed around the engine.
 */
import { ActiveCampaignClient, type ClientEvent } from '../activecampaign/client.js';
import { isLoopbackUrl } from '../activecampaign/url.js';
import type { ReplicationMode, TableDef } from '../catalog/index.js';
import type { Destination } from '../core/contract.js';
import { DEFAULT_MAX_WAIT_SECONDS, DEFAULT_OVERLAP_HOURS, DEFAULT_REQUESTS_PER_SECOND, MAX_REQUESTS_PER_SECOND } from '../core/defaults.js';
import { ConfigError } from '../core/errors.js';
import { registerSecret } from '../core/secrets.js';
import { USER_AGENT } from '../core/version.js';
import { RequestBudget } from '../activecampaign/rate-limiter.js';
import { chooseModes, withStartDate, type TableSelection } from './cursor.js';
import { sync, type SyncEvent, type SyncResult } from './sync.js';
import { recordOffset } from './typing.js';

/** The account to read: the URL and Key from Settings → Developer. */
export interface AccountSettings {
  readonly baseUrl: string;
  readonly key: string;
  /** Requests per second (default 4.8, just under the API's 5); above 5 only for a simulator on this machine. */
  readonly requestsPerSecond?: number | undefined;
  /** The longest the API may ask a run to wait (Retry-After); beyond it the run stops, resumable. Default 600. */
  readonly maxWaitSeconds?: number | undefined;
  /** The client's retries, waits and pace changes. */
  readonly onEvent?: ((event: ClientEvent) => void) | undefined;
}

export interface Account {
  readonly client: ActiveCampaignClient;
  /** The key's user, from GET /users/me. */
  readonly user: Record<string, unknown>;
  /** UTC offset of the account's ISO timestamps (minutes east), or null when /users/me carries none. */
  readonly offsetMinutes: number | null;
}

/**
 * Which account a copy belongs to: the API URL's host (`acme.api-us1.com`), the one thing that names an account.
 * A simulator on this machine is one account whatever its port.
 */
export function accountId(baseUrl: string): string {
  const url = new URL(baseUrl);
  return isLoopbackUrl(baseUrl) ? url.hostname : url.host;
}

/** A client for the account under its one request budget; the key is masked in all output from here on. */
export function connect(settings: AccountSettings): ActiveCampaignClient {
  registerSecret(settings.key);
  const rate = settings.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND;
  if (!(rate > 0) || (rate > MAX_REQUESTS_PER_SECOND && !isLoopbackUrl(settings.baseUrl))) {
    throw new ConfigError(`the request rate must be above 0 and at most ${MAX_REQUESTS_PER_SECOND} per second (got ${rate}): the API's limit per account`);
  }
  return new ActiveCampaignClient({
    baseUrl: settings.baseUrl,
    key: settings.key,
    budget: new RequestBudget({ requestsPerSecond: rate }),
    userAgent: USER_AGENT,
    maxWaitMs: (settings.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS) * 1000,
    ...(settings.onEvent && { onEvent: settings.onEvent }),
  });
}

/**
 * Connects and checks the credentials (GET /users/me). The user's timestamps are ISO in account time, so the
 * same response gives the account's UTC offset, which types naive timestamps when no zone is configured.
 */
export async function openAccount(settings: AccountSettings): Promise<Account> {
  const client = connect(settings);
  const user = await client.me();
  return { client, user, offsetMinutes: recordOffset(user) };
}

export interface RunSettings {
  readonly account: AccountSettings;
  readonly destination: Destination;
  readonly tables: readonly TableDef[];
  readonly modes?: ReadonlyMap<string, ReplicationMode>;
  readonly fullRefresh?: ReadonlySet<string>;
  readonly fullRefreshEveryDays?: number | undefined;
  /** Tables read whole at most once in this many hours, by name (engine/cursor.ts `refreshNotDue`). */
  readonly refreshEveryHours?: ReadonlyMap<string, number> | undefined;
  /** ISO UTC lower bound of a table's first incremental pass (Singer and Airbyte `start_date`). */
  readonly startDate?: string | null;
  /** IANA zone of the account, when the user gives one. */
  readonly timeZone: string | null;
  readonly overlapHours?: number | undefined;
  readonly batchRows?: number | undefined;
  readonly onEvent?: (event: SyncEvent) => void;
  /** Called once the credentials are checked (progress displays read the client's request count). */
  readonly onConnected?: (account: Account) => void;
  /** Called once the tables' modes are known, before the first request of the sync. */
  readonly onStart?: (selection: readonly TableSelection[]) => void;
  readonly signal?: AbortSignal | undefined;
}

export interface RunOutcome extends SyncResult {
  readonly account: Account;
  readonly seconds: number;
}

/** One run: the account check, the destination opened, modes chosen from its state, the sync, the destination closed. */
export async function runSync(settings: RunSettings): Promise<RunOutcome> {
  const emit = settings.onEvent ?? (() => undefined);
  const connected = await openAccount({
    ...settings.account,
    onEvent: (event) => {
      for (const said of clientEventAsSyncEvent(event)) emit(said);
    },
  });
  settings.onConnected?.(connected);
  if (connected.offsetMinutes === null && !settings.timeZone) {
    settings.onEvent?.({
      type: 'warning',
      message: 'the API showed no time zone offset: naive timestamps are read as UTC; set the time zone (--timezone) to fix',
    });
  }
  const { destination } = settings;
  await destination.open({ onWait: (message) => emit({ type: 'waiting', message, untilMs: Date.now() }) });
  try {
    const stored = await destination.readState();
    const account = accountId(settings.account.baseUrl);
    const other = [...stored.values()].find((state) => state.account !== undefined && state.account !== account);
    if (other) {
      throw new ConfigError(
        `${destination.description} holds a copy of the account at ${other.account}, not ${account}: sync each account into its own destination (--dest)`,
      );
    }
    const selection = chooseModes(settings.tables, settings, stored);
    settings.onStart?.(selection);
    const started = Date.now();
    const result = await sync({
      client: connected.client,
      destination,
      selection,
      states: withStartDate(stored, selection, settings.startDate),
      account,
      timeZone: settings.timeZone,
      accountOffsetMinutes: connected.offsetMinutes ?? 0,
      overlapSeconds: (settings.overlapHours ?? DEFAULT_OVERLAP_HOURS) * 3600,
      ...(settings.batchRows !== undefined && { batchRows: settings.batchRows }),
      ...(settings.onEvent && { onEvent: settings.onEvent }),
      ...(settings.signal && { signal: settings.signal }),
    });
    return { ...result, account: connected, seconds: (Date.now() - started) / 1000 };
  } finally {
    await destination.close();
  }
}

/** The client's events worth a line: waits (why and until when) and pace changes. */
function clientEventAsSyncEvent(event: ClientEvent): SyncEvent[] {
  if (event.type === 'waiting') {
    const until = new Date(event.untilMs).toISOString().slice(11, 19);
    return [{ type: 'waiting', message: `waiting ${Math.round(event.ms / 1000)} s until ${until} UTC: ${event.reason}`, untilMs: event.untilMs }];
  }
  if (event.type === 'pace') return [{ type: 'warning', message: `${event.reason}: pacing ${event.requestsPerSecond.toFixed(2)} requests/s` }];
  return [];
}
