/**
 * The HTTP face of the simulator: `Api-Token` check, per-key rate limiter, latency with jitter, fault
 * injection, changes during a sync, statistics and the `/__sim/*` control paths (never authenticated,
 * throttled or faulted).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Api } from './api.js';
import { createLimiter, type RateLimiter } from './limiter.js';
import { Model } from './model.js';
import { changeTag, mutate, type MutationResult, type TagChange } from './mutate.js';
import {
  MAX_CHANGES, checkFaultKinds, pickBehaviour, resolveBehaviour, type Behaviour, type BehaviourOptions, type FaultKind, type ResolvedOptions,
} from './options.js';
import { Tag, hash, unit } from './random.js';
import type { RenderContext } from './table.js';
import type { SimAccount, SimStats, Simulator } from './types.js';
import { nowSeconds } from './time.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';
const SLOW_FAULT_MS = 60_000;
const MAX_CONTROL_BODY = 1 << 20;

const ERROR_PAGE = (status: number, title: string): string =>
  `<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
const MAINTENANCE_PAGE =
  '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>ActiveCampaign - Scheduled maintenance</title></head>' +
  '<body><h1>We&rsquo;ll be right back</h1><p>ActiveCampaign is undergoing scheduled maintenance.</p></body></html>';
const STATUS_TEXT: Record<number, string> = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable' };

interface Reply {
  status: number;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export class SimulatorServer implements Simulator {
  readonly key: string;
  readonly account: SimAccount;
  private readonly model: Model;
  private readonly api: Api;
  private readonly server: Server;
  private limiter: RateLimiter | undefined;
  private behaviour: Behaviour;
  /** API requests served since `changesDuringSync` was last set, and batches it has applied. */
  private servedSinceSwitch = 0;
  private duringSyncBatches = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private address = '';
  private sequence = 0;
  private faultRate: number;
  private faultKinds: FaultKind[];
  private faultSeed: number;
  private readonly counters: SimStats = { requests: 0, byPath: {}, byStatus: {}, faults: {} };

  constructor(private readonly options: ResolvedOptions) {
    this.key = options.key;
    this.model = new Model(options.seed, options.contacts);
    this.api = new Api(this.model);
    this.behaviour = resolveBehaviour(pickBehaviour(options));
    this.applyBehaviour(undefined);
    this.faultRate = options.faults;
    this.faultKinds = options.faultKinds;
    this.faultSeed = options.faultSeed;
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    const api = this.api;
    this.account = {
      records: (resource) => api.records(resource, this.oracleContext()),
      count: (resource) => api.count(resource),
    };
  }

  get url(): string {
    return this.address;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        const address = this.server.address() as AddressInfo;
        const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        this.address = `http://${host}:${address.port}`;
        resolve();
      });
    });
  }

  changeTag(change: TagChange): MutationResult {
    const known = new Set(['id', 'tag', 'description', 'subscriber_count', 'delete']);
    const unknown = Object.keys(change).filter((key) => !known.has(key));
    if (unknown.length > 0) throw new RangeError(`unknown tag change ${unknown.join(', ')}`);
    for (const key of ['tag', 'description'] as const) {
      if (change[key] !== undefined && typeof change[key] !== 'string') throw new RangeError(`${key} must be a string`);
    }
    if (change.subscriber_count !== undefined && !(Number.isInteger(change.subscriber_count) && change.subscriber_count >= 0)) {
      throw new RangeError('subscriber_count must be a whole number, at least 0');
    }
    if (change.delete !== undefined && typeof change.delete !== 'boolean') throw new RangeError('delete must be true or false');
    return changeTag(this.model, change, this.now());
  }

  stats(): SimStats {
    return structuredClone(this.counters);
  }

  mutate(seed: number, changes: number): MutationResult {
    if (!Number.isInteger(seed)) throw new RangeError('seed must be an integer');
    if (!Number.isInteger(changes) || changes < 0 || changes > MAX_CHANGES) throw new RangeError(`changes must be an integer in 0..${MAX_CHANGES}`);
    return mutate(this.model, seed, changes, this.now());
  }

  setFaults(f: { rate: number; kinds?: FaultKind[]; seed?: number }): void {
    if (typeof f.rate !== 'number' || !(f.rate >= 0 && f.rate <= 1)) throw new RangeError('rate must be a number in 0..1');
    if (f.seed !== undefined && !Number.isInteger(f.seed)) throw new RangeError('seed must be an integer');
    this.faultKinds = f.kinds === undefined ? this.faultKinds : checkFaultKinds(f.kinds);
    this.faultRate = f.rate;
    if (f.seed !== undefined) this.faultSeed = f.seed;
  }

  setBehaviour(changes: BehaviourOptions): Behaviour {
    const previous = this.behaviour;
    this.behaviour = resolveBehaviour(changes, previous);
    this.applyBehaviour(previous);
    return this.currentBehaviour();
  }

  /** The switches now in force (same JSON as GET /__sim/behaviour). */
  currentBehaviour(): Behaviour {
    return structuredClone(this.behaviour);
  }

  private applyBehaviour(previous: Behaviour | undefined): void {
    const next = this.behaviour;
    if (!previous || previous.limiter !== next.limiter || previous.rateLimit !== next.rateLimit) {
      this.limiter = createLimiter(next.limiter, next.rateLimit);
    }
    if (!previous || JSON.stringify(previous.changesDuringSync) !== JSON.stringify(next.changesDuringSync)) this.servedSinceSwitch = 0;
    this.model.cdateTies = next.cdateTies;
    this.model.childChangesBumpParent = next.childChangesBumpParent;
    this.api.configure(next);
  }

  close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private oracleContext(): RenderContext {
    return { api: `${this.address}/api/3`, countDeals: true };
  }

  private later(ms: number, fn: () => void, res: ServerResponse): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    // Pending responses never keep the process alive; a client that hangs up cancels its response.
    timer.unref();
    this.timers.add(timer);
    res.once('close', () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://simulator.invalid');
    } catch {
      this.write(res, { status: 400, body: '{}' });
      return;
    }
    const path = url.pathname;
    if (path.startsWith('/__sim/')) {
      this.control(req, res, path);
      return;
    }
    if (path !== '/api/3' && !path.startsWith('/api/3/')) {
      this.write(res, { status: 404, body: JSON.stringify({ message: `No Result found for Route with path ${path}` }) });
      return;
    }
    // Drain any request body: list endpoints are read-only.
    req.resume();
    const sequence = ++this.sequence;
    this.counters.requests++;
    this.counters.byPath[path] = (this.counters.byPath[path] ?? 0) + 1;
    const reply = this.apiReply(req, url, sequence);
    const latency = this.options.latencyMs;
    const delay = latency > 0 || this.options.jitterMs > 0
      ? Math.max(0, latency + (Math.random() * 2 - 1) * this.options.jitterMs)
      : 0;
    const send = (): void => this.sendApi(res, reply.reply, reply.fault, sequence);
    if (reply.fault === 'slow') this.later(SLOW_FAULT_MS + delay, send, res);
    else if (delay > 0) this.later(delay, send, res);
    else send();
  }

  private apiReply(req: IncomingMessage, url: URL, sequence: number): { reply: Reply; fault?: FaultKind } {
    const rateHeaders: Record<string, string> = {};
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return { reply: { status: 405, body: JSON.stringify({ message: 'Method Not Allowed' }), headers: { Allow: 'GET' } } };
    }
    const token = req.headers['api-token'];
    if (token !== this.key) return { reply: { status: 403, body: JSON.stringify({ message: 'Forbidden' }) } };
    if (this.limiter) {
      const taken = this.limiter.take(this.key);
      rateHeaders['RateLimit-Limit'] = String(this.limiter.limit);
      rateHeaders['RateLimit-Remaining'] = String(taken.remaining);
      if (!taken.ok) {
        const retryAfter = String(this.behaviour.retryAfterSeconds ?? taken.retryAfter);
        if (this.behaviour.rateLimitStatus === 503) {
          // A throttling 503 has no Retry-After, except from the strict window.
          const headers = this.limiter.kind === 'window' ? { ...rateHeaders, 'Retry-After': retryAfter } : rateHeaders;
          return { reply: { status: 503, body: JSON.stringify({ message: 'Service Unavailable' }), headers } };
        }
        return { reply: { status: 429, body: '', headers: { ...rateHeaders, 'Retry-After': retryAfter } } };
      }
    }
    let fault: FaultKind | undefined;
    if (this.faultRate > 0 && unit(this.faultSeed, Tag.fault, sequence) < this.faultRate) {
      fault = this.faultKinds[hash(this.faultSeed, Tag.fault, sequence, 1) % this.faultKinds.length] as FaultKind;
      this.counters.faults[fault] = (this.counters.faults[fault] ?? 0) + 1;
    }
    const variant = hash(this.faultSeed, Tag.fault, sequence, 2) % 3;
    switch (fault) {
      case '500':
      case '502':
      case '503': {
        const status = Number(fault);
        const title = STATUS_TEXT[status] as string;
        const body = variant === 0 ? JSON.stringify({ message: title }) : variant === 1 ? ERROR_PAGE(status, title) : '';
        return { reply: { status, body, contentType: variant === 1 ? HTML_TYPE : JSON_TYPE, headers: rateHeaders }, fault };
      }
      case '429':
        return { reply: { status: 429, body: variant === 0 ? JSON.stringify({ message: 'Too Many Requests' }) : '', headers: { ...rateHeaders, 'Retry-After': '1' } }, fault };
      case '403':
        return { reply: { status: 403, body: JSON.stringify({ message: 'Forbidden' }), headers: rateHeaders }, fault };
      case 'html':
        return { reply: { status: variant === 2 ? 502 : 200, body: MAINTENANCE_PAGE, contentType: HTML_TYPE, headers: rateHeaders }, fault };
      default:
        break;
    }
    const host = req.headers.host ?? this.address.replace(/^http:\/\//, '');
    const ctx: RenderContext = {
      api: `http://${host}/api/3`,
      countDeals: url.searchParams.get('count_deals') === 'true',
      requestSeed: hash(this.options.seed, Tag.cdateTies, sequence),
    };
    const answer = this.api.handle(url.pathname.slice('/api/3'.length) || '/', url.searchParams, ctx);
    const body = answer.body === undefined ? '' : JSON.stringify(answer.body);
    if (!fault) this.servedOne();
    return { reply: { status: answer.status, body, headers: rateHeaders }, ...(fault && { fault }) };
  }

  /** The simulated API's clock (epoch seconds): the real one moved by `clockSkewSeconds`. */
  private now(): number {
    return nowSeconds() + this.behaviour.clockSkewSeconds;
  }

  /**
   * The `Date` header of an answer, on the simulated API's clock (Node would send the real one), or none at all
   * under the `dateHeader: false` switch.
   */
  private dateHeader(res: ServerResponse): { Date?: string } {
    res.sendDate = this.behaviour.dateHeader;
    return this.behaviour.dateHeader ? { Date: new Date(this.now() * 1000).toUTCString() } : {};
  }

  /** Counts a request the API answered; every `changesDuringSync.every`-th one applies a batch of changes. */
  private servedOne(): void {
    const during = this.behaviour.changesDuringSync;
    if (!during) return;
    this.servedSinceSwitch++;
    if (this.servedSinceSwitch % during.every !== 0) return;
    this.duringSyncBatches++;
    mutate(this.model, -this.duringSyncBatches, during.changes, this.now());
  }

  private sendApi(res: ServerResponse, reply: Reply, fault: FaultKind | undefined, sequence: number): void {
    if (res.destroyed) return;
    if (fault === 'reset') {
      // Headers promise the whole body; the connection dies after part of it.
      const body = Buffer.from(reply.body);
      res.writeHead(reply.status, { ...this.dateHeader(res), ...reply.headers, 'Content-Type': JSON_TYPE, 'Content-Length': body.length });
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
      return;
    }
    if (fault === 'truncate') {
      // A complete-looking 200 whose JSON stops in the middle; the connection is then closed.
      const body = Buffer.from(reply.body);
      const cut = body.subarray(0, Math.max(1, Math.floor(body.length * (0.3 + unit(this.faultSeed, Tag.fault, sequence, 3) * 0.4))));
      this.count(200);
      res.writeHead(200, { ...this.dateHeader(res), ...reply.headers, 'Content-Type': JSON_TYPE, 'Content-Length': cut.length, Connection: 'close' });
      res.end(cut);
      return;
    }
    this.count(reply.status);
    this.write(res, reply);
  }

  private count(status: number): void {
    const key = String(status);
    this.counters.byStatus[key] = (this.counters.byStatus[key] ?? 0) + 1;
  }

  private write(res: ServerResponse, reply: Reply): void {
    const body = Buffer.from(reply.body);
    res.writeHead(reply.status, {
      ...this.dateHeader(res),
      ...reply.headers,
      'Content-Type': reply.contentType ?? JSON_TYPE,
      'Content-Length': body.length,
    });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  // ------------------------------------------------------------------ control paths

  private control(req: IncomingMessage, res: ServerResponse, path: string): void {
    const json = (status: number, value: unknown): void => this.write(res, { status, body: JSON.stringify(value) });
    if (path === '/__sim/stats' && req.method === 'GET') {
      req.resume();
      json(200, this.stats());
      return;
    }
    if (path === '/__sim/behaviour' && req.method === 'GET') {
      req.resume();
      json(200, this.currentBehaviour());
      return;
    }
    if ((path === '/__sim/mutate' || path === '/__sim/tag' || path === '/__sim/faults' || path === '/__sim/behaviour') && req.method === 'POST') {
      readBody(req, (error, text) => {
        if (error) return json(413, { message: error.message });
        let input: Record<string, unknown>;
        try {
          const parsed: unknown = text.trim() === '' ? {} : JSON.parse(text);
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError('body must be a JSON object');
          input = parsed as Record<string, unknown>;
        } catch (e) {
          return json(400, { message: `invalid JSON body: ${(e as Error).message}` });
        }
        try {
          if (path === '/__sim/mutate') {
            json(200, this.mutate(input.seed as number, input.changes as number));
          } else if (path === '/__sim/tag') {
            json(200, this.changeTag(input as unknown as TagChange));
          } else if (path === '/__sim/behaviour') {
            json(200, this.setBehaviour(input as BehaviourOptions));
          } else {
            this.setFaults({
              rate: input.rate as number,
              ...(input.kinds !== undefined && { kinds: input.kinds as FaultKind[] }),
              ...(input.seed !== undefined && { seed: input.seed as number }),
            });
            json(200, { rate: this.faultRate, kinds: this.faultKinds, seed: this.faultSeed });
          }
        } catch (e) {
          json(400, { message: (e as Error).message });
        }
      });
      return;
    }
    req.resume();
    json(404, { message: `No simulator control path ${req.method ?? ''} ${path}` });
  }
}

function readBody(req: IncomingMessage, done: (error: Error | undefined, text: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let failed = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_CONTROL_BODY && !failed) {
      failed = true;
      done(new Error('body too large'), '');
      req.resume();
      return;
    }
    if (!failed) chunks.push(chunk);
  });
  req.on('end', () => {
    if (!failed) done(undefined, Buffer.concat(chunks).toString('utf8'));
  });
}
