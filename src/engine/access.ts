/**
 * Which tables a key can read: one small request per distinct endpoint (limit=1), so a missing permission is
 * found before a sync, with the ActiveCampaign permission to grant.
 */
import type { Endpoint, Permission, TableDef } from '../catalog/index.js';
import type { ActiveCampaignClient } from '../activecampaign/client.js';
import { ApiError } from '../core/errors.js';

export interface TableAccess {
  readonly table: string;
  readonly readable: boolean;
  readonly permission: Permission;
  /** Why the table cannot be read, when it cannot. */
  readonly reason?: string;
}

/** Where the permission is granted, as the original product's setup steps describe it. */
export const GRANT_HINT =
  'Settings → Users → Groups → (the key owner\'s group) → Permissions; tick it and save. The key\'s user needs a group with every permission and no limits.';

export async function checkAccess(client: ActiveCampaignClient, tables: readonly TableDef[]): Promise<TableAccess[]> {
  const probes = new Map<string, Promise<string | null>>();
  const probe = (endpoint: Endpoint, parent?: Endpoint): Promise<string | null> => {
    const key = endpoint.path;
    let result = probes.get(key);
    if (!result) {
      result = probeEndpoint(client, endpoint, parent);
      probes.set(key, result);
    }
    return result;
  };
  return Promise.all(
    tables.map(async (table) => {
      const endpoint = table.source.endpoint;
      const reasons = await Promise.all([
        probe(endpoint, table.source.perParent?.parent),
        ...(table.source.join ? [probe(table.source.join.endpoint)] : []),
      ]);
      const reason = reasons.find((r) => r !== null);
      return {
        table: table.name,
        readable: !reason,
        permission: endpoint.permission,
        ...(reason && { reason }),
      };
    }),
  );
}

/** null when readable, else the reason. Only a permission refusal means "not readable"; other errors propagate. */
async function probeEndpoint(client: ActiveCampaignClient, endpoint: Endpoint, parent?: Endpoint): Promise<string | null> {
  try {
    let path = endpoint.path;
    if (parent) {
      const parents = await client.get(parent.path, { limit: '1' });
      const first = (parents[parent.envelope] as Record<string, unknown>[] | undefined)?.[0];
      if (!first) return null;
      path = path.replace('{id}', encodeURIComponent(String(first.id)));
    }
    await client.get(path, { ...endpoint.params, limit: '1' });
    return null;
  } catch (error) {
    if (error instanceof ApiError && error.kind === 'permission') return error.message;
    throw error;
  }
}
