/**
 * The browser console, served beside the API: the page at `/`, its built assets under `/console/` (from
 * dist/console, made by `npm run build`), and the connector's dbt sources for download. The page talks to the
 * API only, from this origin; its content security policy lets it load nothing from elsewhere.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { TABLES } from '../../catalog/index.js';
import { dbtSources } from '../../dbt/sources.js';
import { tablesLocation } from '../../destinations/kinds.js';
import { getConnectorRow, type ApiContext } from './connectors.js';
import * as s from './schemas.js';

/** dist/console, from this module in src/service/api or dist/service/api alike. */
const ASSETS = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

const ASSET_TYPES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'erd.html': 'text/html; charset=utf-8',
};

const POLICY = {
  // The console: its own script and style, API calls to this origin, nothing framing it but itself.
  page: "default-src 'self'; img-src 'self' data:; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  // The diagram page is self-contained (inline script and style), shown in the console's frame.
  diagram: "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'",
};

function asset(name: string): Response {
  let body: Buffer;
  try {
    body = readFileSync(join(ASSETS, name));
  } catch {
    return Response.json({ error: `the console is not built (no ${name}): run npm run build` }, { status: 404 });
  }
  const headers: Record<string, string> = {
    'content-type': ASSET_TYPES[name]!,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  };
  if (name.endsWith('.html')) headers['content-security-policy'] = name === 'erd.html' ? POLICY.diagram : POLICY.page;
  return new Response(body, { headers });
}

export function registerConsole(app: OpenAPIHono, context: ApiContext): void {
  app.get('/', () => asset('index.html'));
  app.get('/console/:file', (c) => {
    const file = c.req.param('file');
    return ASSET_TYPES[file] ? asset(file) : c.json({ error: `no such file: /console/${file}` }, 404);
  });

  app.openapi(
    createRoute({
      method: 'get', path: '/api/connectors/{id}/dbt', tags: ['tables'], summary: "dbt sources (sources.yml) for the connector's copy",
      request: { params: z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) }) },
      responses: {
        200: { content: { 'application/yaml': { schema: z.string() } }, description: 'sources.yml: tables, columns, descriptions, key and relationship tests' },
        404: { content: { 'application/json': { schema: s.ErrorBody } }, description: 'not found' },
      },
    }),
    async (c) => {
      const row = await getConnectorRow(context.db, c.req.valid('param').id);
      const chosen = new Set(row.tables.map((t) => t.name));
      const text = dbtSources(TABLES.filter((t) => chosen.has(t.name)), tablesLocation(row.destination_shown));
      return c.body(text, 200, { 'content-type': 'application/yaml; charset=utf-8', 'content-disposition': 'attachment; filename="sources.yml"' });
    },
  );
}
