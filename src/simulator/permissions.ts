/**
 * Permission areas: the group permissions of ActiveCampaign (catalog `Permission`) and which area each route
 * of the simulator needs. A denied area answers 403 on every route that needs it, as for a user whose group
 * lacks that permission.
 */
import { TABLES, endpoints, type Permission } from '../catalog/index.js';

/** Every permission area, as the catalog names them. */
export const PERMISSION_AREAS = [
  'Contacts', 'Lists', 'Campaigns', 'Deals', 'Accounts', 'Reports', 'Automations', 'Users and groups',
] as const satisfies readonly Permission[];

// Fails to compile when the catalog gains an area this list lacks.
const EVERY_AREA_LISTED: Exclude<Permission, (typeof PERMISSION_AREAS)[number]> extends never ? true : never = true;
void EVERY_AREA_LISTED;

/** The area named by `name`, matched case-insensitively; a RangeError naming the valid areas otherwise. */
export function parseArea(name: unknown): Permission {
  const wanted = typeof name === 'string' ? name.trim().toLowerCase() : undefined;
  const area = PERMISSION_AREAS.find((a) => a.toLowerCase() === wanted);
  if (!area) throw new RangeError(`deny: unknown permission area ${JSON.stringify(name)} (areas: ${PERMISSION_AREAS.join(', ')})`);
  return area;
}

/**
 * The area a route needs: the catalog endpoint's own permission when the catalog reads that path, else that of
 * the catalog endpoint serving the same envelope (`/contacts/{id}/notes` → `/notes`), else that of the catalog
 * tables taking their rows from the envelope (`/dealCustomFieldData` → `/deals`, Deals).
 */
export function routeArea(path: string, envelope: string): Permission | undefined {
  const all = Object.values(endpoints);
  return all.find((e) => e.path === path)?.permission
    ?? all.find((e) => e.envelope === envelope)?.permission
    ?? TABLES.find((t) => t.source.rows === envelope || t.incremental?.child?.rows === envelope)?.source.endpoint.permission;
}

/** The 403 body of a route the key's group may not read. */
export function deniedBody(area: Permission): unknown {
  return { errors: [{ status: 403, title: 'Forbidden', detail: `You do not have permission to view ${area.toLowerCase()}.` }] };
}
