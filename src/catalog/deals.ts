import { boolean, float, text, timestamp } from './columns.js';
import { endpoints } from './endpoints.js';
import { CHILD_FULL_PASS_DAYS, SETTINGS_TABLE, changedParents, customFieldMetaColumns, taskColumns, updatedAfter } from './shared.js';
import type { TableDef } from './types.js';

export const deals: TableDef = {
  name: 'deals',
  title: 'Deals',
  description: 'One row per deal; deals in pipelines the key may not manage keep only id, title and isdisabled.',
  primaryKey: ['id'],
  modes: ['full', 'incremental'],
  method: updatedAfter('List all deals'),
  source: {
    endpoint: endpoints.deals,
    truncated: {
      key: 'isDisabled',
      equals: 1,
      hint: 'deals in pipelines the key may not manage arrive with only id and title: give the key\'s group access to every pipeline (Settings → Users → Groups → Permissions → Deals)',
    },
  },
  incremental: { endpoint: endpoints.deals, cursor: 'mdate' },
  foreignKeys: [
    { column: 'account', table: 'accounts', references: 'id' },
    { column: 'customeraccount', table: 'accounts', references: 'id' },
    { column: 'contact', table: 'contacts', references: 'id' },
    { column: 'group', table: 'pipelines', references: 'id' },
    { column: 'stage', table: 'pipelines_stages', references: 'id' },
    { column: 'owner', table: 'users', references: 'id' },
    { column: 'nexttask', table: 'deals_tasks', references: 'id' },
    { column: 'nexttaskid', table: 'deals_tasks', references: 'id' },
  ],
  columns: [
    float('id', 'Deal id'),
    float('account', 'Account id of the deal'),
    float('activitycount'),
    timestamp('cdate'),
    float('contact', 'Primary contact id'),
    text('currency', 'Currency, 3-letter ISO code in lower case'),
    float('customerAccount'),
    text('description', 'Deal description'),
    timestamp('edate'),
    float('group', 'Pipeline id'),
    text('hash'),
    boolean('isDisabled'),
    timestamp('mdate'),
    float('nextTask'),
    timestamp('nextdate'),
    float('nextdealid'),
    float('nexttaskid'),
    float('organization'),
    float('owner', 'Owner user id'),
    float('percent', 'Deal percentage'),
    float('stage', 'Stage id'),
    float('status', 'Deal status (0 open, 1 won, 2 lost)'),
    text('title', 'Deal title'),
    float('value', 'Deal value in cents'),
    float('winProbability'),
    timestamp('winProbabilityMdate'),
  ],
};

export const deals_activities: TableDef = {
  name: 'deals_activities',
  title: 'Deals: activities',
  description: 'One row per entry of the deal activity stream.',
  primaryKey: ['id'],
  modes: ['full', 'incremental'],
  method: {
    kind: 'changed-parents-list',
    basis: 'List all deal activities documents no date or id bound, only `deal`, `filters[data_type]`, `filters[data_id]` and `exclude=email` (docs/activecampaign-api.md section 3), and names /deals/{id}/dealActivities for one deal\'s activities: one request per changed deal, each row checked to belong to its deal; activities come with deal changes, and the weekly full pass catches any that leave `mdate`',
  },
  source: { endpoint: endpoints.dealActivities },
  incremental: {
    endpoint: endpoints.deals,
    cursor: 'mdate',
    fullPassEveryDays: CHILD_FULL_PASS_DAYS,
    perChangedParent: { endpoint: endpoints.dealActivitiesOfDeal, parentKey: 'deal' },
  },
  foreignKeys: [
    { column: 'd_id', table: 'deals', references: 'id' },
    { column: 'deal', table: 'deals', references: 'id' },
    { column: 'd_stageid', table: 'pipelines_stages', references: 'id' },
    { column: 'user', table: 'users', references: 'id' },
    { column: 'userid', table: 'users', references: 'id' },
  ],
  columns: [
    float('id', 'Activity id'),
    float('automation'),
    timestamp('cdate'),
    float('d_id', 'Deal id'),
    float('d_stageid'),
    text('dataAction'),
    float('dataId'),
    text('dataOldval'),
    text('dataType'),
    float('deal'),
    float('deleted'),
    float('seriesid', undefined, { uncertain: 'one numeric key sorts here: `seriesid` or `isAddtask`' }),
    timestamp('sortdate'),
    float('user', undefined, { uncertain: 'two of `stage`, `user`, `userid` follow `sortdate`; `stage` (mostly null) assumed absent' }),
    float('userid', undefined, { uncertain: 'see `user`' }),
  ],
};

export const deals_custom_fields_data: TableDef = {
  name: 'deals_custom_fields_data',
  title: 'Deals: custom fields (data)',
  description: 'One row per custom field value of a deal.',
  primaryKey: ['id'],
  modes: ['full', 'incremental'],
  method: changedParents('deals', 'dealCustomFieldData'),
  source: {
    endpoint: endpoints.deals,
    include: 'dealCustomFieldData',
    rows: 'dealCustomFieldData',
    fallback: {
      endpoint: endpoints.dealCustomFieldData,
      join: { as: 'field', on: 'customFieldId', endpoint: endpoints.dealCustomFieldMeta },
      reshape: dealFieldValueAsSideload,
    },
  },
  incremental: {
    endpoint: endpoints.deals,
    cursor: 'mdate',
    fullPassEveryDays: CHILD_FULL_PASS_DAYS,
    child: { include: 'dealCustomFieldData', rows: 'dealCustomFieldData', parentKey: 'deal_id' },
  },
  foreignKeys: [
    { column: 'deal_id', table: 'deals', references: 'id' },
    { column: 'custom_field_id', table: 'deals_custom_fields_meta', references: 'id' },
    { column: 'dealcustomfieldmetum', table: 'deals_custom_fields_meta', references: 'id' },
  ],
  columns: [
    float('id', 'Value id'),
    timestamp('created_timestamp'),
    text('custom_field_currency_type'),
    float('custom_field_currency_value'),
    timestamp('custom_field_date_value'),
    float('custom_field_id'),
    float('custom_field_number_value'),
    text('custom_field_text_blob'),
    text('custom_field_text_value'),
    float('dealCustomFieldMetum'),
    float('deal_id'),
    timestamp('updated_timestamp'),
  ],
};

export const deals_custom_fields_meta: TableDef = {
  name: 'deals_custom_fields_meta',
  title: 'Deals: custom fields (meta)',
  description: 'One row per deal custom field definition.',
  primaryKey: ['id'],
  modes: ['full'],
  method: SETTINGS_TABLE,
  source: { endpoint: endpoints.dealCustomFieldMeta },
  foreignKeys: [
    { column: 'createdby', table: 'users', references: 'id' },
    { column: 'updatedby', table: 'users', references: 'id' },
  ],
  columns: customFieldMetaColumns(),
};

export const deals_secondary_contacts: TableDef = {
  name: 'deals_secondary_contacts',
  title: 'Deals: secondary contacts',
  description: 'One row per contact associated with a deal besides its primary contact.',
  primaryKey: ['id'],
  modes: ['full'],
  method: { kind: 'full', basis: 'no documented filter on /contactDeals (docs/activecampaign-api.md section 3), and a secondary contact\'s role may change without the deal\'s `mdate`' },
  source: { endpoint: endpoints.contactDeals },
  foreignKeys: [
    { column: 'contact', table: 'contacts', references: 'id' },
    { column: 'deal', table: 'deals', references: 'id' },
  ],
  columns: [
    float('id', 'Association id'),
    timestamp('cdate'),
    float('contact', 'Contact id'),
    timestamp('created_timestamp'),
    float('deal', 'Deal id'),
    text('role'),
    timestamp('updated_timestamp'),
  ],
};

export const deals_tasks: TableDef = {
  name: 'deals_tasks',
  title: 'Deals: tasks',
  description: 'One row per task related to a deal.',
  primaryKey: ['id'],
  modes: ['full'],
  method: { kind: 'full', basis: 'List all tasks documents filters on relation, status, type, assignee, outcome and due date, none on the update date (docs/activecampaign-api.md section 3); tasks are edited in place' },
  source: {
    endpoint: endpoints.dealTasks,
    serverFilter: { 'filters[reltype]': 'Deal' },
    where: { key: 'reltype', equals: 'Deal' },
  },
  foreignKeys: [
    { column: 'relid', table: 'deals', references: 'id' },
    { column: 'assignee', table: 'users', references: 'id' },
    { column: 'user', table: 'users', references: 'id' },
    { column: 'dealtasktype', table: 'tasks_types', references: 'id' },
    { column: 'outcomeid', table: 'tasks_outcomes', references: 'id' },
  ],
  columns: taskColumns('deal'),
};

/**
 * A row of the documented `/dealCustomFieldData` list in the snake_case shape of the `include=dealCustomFieldData`
 * sideload that the columns read (docs/activecampaign-api.md sections 4 and 9.21). The list has one `fieldValue`;
 * the sideload spreads it over one column per field type, which the field's definition (`fieldType`) gives.
 */
export function dealFieldValueAsSideload(row: Record<string, unknown>, field: Record<string, unknown> | null): Record<string, unknown> {
  const type = typeof field?.fieldType === 'string' ? field.fieldType : 'text';
  const value = row.fieldValue ?? null;
  const text = value === null ? null : typeof value === 'string' ? value : JSON.stringify(value);
  const currency = typeof row.fieldCurrency === 'string' ? row.fieldCurrency.toLowerCase() : null;
  return {
    id: row.id,
    deal_id: row.dealId,
    custom_field_id: row.customFieldId,
    dealCustomFieldMetum: row.dealCustomFieldMetumId ?? row.customFieldId,
    created_timestamp: row.createdTimestamp,
    updated_timestamp: row.updatedTimestamp,
    custom_field_text_value: type === 'textarea' || type === 'date' || type === 'number' || type === 'currency' ? null : text,
    custom_field_text_blob: type === 'textarea' ? text : null,
    custom_field_date_value: type === 'date' ? value : null,
    custom_field_number_value: type === 'number' ? value : null,
    custom_field_currency_value: type === 'currency' ? value : null,
    custom_field_currency_type: type === 'currency' ? currency : null,
  };
}
