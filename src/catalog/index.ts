import * as accounts from './accounts.js';
import * as campaigns from './campaigns.js';
import * as contacts from './contacts.js';
import * as deals from './deals.js';
import * as lists from './lists.js';
import * as pipelines from './pipelines.js';
import * as scores from './scores.js';
import * as tasks from './tasks.js';
import * as users from './users.js';
import type { ReplicationMode, TableDef } from './types.js';

export type * from './types.js';
export { endpoints } from './endpoints.js';
export { columnName } from './columns.js';

/** The 33 tables, in the order of the product page (docs/tables.md section 2). */
export const TABLES: readonly TableDef[] = [
  accounts.accounts,
  accounts.accounts_contacts,
  accounts.accounts_custom_fields_data,
  accounts.accounts_custom_fields_meta,
  accounts.accounts_notes,
  campaigns.campaigns,
  campaigns.campaigns_messages,
  campaigns.campaigns_messages_content,
  contacts.contacts,
  contacts.contacts_custom_fields_data,
  contacts.contacts_custom_fields_meta,
  contacts.contacts_custom_fields_options,
  contacts.contacts_list_activity,
  contacts.contacts_notes,
  contacts.contacts_tasks,
  deals.deals,
  deals.deals_activities,
  deals.deals_custom_fields_data,
  deals.deals_custom_fields_meta,
  deals.deals_secondary_contacts,
  deals.deals_tasks,
  lists.lists,
  lists.lists_contacts,
  pipelines.pipelines,
  pipelines.pipelines_stages,
  scores.scores,
  tasks.tasks_outcomes,
  tasks.tasks_types,
  tasks.tasks_types_outcomes,
  users.user_groups,
  users.users,
  users.users_groups,
  contacts.contacts_tags,
];

const byName = new Map(TABLES.map((t) => [t.name, t]));

export function getTable(name: string): TableDef | undefined {
  return byName.get(name);
}

export const TABLE_NAMES: readonly string[] = TABLES.map((t) => t.name);

/** Whether the API lets this table be read incrementally (it has an update filter on its stream). */
export function offersIncremental(table: TableDef): boolean {
  return table.modes.includes('incremental');
}

/** A table's mode when nobody chose one: incremental where the table offers it. */
export function defaultMode(table: TableDef): ReplicationMode {
  return offersIncremental(table) ? 'incremental' : 'full';
}
