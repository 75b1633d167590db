/**
 * Testing a URL and key before (or after) saving them: the same checks as `acsync check` (engine/access.ts,
 * engine/assumptions.ts): the key's user, which tables it may read and the permission to grant for the others.
 */
import { getTable } from '../../catalog/index.js';
import { ApiError, ConfigError } from '../../core/errors.js';
import { GRANT_HINT, checkAccess } from '../../engine/access.js';
import { checkAssumptions } from '../../engine/assumptions.js';
import { openAccount } from '../../engine/run.js';
import { HttpError } from './errors.js';
import type { TableMode } from './connectors.js';
import type { z } from '@hono/zod-openapi';
import type { TestResult } from './schemas.js';

export async function testConnection(baseUrl: string, key: string, tables: readonly TableMode[]): Promise<z.infer<typeof TestResult>> {
  try {
    const { client, user } = await openAccount({ baseUrl, key });
    const defs = tables.map((t) => getTable(t.name)).filter((t) => t !== undefined);
    const access = await checkAccess(client, defs);
    const assumptions = await checkAssumptions(client);
    const denied = access.filter((a) => !a.readable);
    return {
      ok: denied.length === 0,
      user: String(user.username ?? user.email ?? user.id ?? ''),
      tables: access.map((a) => ({ table: a.table, readable: a.readable, permission: a.permission, ...(a.reason && { reason: a.reason }) })),
      grant: denied.length === 0 ? null : { permissions: [...new Set(denied.map((a) => a.permission))], where: GRANT_HINT },
      assumptions: assumptions.map((a) => ({ name: a.name, ok: a.ok, ...(a.instead !== undefined && { instead: a.instead }) })),
    };
  } catch (error) {
    // The API refused the key or could not be reached: a clear line, not a server error.
    if (error instanceof ApiError || error instanceof ConfigError) throw new HttpError(422, error.message);
    throw error;
  }
}
