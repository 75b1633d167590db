/**
 * Simulator options: their defaults and validation (shared by the API, the server and the CLI). The
 * behaviour switches (`Behaviour`) can also change on a running simulator (`setBehaviour`,
 * `POST /__sim/behaviour`); every default is the simulator's kind, documented behaviour.
 */
import type { Permission } from '../catalog/index.js';
import { PERMISSION_AREAS, parseArea } from './permissions.js';

/** The key the simulator accepts by default (the README shows it). */
export const DEMO_KEY = 'demo-0000000000000000000000000000000000000000000000000000000000000000';

export type FaultKind = '500' | '502' | '503' | '429' | '403' | 'reset' | 'truncate' | 'html' | 'slow';

export const FAULT_KINDS: readonly FaultKind[] = ['500', '502', '503', '429', '403', 'reset', 'truncate', 'html', 'slow'];

/** Kinds used when only a fault rate is given: every kind but `slow`, which stalls a client without a timeout for 60 s. */
export const DEFAULT_FAULT_KINDS: readonly FaultKind[] = ['500', '502', '503', '429', '403', 'reset', 'truncate', 'html'];

/** `include=` on `/contacts` and `/deals`: every asked sideload, none at all, or each array cut to N entries. */
export type SideloadMode = 'full' | 'none' | number;

/** `meta.total` on list endpoints: exact, 100 too low (never below 0), 100 too high, or left out. */
export type TotalMode = 'exact' | 'low' | 'high' | 'absent';

/** `bucket`: token bucket (bursts up to `rateLimit`, continuous refill); `window`: at most `rateLimit` in any second. */
export type LimiterKind = 'bucket' | 'window';

/** Every `every` API requests served, `changes` changes are applied. */
export interface ChangesDuringSync {
  every: number;
  changes: number;
}

/** The switches that can change while the simulator runs (options, `acsync simulate` flags, POST /__sim/behaviour). */
export interface BehaviourOptions {
  /** Requests/s per key, default 5; 0 disables the limiter. */
  rateLimit?: number;
  /** How throttling is answered, default 429 (503: `{"message":"Service Unavailable"}`). */
  rateLimitStatus?: 429 | 503;
  /**
   * `bucket` (default): a token bucket of `rateLimit` tokens refilled continuously, so bursts of up to
   * `rateLimit` pass; 429 carries `Retry-After` = whole seconds until a token is back (usually 1), a throttling
   * 503 has no `Retry-After`. `window`: a strict sliding window, at most floor(`rateLimit`) accepted requests in
   * any 1000 ms per key (refused requests do not count); every refusal (429 or 503) carries `Retry-After`.
   */
  limiter?: LimiterKind;
  /**
   * `Retry-After` (whole seconds) on throttled answers; null or absent = the limiter's default (bucket: computed,
   * window: 30, the value of the API reference's example). A bucket's 503 still has no `Retry-After`.
   */
  retryAfterSeconds?: number | null;
  /**
   * `full` (default): every sideload `include=` asks for. `none`: `/contacts` and `/deals` ignore `include=`,
   * answering exactly as without it (no sideload arrays, no id arrays on the rows; the top-level `scoreValues: []`
   * every `/contacts` page carries stays). N (integer ≥ 0): each sideload array of a page holds at most its first
   * N entries (ascending id), while the rows still list the ids of every child, cut ones included.
   */
  sideloads?: SideloadMode;
  /**
   * `meta.total` of every list endpoint that sends one: `exact` (default), `low` (total − 100, at least 0),
   * `high` (total + 100), `absent` (no `total` key; `meta` itself left out when nothing else is in it). The
   * string/number form per endpoint is kept. Endpoints without a total are unchanged.
   */
  total?: TotalMode;
  /**
   * False (default): every base deal has its own `cdate`. True: base deals are created in bulk, one `cdate` per
   * batch of 750 consecutive contacts' deal slots (about 150 deals: the batch's earliest creation time), and
   * `orders[cdate]` returns each run of equal `cdate` (batches, and deals inserted in the same second) in an
   * order shuffled anew for every request, so a run spanning a page boundary makes offset pages overlap and
   * skip. Other orders on `/deals` keep their id tiebreak; filters and the oracle see the tied `cdate`.
   */
  cdateTies?: boolean;
  /**
   * True (default): a change to a contact's custom-field values or list memberships bumps the contact's `udate`,
   * and a change to a deal's custom-field data bumps the deal's `mdate` (tag changes never bump `udate`, as
   * today). False: none bumps its parent. Task changes still bump their deal's `mdate`.
   */
  childChangesBumpParent?: boolean;
  /**
   * `honoured` (default): a deal's per-parent lists (`/deals/{id}/dealActivities`, `/deals/{id}/contactDeals`) hold
   * that deal's rows. `ignored`: they ignore the id and answer the account's whole list, paged, as a server that
   * does not know the path parameter might (the reference names the path but shows no example).
   */
  perParentIds?: PerParentIds;
  /**
   * Fraction 0..1 (default 0) of parent ids for which per-parent lists (`/groups/{id}/userGroups`,
   * `/contacts/{id}/notes`, …) answer 404 `{"message":"No Result found for <Model> with id <id>"}`, chosen
   * deterministically by (seed, route, parent id); a larger fraction keeps the smaller one's ids.
   */
  notFoundParents?: number;
  /**
   * Seconds the simulated API's clock runs ahead of the real one (negative: behind; default 0): the `Date` header
   * of every answer and the dates changes are stamped with. The reference promises nothing about the account's
   * clock agreeing with the client's.
   */
  clockSkewSeconds?: number;
  /**
   * False: answers carry no `Date` header (default true). HTTP asks origin servers to send one, but a proxy between
   * the account and acsync may drop it, and then the API's clock cannot be read.
   */
  dateHeader?: boolean;
  /**
   * Null (default) or `{every, changes}`: after every `every`-th API request served since the switch last changed
   * (authenticated, not throttled, not faulted; control paths never count), `changes` changes are applied with the
   * mutation machinery, as POST /__sim/mutate would (the response of that request is the state before them); the
   * k-th batch of a simulator uses mutation seed −k.
   */
  changesDuringSync?: ChangesDuringSync | null;
  /**
   * Permission areas (catalog `Permission`, case-insensitive: `deals`, `users and groups`, …) the key's group
   * lacks: every route needing one answers 403 `{"errors":[{"status":403,"title":"Forbidden","detail":"You do not
   * have permission to view <area>."}]}`. `/users/me` is never denied.
   */
  deny?: string[];
}

/** Whether a deal's per-parent lists answer for that deal only (see `perParentIds`). */
export type PerParentIds = 'honoured' | 'ignored';

/** Behaviour switches, resolved. */
export interface Behaviour {
  rateLimit: number;
  rateLimitStatus: 429 | 503;
  limiter: LimiterKind;
  retryAfterSeconds: number | null;
  sideloads: SideloadMode;
  total: TotalMode;
  cdateTies: boolean;
  childChangesBumpParent: boolean;
  perParentIds: PerParentIds;
  notFoundParents: number;
  clockSkewSeconds: number;
  dateHeader: boolean;
  changesDuringSync: ChangesDuringSync | null;
  deny: Permission[];
}

export const DEFAULT_BEHAVIOUR: Readonly<Behaviour> = Object.freeze({
  rateLimit: 5,
  rateLimitStatus: 429,
  limiter: 'bucket',
  retryAfterSeconds: null,
  sideloads: 'full',
  total: 'exact',
  cdateTies: false,
  childChangesBumpParent: true,
  perParentIds: 'honoured',
  notFoundParents: 0,
  clockSkewSeconds: 0,
  dateHeader: true,
  changesDuringSync: null,
  deny: [],
});

/** The names `setBehaviour` and POST /__sim/behaviour accept. */
export const BEHAVIOUR_OPTIONS = Object.keys(DEFAULT_BEHAVIOUR) as (keyof Behaviour)[];

export interface SimulatorOptions extends BehaviourOptions {
  /** 0 = any free port (default 0). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 1. */
  seed?: number;
  /** Default 1000; every other table in proportion. */
  contacts?: number;
  /** Mean added latency per response, default 0. */
  latencyMs?: number;
  /** ± uniform jitter, default latencyMs/2. */
  jitterMs?: number;
  /** Default DEMO_KEY. */
  key?: string;
  /** Fault rate 0..1 (default 0) with the default kinds. */
  faults?: number;
  faultKinds?: FaultKind[];
  faultSeed?: number;
}

export interface ResolvedOptions extends Behaviour {
  port: number;
  host: string;
  seed: number;
  contacts: number;
  latencyMs: number;
  jitterMs: number;
  key: string;
  faults: number;
  faultKinds: FaultKind[];
  faultSeed: number;
}

/** The largest account the id layouts are sized for. */
export const MAX_CONTACTS = 10_000_000;

/** The most changes one mutation batch may apply. */
export const MAX_CHANGES = 1_000_000;

const MAX_SIDELOAD_CAP = 1_000_000;
const MAX_RETRY_AFTER = 86_400;

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max} (got ${String(value)})`);
  }
  return value;
}

function number(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a number in ${min}..${max} (got ${String(value)})`);
  }
  return value;
}

function oneOf<T extends string | number>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new RangeError(`${name} must be ${allowed.map((a) => JSON.stringify(a)).join(' or ')} (got ${JSON.stringify(value)})`);
  return value as T;
}

function boolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new RangeError(`${name} must be true or false (got ${JSON.stringify(value)})`);
  return value;
}

/**
 * `current` with the switches named in `changes` replaced, each checked; a RangeError names the first bad value
 * or an unknown name. Switches given as undefined are left as they are.
 */
export function resolveBehaviour(changes: BehaviourOptions, current: Readonly<Behaviour> = DEFAULT_BEHAVIOUR): Behaviour {
  if (changes === null || typeof changes !== 'object' || Array.isArray(changes)) throw new RangeError('behaviour must be an object');
  const next: Behaviour = { ...current, deny: [...current.deny], changesDuringSync: current.changesDuringSync && { ...current.changesDuringSync } };
  for (const [name, value] of Object.entries(changes) as [string, unknown][]) {
    if (value === undefined) continue;
    switch (name as keyof Behaviour) {
      case 'rateLimit':
        next.rateLimit = number('rateLimit', value, 0, 1_000_000);
        break;
      case 'rateLimitStatus':
        next.rateLimitStatus = oneOf('rateLimitStatus', value, [429, 503] as const);
        break;
      case 'limiter':
        next.limiter = oneOf('limiter', value, ['bucket', 'window'] as const);
        break;
      case 'retryAfterSeconds':
        next.retryAfterSeconds = value === null ? null : integer('retryAfterSeconds', value, 0, MAX_RETRY_AFTER);
        break;
      case 'sideloads':
        if (value !== 'full' && value !== 'none' && !(typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_SIDELOAD_CAP)) {
          throw new RangeError(`sideloads must be "full", "none" or an integer in 0..${MAX_SIDELOAD_CAP} (got ${JSON.stringify(value)})`);
        }
        next.sideloads = value;
        break;
      case 'total':
        next.total = oneOf('total', value, ['exact', 'low', 'high', 'absent'] as const);
        break;
      case 'cdateTies':
        next.cdateTies = boolean('cdateTies', value);
        break;
      case 'childChangesBumpParent':
        next.childChangesBumpParent = boolean('childChangesBumpParent', value);
        break;
      case 'perParentIds':
        next.perParentIds = oneOf('perParentIds', value, ['honoured', 'ignored'] as const);
        break;
      case 'notFoundParents':
        next.notFoundParents = number('notFoundParents', value, 0, 1);
        break;
      case 'clockSkewSeconds':
        next.clockSkewSeconds = number('clockSkewSeconds', value, -86_400, 86_400);
        break;
      case 'dateHeader':
        next.dateHeader = boolean('dateHeader', value);
        break;
      case 'changesDuringSync': {
        if (value === null) {
          next.changesDuringSync = null;
          break;
        }
        const given = value as Partial<ChangesDuringSync>;
        const valid = typeof value === 'object' && !Array.isArray(value)
          && Object.keys(value).every((k) => k === 'every' || k === 'changes')
          && Number.isInteger(given.every) && (given.every as number) >= 1 && (given.every as number) <= 1_000_000
          && Number.isInteger(given.changes) && (given.changes as number) >= 0 && (given.changes as number) <= MAX_CHANGES;
        if (!valid) {
          throw new RangeError(`changesDuringSync must be null or {"every": 1..1000000, "changes": 0..${MAX_CHANGES}} (got ${JSON.stringify(value)})`);
        }
        next.changesDuringSync = { every: given.every as number, changes: given.changes as number };
        break;
      }
      case 'deny':
        if (!Array.isArray(value)) throw new RangeError(`deny must be a list of permission areas (areas: ${PERMISSION_AREAS.join(', ')})`);
        next.deny = [...new Set(value.map(parseArea))];
        break;
      default:
        throw new RangeError(`unknown behaviour option ${JSON.stringify(name)} (options: ${BEHAVIOUR_OPTIONS.join(', ')})`);
    }
  }
  return next;
}

/** Checks and completes options; throws a RangeError naming the first bad value. */
export function resolveOptions(options: SimulatorOptions = {}): ResolvedOptions {
  const latencyMs = number('latencyMs', options.latencyMs ?? 0, 0, 600_000);
  const faultKinds = checkFaultKinds(options.faultKinds ?? [...DEFAULT_FAULT_KINDS]);
  const behaviour = resolveBehaviour(pickBehaviour(options));
  const key = options.key ?? DEMO_KEY;
  if (typeof key !== 'string' || key.length === 0) throw new RangeError('key must be a non-empty string');
  return {
    port: integer('port', options.port ?? 0, 0, 65535),
    host: options.host ?? '127.0.0.1',
    seed: integer('seed', options.seed ?? 1, -(2 ** 53 - 1), 2 ** 53 - 1),
    contacts: integer('contacts', options.contacts ?? 1000, 1, MAX_CONTACTS),
    latencyMs,
    jitterMs: number('jitterMs', options.jitterMs ?? latencyMs / 2, 0, 600_000),
    key,
    faults: number('faults', options.faults ?? 0, 0, 1),
    faultKinds,
    faultSeed: integer('faultSeed', options.faultSeed ?? 1, -(2 ** 53 - 1), 2 ** 53 - 1),
    ...behaviour,
  };
}

/** The behaviour switches among a set of options. */
export function pickBehaviour(options: SimulatorOptions): BehaviourOptions {
  const out: Record<string, unknown> = {};
  for (const name of BEHAVIOUR_OPTIONS) if (options[name] !== undefined) out[name] = options[name];
  return out as BehaviourOptions;
}

export function checkFaultKinds(kinds: readonly unknown[]): FaultKind[] {
  if (!Array.isArray(kinds) || kinds.length === 0) throw new RangeError('faultKinds must be a non-empty list');
  for (const kind of kinds) {
    if (!FAULT_KINDS.includes(kind as FaultKind)) throw new RangeError(`unknown fault kind ${JSON.stringify(kind)} (kinds: ${FAULT_KINDS.join(', ')})`);
  }
  return [...kinds] as FaultKind[];
}
