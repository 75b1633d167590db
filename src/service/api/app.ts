/**
 * The service's HTTP API: connectors, their tests, runs (with live progress as server-sent events), tables and
 * row counts, described by the OpenAPI document at /openapi.json. Every error is `{error: "<one line>"}` with
 * its status. A browser console uses only this API.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { OpenAPIHono, createRoute, z, type RouteConfig } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { streamSSE } from 'hono/streaming';
import { TABLES, getTable, type TableDef } from '../../catalog/index.js';
import { redact } from '../../core/secrets.js';
import { VERSION } from '../../core/version.js';
import { ConfigError } from '../../core/errors.js';
import { refreshNotDue } from '../../engine/cursor.js';
import { HttpError } from './errors.js';
import {
  checkKey,
  checkUrl,
  createConnector,
  connectorBody,
  deleteConnector,
  getConnectorRow,
  iso,
  listConnectors,
  openSecrets,
  refreshEveryOf,
  resolveTables,
  setPaused,
  updateConnector,
  type ApiContext,
} from './connectors.js';
import { testConnection } from './connection-test.js';
import { registerConsole } from './console.js';
import { FINISHED, getRun, listRuns, queueRun, readLogs, requestCancel } from './runs.js';
import * as s from './schemas.js';

export interface AppOptions extends ApiContext {
  /** Bearer token every request must carry (required when the service listens beyond loopback). */
  readonly token: string | null;
  /** How often the event stream looks at the database for news, ms (default 500). */
  readonly pollMs?: number;
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const errorResponses = {
  400: json(s.ErrorBody, 'bad input'),
  401: json(s.ErrorBody, 'missing or wrong bearer token'),
  403: json(s.ErrorBody, 'cross-site request refused'),
  404: json(s.ErrorBody, 'not found'),
  409: json(s.ErrorBody, 'conflict with the current state'),
  415: json(s.ErrorBody, 'a state-changing request must be sent as application/json'),
  422: json(s.ErrorBody, 'the API refused the key or could not be reached'),
  503: json(s.ErrorBody, 'try again in a moment'),
} satisfies RouteConfig['responses'];
const body = <T extends z.ZodType>(schema: T, required = true) => ({ content: { 'application/json': { schema } }, required });
const ConnectorId = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'c_0123456789ab' }) });
const RunId = ConnectorId.extend({ runId: z.string().openapi({ param: { name: 'runId', in: 'path' } }) });

function catalogTable(table: TableDef): z.infer<typeof s.CatalogTable> {
  return {
    name: table.name,
    title: table.title,
    description: table.description,
    modes: [...table.modes],
    primaryKey: [...table.primaryKey],
    columns: table.columns.map((c) => ({ name: c.name, type: c.type, description: c.description ?? null })),
    relations: table.foreignKeys.map((f) => ({ column: f.column, table: f.table, references: f.references })),
  };
}

/** Same digest length whatever the input, so the comparison takes the same time for any wrong token. */
const digest = (value: string) => createHash('sha256').update(value).digest();

export function createApp(options: AppOptions): OpenAPIHono {
  const { db } = options;
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
        return c.json({ error: `${where}${issue?.message ?? 'invalid input'}` }, 400);
      }
      return undefined;
    },
  });

  app.onError((error, c) => {
    if (error instanceof HttpError) return c.json({ error: redact(error.message) }, error.status);
    if (error instanceof HTTPException) {
      const message = /malformed json/i.test(error.message) ? 'the request body is not valid JSON (send {} when there is nothing to say)' : error.message;
      return c.json({ error: message }, error.status);
    }
    if (error instanceof ConfigError) return c.json({ error: redact(error.message) }, 400);
    return c.json({ error: redact(`internal error: ${error.message}`) }, 500);
  });
  app.notFound((c) => c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path} (see /openapi.json)` }, 404));

  // Authentication, then cross-site protection: a browser page elsewhere must not change anything here.
  app.use('/api/*', async (c, next) => {
    if (options.token !== null && c.req.path !== '/api/health') {
      const header = c.req.header('authorization') ?? '';
      const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? '';
      if (!timingSafeEqual(digest(given), digest(options.token))) {
        return c.json({ error: 'missing or wrong bearer token: send Authorization: Bearer <token>' }, 401);
      }
    }
    if (!['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) {
      if (c.req.header('sec-fetch-site') === 'cross-site') return c.json({ error: 'cross-site request refused' }, 403);
      const origin = c.req.header('origin');
      if (origin !== undefined && !sameOrigin(origin, c.req.header('host'))) {
        return c.json({ error: `request from another origin (${origin}) refused` }, 403);
      }
      if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
        return c.json({ error: 'send state-changing requests with Content-Type: application/json' }, 415);
      }
    }
    await next();
    return undefined;
  });

  app.openapi(
    createRoute({ method: 'get', path: '/api/health', tags: ['service'], responses: { 200: json(z.object({ ok: z.boolean(), version: z.string() }), 'the service answers') } }),
    (c) => c.json({ ok: true, version: VERSION }, 200),
  );

  app.openapi(
    createRoute({ method: 'get', path: '/api/catalog', tags: ['tables'], summary: 'every table acsync can copy', responses: { 200: json(z.array(s.CatalogTable), 'the catalog'), ...errorResponses } }),
    (c) => c.json(TABLES.map(catalogTable), 200),
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/api/connection-tests', tags: ['connectors'], summary: 'test a URL and key before saving them',
      request: { body: body(s.ConnectionTest) },
      responses: { 200: json(s.TestResult, 'what the key may read, and what to grant where'), ...errorResponses },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const key = checkKey(input.key);
      return c.json(await testConnection(checkUrl(input.url, key), key, resolveTables(input.tables)), 200);
    },
  );

  app.openapi(
    createRoute({ method: 'get', path: '/api/connectors', tags: ['connectors'], responses: { 200: json(z.array(s.Connector), 'every connector'), ...errorResponses } }),
    async (c) => c.json(await listConnectors(db), 200),
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/api/connectors', tags: ['connectors'], summary: 'save a connector',
      request: { body: body(s.ConnectorCreate) },
      responses: { 201: json(s.Connector, 'saved'), ...errorResponses },
    }),
    async (c) => c.json(await createConnector(options, c.req.valid('json')), 201),
  );

  app.openapi(
    createRoute({ method: 'get', path: '/api/connectors/{id}', tags: ['connectors'], request: { params: ConnectorId }, responses: { 200: json(s.Connector, 'the connector'), ...errorResponses } }),
    async (c) => c.json(await connectorBody(db, await getConnectorRow(db, c.req.valid('param').id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch', path: '/api/connectors/{id}', tags: ['connectors'], summary: 'change some settings (the others keep their value)',
      request: { params: ConnectorId, body: body(s.ConnectorUpdate) },
      responses: { 200: json(s.Connector, 'saved'), ...errorResponses },
    }),
    async (c) => c.json(await updateConnector(options, c.req.valid('param').id, c.req.valid('json')), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete', path: '/api/connectors/{id}', tags: ['connectors'], summary: 'forget the connector and its runs; the copy at the destination stays',
      request: { params: ConnectorId },
      responses: { 200: json(z.object({ id: z.string(), destination: z.string() }), 'deleted; the copy stays at the destination'), ...errorResponses },
    }),
    async (c) => c.json(await deleteConnector(options, c.req.valid('param').id), 200),
  );

  for (const [action, paused] of [['pause', true], ['resume', false]] as const) {
    app.openapi(
      createRoute({
        method: 'post', path: `/api/connectors/{id}/${action}`, tags: ['connectors'],
        summary: paused ? 'stop scheduled runs (a run under way finishes)' : 'start scheduled runs again',
        request: { params: ConnectorId },
        responses: { 200: json(s.Connector, 'saved'), ...errorResponses },
      }),
      async (c) => c.json(await setPaused(options, c.req.valid('param').id, paused), 200),
    );
  }

  app.openapi(
    createRoute({
      method: 'post', path: '/api/connectors/{id}/test', tags: ['connectors'], summary: "test the saved URL and key against the connector's tables",
      request: { params: ConnectorId },
      responses: { 200: json(s.TestResult, 'what the key may read, and what to grant where'), ...errorResponses },
    }),
    async (c) => {
      const row = await getConnectorRow(db, c.req.valid('param').id);
      const { key } = openSecrets(options.box, row);
      return c.json(await testConnection(row.base_url, key, row.tables), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/connectors/{id}/tables', tags: ['tables'], summary: "the connector's tables: catalog and rows at the destination",
      request: { params: ConnectorId },
      responses: { 200: json(z.array(s.ConnectorTable), 'tables'), ...errorResponses },
    }),
    async (c) => {
      const row = await getConnectorRow(db, c.req.valid('param').id);
      const { rows } = await db.query<{ table_name: string; rows: number | string; counted_at: Date | string; last_full_at: Date | string | null }>(
        'SELECT table_name, rows, counted_at, last_full_at FROM acsync_row_counts WHERE connector_id = $1',
        [row.id],
      );
      const counts = new Map(rows.map((r) => [r.table_name, r]));
      const intervals = refreshEveryOf(row.refresh_every_hours, row.tables);
      return c.json(
        row.tables.flatMap(({ name, mode }) => {
          const table = getTable(name);
          if (!table) return [];
          const count = counts.get(name);
          // The rule a run applies (engine/cursor.ts), on the last full pass seen after the latest run.
          const lastFullAt = count ? iso(count.last_full_at) : null;
          const notDueUntil = mode === 'full' && lastFullAt ? refreshNotDue({ mode, lastFullAt }, intervals.get(name)) ?? null : null;
          return [{ ...catalogTable(table), mode, rows: count ? Number(count.rows) : null, countedAt: count ? iso(count.counted_at) : null, notDueUntil }];
        }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/connectors/{id}/runs', tags: ['runs'], summary: 'runs, newest first',
      request: { params: ConnectorId, query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ param: { name: 'limit', in: 'query' } }) }) },
      responses: { 200: json(z.array(s.Run), 'runs'), ...errorResponses },
    }),
    async (c) => {
      const row = await getConnectorRow(db, c.req.valid('param').id);
      return c.json(await listRuns(db, row.id, c.req.valid('query').limit), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/api/connectors/{id}/runs', tags: ['runs'], summary: 'run now (or a full refresh: every table read whole)',
      request: { params: ConnectorId, body: body(s.RunRequest, false) },
      responses: { 202: json(s.Run, 'queued (or the run already queued or running)'), ...errorResponses },
    }),
    async (c) => {
      const row = await getConnectorRow(db, c.req.valid('param').id);
      const kind = c.req.valid('json').fullRefresh ? 'full_refresh' : 'manual';
      return c.json(await queueRun(db, options.queue, row.id, row.account, kind), 202);
    },
  );

  app.openapi(
    createRoute({ method: 'get', path: '/api/connectors/{id}/runs/{runId}', tags: ['runs'], request: { params: RunId }, responses: { 200: json(s.Run, 'the run'), ...errorResponses } }),
    async (c) => {
      const { id, runId } = c.req.valid('param');
      return c.json(await getRun(db, id, runId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/api/connectors/{id}/runs/{runId}/cancel', tags: ['runs'], summary: 'cancel a queued run, or stop a running one after its committed batches',
      request: { params: RunId },
      responses: { 200: json(s.Run, 'the run as it stands'), ...errorResponses },
    }),
    async (c) => {
      const { id, runId } = c.req.valid('param');
      return c.json(await requestCancel(db, (job) => options.queue.cancel(job), id, runId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/connectors/{id}/runs/{runId}/logs', tags: ['runs'], summary: "the run's log lines",
      request: { params: RunId, query: z.object({ after: z.coerce.number().int().min(0).default(0).openapi({ param: { name: 'after', in: 'query' }, description: 'only lines after this seq' }) }) },
      responses: { 200: json(z.array(s.LogLine), 'log lines in order'), ...errorResponses },
    }),
    async (c) => {
      const { id, runId } = c.req.valid('param');
      await getRun(db, id, runId);
      return c.json(await readLogs(db, runId, c.req.valid('query').after), 200);
    },
  );

  // Server-sent events: `progress` (the Run), `log` (a LogLine) as they happen, and `end` (the final Run).
  app.openAPIRegistry.registerPath({
    method: 'get', path: '/api/connectors/{id}/runs/{runId}/events', tags: ['runs'],
    summary: 'live progress as server-sent events: `log` (LogLine), `progress` (Run), then `end` (Run)',
    request: { params: RunId },
    responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } }, 404: json(s.ErrorBody, 'not found') },
  });
  app.get('/api/connectors/:id/runs/:runId/events', async (c) => {
    const { id, runId } = c.req.param();
    await getRun(db, id, runId);
    return runEvents(c, options, id, runId);
  });

  registerConsole(app, options);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'acsync service', version: VERSION, description: 'Connectors that copy ActiveCampaign accounts, their runs and tables.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: options.token !== null ? [{ bearer: [] }] : [],
  } as Parameters<OpenAPIHono['doc31']>[1]);
  return app;
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

function runEvents(c: Context, options: AppOptions, connectorId: string, runId: string): Response {
  const pollMs = options.pollMs ?? 500;
  return streamSSE(c, async (stream) => {
    let closed = false;
    stream.onAbort(() => {
      closed = true;
    });
    let afterSeq = 0;
    let lastProgress = '';
    while (!closed) {
      for (const line of await readLogs(options.db, runId, afterSeq)) {
        afterSeq = line.seq;
        await stream.writeSSE({ event: 'log', id: String(line.seq), data: JSON.stringify(line) });
      }
      let run;
      try {
        run = await getRun(options.db, connectorId, runId);
      } catch {
        // Deleted with its connector.
        await stream.writeSSE({ event: 'end', data: JSON.stringify(null) });
        return;
      }
      if (FINISHED.includes(run.status)) {
        for (const line of await readLogs(options.db, runId, afterSeq)) {
          afterSeq = line.seq;
          await stream.writeSSE({ event: 'log', id: String(line.seq), data: JSON.stringify(line) });
        }
        await stream.writeSSE({ event: 'end', data: JSON.stringify(run) });
        return;
      }
      // The duration grows on every look: only a change of anything else is news.
      const seen = JSON.stringify({ ...run, durationSeconds: null });
      if (seen !== lastProgress) {
        lastProgress = seen;
        await stream.writeSSE({ event: 'progress', data: JSON.stringify(run) });
      }
      await stream.sleep(pollMs);
    }
  });
}
