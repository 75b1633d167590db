import type { Endpoint } from '../catalog/index.js';
import type { StreamPosition } from '../core/contract.js';
import type { ActiveCampaignClient } from './client.js';
import { linkedAbort } from './abort.js';
import { ApiError } from '../core/errors.js';

/** Rows per request. The API's default is 20 and its maximum 100; it is always sent explicitly. */
export const PAGE_LIMIT = 100;
const DEFAULT_PREFETCH = 4;
/** Parameters the pager owns; values given by the caller under these names are replaced. */
const PAGING_PARAMS = ['limit', 'offset', 'id_greater'];

export interface Page {
  /** The whole response (sideloads included). */
  readonly body: Record<string, unknown>;
  /** body[endpoint.envelope]; [] when missing. */
  readonly rows: Record<string, unknown>[];
  /** Position after this page: `{ offset, rows }` (offset paging) or `{ lastId, rows }` (keyset paging). */
  readonly position: StreamPosition;
  /** Number(meta.total) when the response has one. A hint: paging never relies on it to find more rows. */
  readonly total?: number;
  /**
   * The row count of the whole read as the API announced it, for completeness checks (rows read vs announced).
   * Offset paging: the latest meta.total of this read (this page's, else an earlier page's). Keyset paging:
   * the total of the read's first page when the read started at id 0 (a later page's total may count only the
   * ids above its id_greater); undefined for a resumed keyset read. Unpaged: this page's total.
   */
  readonly announcedTotal?: number;
  /** True on the page that ends the read (a short page, or the single page of an unpaged endpoint). */
  readonly last: boolean;
}

export interface ReadOptions {
  /** Filters, include, ... (endpoint.params are always added and win over these). */
  params?: Record<string, string>;
  /** Resume point: `{ offset }` or `{ lastId }`, with `rows` already consumed. */
  start?: StreamPosition;
  /** Per-parent endpoints: the `{id}` of '/groups/{id}/userGroups'. */
  pathParams?: { id: string };
  /**
   * Offset paging: rows each page repeats from the end of the one before (default 0), so that the caller can see
   * where the rows shifted between two requests (a row deleted meanwhile, an order that ties).
   */
  overlap?: number;
  /** Offset paging with a known total: pages requested ahead of the one being consumed (default 4). */
  prefetch?: number;
  /** Budget priority of this stream's requests (default: 1 for keyset paging, which cannot read ahead, else 0). */
  priority?: number;
  signal?: AbortSignal;
}

/**
 * The pages of one endpoint, in order (docs/activecampaign-api.md section 2). Offset paging stops on a page
 * shorter than the limit, never on `meta.total`, which may be absent, a string, too low or too high: after a
 * full page the next one is always read. The total only decides how many pages are requested ahead. Keyset
 * paging (contacts) walks `id_greater` one page at a time and checks that ids strictly ascend, within a page
 * and across pages. Unpaged endpoints answer in one request.
 */
export async function* readPages(
  client: ActiveCampaignClient,
  endpoint: Endpoint,
  options: ReadOptions = {},
): AsyncGenerator<Page> {
  const path = resolvePath(endpoint, options.pathParams);
  const params: Record<string, string> = { ...options.params, ...endpoint.params };
  for (const name of PAGING_PARAMS) delete params[name];

  if (endpoint.unpaged) {
    const body = await client.get(path, params, options.signal, options.priority ?? 0);
    const rows = rowsOf(body, endpoint, path);
    const total = totalOf(body);
    yield page(body, rows, { offset: rows.length, rows: rows.length }, true, total, total);
  } else if (endpoint.paging === 'keyset') {
    yield* readKeyset(client, endpoint, path, params, options);
  } else {
    yield* readOffset(client, endpoint, path, params, options);
  }
}

async function* readKeyset(
  client: ActiveCampaignClient,
  endpoint: Endpoint,
  path: string,
  params: Record<string, string>,
  options: ReadOptions,
): AsyncGenerator<Page> {
  let lastId = options.start?.lastId ?? 0;
  let consumed = options.start?.rows ?? 0;
  const fresh = lastId === 0;
  let announced: number | undefined;
  for (let first = true; ; first = false) {
    const body = await client.get(
      path,
      { ...params, id_greater: String(lastId), limit: String(PAGE_LIMIT) },
      options.signal,
      options.priority ?? 1,
    );
    const rows = rowsOf(body, endpoint, path);
    // Each id must be above the one before, the page's first above id_greater: otherwise rows are repeated,
    // or (worse) the next id_greater jumps over rows that were never sent.
    let previous = lastId;
    for (const row of rows) {
      const id = numericId(row.id);
      if (id === undefined) {
        throw new ApiError('bad_response', `${path} (keyset paging) sent a row whose id ${JSON.stringify(row.id)} is not a number`, path, 200);
      }
      if (!(id > previous)) {
        const where = previous === lastId ? `id_greater=${lastId}` : `id ${previous}`;
        throw new ApiError(
          'bad_response',
          `${path} (keyset paging) sent id ${id} after ${where}: ids must strictly ascend, or rows would be repeated or skipped`,
          path,
          200,
        );
      }
      previous = id;
    }
    const total = totalOf(body);
    if (first && fresh) announced = total;
    lastId = previous;
    consumed += rows.length;
    const last = rows.length < PAGE_LIMIT;
    yield page(body, rows, { lastId, rows: consumed }, last, total, announced);
    if (last) return;
  }
}

interface Pending {
  readonly offset: number;
  readonly body: Promise<Record<string, unknown>>;
}

async function* readOffset(
  client: ActiveCampaignClient,
  endpoint: Endpoint,
  path: string,
  params: Record<string, string>,
  options: ReadOptions,
): AsyncGenerator<Page> {
  const prefetch = Math.max(0, Math.floor(options.prefetch ?? DEFAULT_PREFETCH));
  // Requests made ahead are cancelled when paging ends early (short page, consumer stops, error).
  const cancel = linkedAbort(options.signal);
  const signal = cancel.signal;
  const pending: Pending[] = [];
  let nextOffset = options.start?.offset ?? 0;
  let consumed = options.start?.rows ?? nextOffset;
  let total: number | undefined;
  const step = PAGE_LIMIT - Math.min(Math.max(0, Math.floor(options.overlap ?? 0)), PAGE_LIMIT - 1);

  const request = (): void => {
    const offset = nextOffset;
    const body = client.get(path, { ...params, limit: String(PAGE_LIMIT), offset: String(offset) }, signal, options.priority ?? 0);
    // Failures surface when the page reaches the head of the queue; a cancelled page is never awaited.
    body.catch(() => undefined);
    pending.push({ offset, body });
    nextOffset = offset + step;
  };
  /** Requests the next page (pending is contiguous, so it is already there unless pending is empty) and,
   *  once a total is known, the pages below it up to `prefetch` ahead. */
  const fill = (): void => {
    if (pending.length === 0) request();
    while (total !== undefined && pending.length < prefetch && nextOffset < total) request();
  };

  try {
    request();
    while (pending.length > 0) {
      const head = pending.shift() as Pending;
      const body = await head.body;
      const rows = rowsOf(body, endpoint, path);
      const pageTotal = totalOf(body);
      if (pageTotal !== undefined) total = pageTotal;
      consumed += rows.length;
      const end = head.offset + rows.length;
      // A short page ends the table. A page longer than the limit means the server ignored limit and
      // sent everything from this offset on. A full page never ends it, whatever the total says: the total
      // may be stale or wrong, and one more request is the price of not losing rows.
      const done = rows.length !== PAGE_LIMIT;
      const current = page(body, rows, { offset: end, rows: consumed }, done, pageTotal, total);
      if (done) {
        cancel.abort();
        yield current;
        return;
      }
      if (prefetch > 0) fill();
      yield current;
      if (prefetch === 0) fill();
    }
  } finally {
    cancel.abort();
    cancel.dispose();
  }
}

function resolvePath(endpoint: Endpoint, pathParams: ReadOptions['pathParams']): string {
  const templated = endpoint.path.includes('{id}');
  if (templated && pathParams === undefined) {
    throw new Error(`${endpoint.path} is read per parent: pass pathParams.id`);
  }
  if (!templated && pathParams !== undefined) {
    throw new Error(`${endpoint.path} has no {id} to fill`);
  }
  return templated ? endpoint.path.replace('{id}', encodeURIComponent((pathParams as { id: string }).id)) : endpoint.path;
}

function rowsOf(body: Record<string, unknown>, endpoint: Endpoint, path: string): Record<string, unknown>[] {
  const rows = body[endpoint.envelope];
  if (rows === undefined || rows === null) return [];
  if (!Array.isArray(rows)) {
    throw new ApiError('bad_response', `${path} answered with '${endpoint.envelope}' that is not a list`, path, 200);
  }
  return rows as Record<string, unknown>[];
}

/** A keyset id: a JSON number or a decimal string, as a safe integer. */
function numericId(id: unknown): number | undefined {
  const value = typeof id === 'number' ? id : typeof id === 'string' && /^\d{1,16}$/.test(id) ? Number(id) : Number.NaN;
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Number(meta.total): a string on most endpoints, a number on /deals, absent on some. */
function totalOf(body: Record<string, unknown>): number | undefined {
  const meta = body.meta;
  if (typeof meta !== 'object' || meta === null) return undefined;
  const raw = (meta as Record<string, unknown>).total;
  if (raw === undefined || raw === null || raw === '') return undefined;
  const total = Number(raw);
  return Number.isFinite(total) && total >= 0 ? total : undefined;
}

function page(
  body: Record<string, unknown>,
  rows: Record<string, unknown>[],
  position: StreamPosition,
  last: boolean,
  total: number | undefined,
  announcedTotal: number | undefined,
): Page {
  return {
    body,
    rows,
    position,
    last,
    ...(total !== undefined && { total }),
    ...(announcedTotal !== undefined && { announcedTotal }),
  };
}
