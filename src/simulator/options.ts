/**
 * Simulator options: their defaults and validation (shared by the API, the server and the CLI).
 */
import { TABLE_NAMES } from '../catalog/index.js';

/** The key the simulator accepts by default (the README shows it). */
export const DEMO_KEY = 'demo-0000000000000000000000000000000000000000000000000000000000000000';

export type FaultKind = '500' | '502' | '503' | '429' | '403' | 'reset' | 'truncate' | 'html' | 'slow';

export const FAULT_KINDS: readonly FaultKind[] = ['500', '502', '503', '429', '403', 'reset', 'truncate', 'html', 'slow'];

/** Kinds used when only a fault rate is given: every kind but `slow`, which stalls a client without a timeout for 60 s. */
export const DEFAULT_FAULT_KINDS: readonly FaultKind[] = ['500', '502', '503', '429', '403', 'reset', 'truncate', 'html'];

export interface SimulatorOptions {
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
  /** Requests/s per key, default 5; 0 disables. */
  rateLimit?: number;
  /** How throttling is answered (503 without Retry-After), default 429. */
  rateLimitStatus?: 429 | 503;
  /** Default DEMO_KEY. */
  key?: string;
  /** Fault rate 0..1 (default 0) with the default kinds. */
  faults?: number;
  faultKinds?: FaultKind[];
  faultSeed?: number;
  /** Catalog table names whose endpoints answer 403 as for a user without permission. */
  deny?: string[];
}

export interface ResolvedOptions {
  port: number;
  host: string;
  seed: number;
  contacts: number;
  latencyMs: number;
  jitterMs: number;
  rateLimit: number;
  rateLimitStatus: 429 | 503;
  key: string;
  faults: number;
  faultKinds: FaultKind[];
  faultSeed: number;
  deny: string[];
}

/** The largest account the id layouts are sized for. */
export const MAX_CONTACTS = 10_000_000;

/** Checks and completes options; throws a RangeError naming the first bad value. */
export function resolveOptions(options: SimulatorOptions = {}): ResolvedOptions {
  const integer = (name: string, value: number, min: number, max: number): number => {
    if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer in ${min}..${max} (got ${value})`);
    return value;
  };
  const number = (name: string, value: number, min: number, max: number): number => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) throw new RangeError(`${name} must be a number in ${min}..${max} (got ${value})`);
    return value;
  };
  const latencyMs = number('latencyMs', options.latencyMs ?? 0, 0, 600_000);
  const faultKinds = checkFaultKinds(options.faultKinds ?? [...DEFAULT_FAULT_KINDS]);
  const deny = options.deny ?? [];
  for (const name of deny) {
    if (!TABLE_NAMES.includes(name)) throw new RangeError(`deny: unknown table ${JSON.stringify(name)}`);
  }
  const status = options.rateLimitStatus ?? 429;
  if (status !== 429 && status !== 503) throw new RangeError(`rateLimitStatus must be 429 or 503 (got ${String(status)})`);
  const key = options.key ?? DEMO_KEY;
  if (typeof key !== 'string' || key.length === 0) throw new RangeError('key must be a non-empty string');
  return {
    port: integer('port', options.port ?? 0, 0, 65535),
    host: options.host ?? '127.0.0.1',
    seed: integer('seed', options.seed ?? 1, -(2 ** 53 - 1), 2 ** 53 - 1),
    contacts: integer('contacts', options.contacts ?? 1000, 1, MAX_CONTACTS),
    latencyMs,
    jitterMs: number('jitterMs', options.jitterMs ?? latencyMs / 2, 0, 600_000),
    rateLimit: number('rateLimit', options.rateLimit ?? 5, 0, 1_000_000),
    rateLimitStatus: status,
    key,
    faults: number('faults', options.faults ?? 0, 0, 1),
    faultKinds,
    faultSeed: integer('faultSeed', options.faultSeed ?? 1, -(2 ** 53 - 1), 2 ** 53 - 1),
    deny: [...deny],
  };
}

export function checkFaultKinds(kinds: readonly unknown[]): FaultKind[] {
  if (!Array.isArray(kinds) || kinds.length === 0) throw new RangeError('faultKinds must be a non-empty list');
  for (const kind of kinds) {
    if (!FAULT_KINDS.includes(kind as FaultKind)) throw new RangeError(`unknown fault kind ${JSON.stringify(kind)} (kinds: ${FAULT_KINDS.join(', ')})`);
  }
  return [...kinds] as FaultKind[];
}

