import { float, text, timestamp } from './columns.js';
import { endpoints } from './endpoints.js';
import { SETTINGS_TABLE, customFieldMetaColumns } from './shared.js';
import type { TableDef } from './types.js';

export const accounts: TableDef = {
  name: 'accounts',
  title: 'Accounts',
  description: 'One row per account.',
  primaryKey: ['id'],
  modes: ['full'],
  method: { kind: 'full', basis: 'List all accounts documents only `search` and `count_deals` (docs/activecampaign-api.md section 3); `contactCount` and `dealCount` are computed, so they change without the account\'s `updatedTimestamp`' },
  source: { endpoint: endpoints.accounts },
  foreignKeys: [
    { column: 'owner', table: 'users', references: 'id' },
  ],
  columns: [
    float('id', 'Account id'),
    text('accountUrl'),
    float('contactCount'),
    timestamp('createdTimestamp'),
    float('dealCount'),
    text('name', 'Account name'),
    float('owner'),
    timestamp('updatedTimestamp'),
  ],
};

export const accounts_contacts: TableDef = {
  name: 'accounts_contacts',
  title: 'Accounts: contacts',
  description: 'One row per account–contact association (a contact belongs to at most one account).',
  primaryKey: ['id'],
  modes: ['full'],
  method: { kind: 'full', basis: 'List all associations documents only `filters[account]` and `filters[contact]` (docs/activecampaign-api.md section 3): a read per changed contact costs a request each, more than the whole list at 1% churn, and a job-title edit need not touch the contact\'s date' },
  source: { endpoint: endpoints.accountContacts },
  foreignKeys: [
    { column: 'account', table: 'accounts', references: 'id' },
    { column: 'contact', table: 'contacts', references: 'id' },
  ],
  columns: [
    float('id', 'Association id'),
    float('account', 'Account id'),
    float('contact', 'Contact id'),
    timestamp('createdTimestamp'),
    text('jobTitle', 'Contact\'s job title at the account'),
    timestamp('updatedTimestamp'),
  ],
};

export const accounts_custom_fields_data: TableDef = {
  name: 'accounts_custom_fields_data',
  title: 'Accounts: custom fields (data)',
  description: 'One row per stored value; `accountCustomFieldMetumId` (a duplicate of `customFieldId`) is not kept.',
  primaryKey: ['id'],
  modes: ['full'],
  method: { kind: 'full', basis: 'the list documents only `filters[customerAccountId]` (docs/activecampaign-api.md section 3), and a value edit need not touch the account\'s date' },
  source: { endpoint: endpoints.accountCustomFieldData },
  foreignKeys: [
    { column: 'accountid', table: 'accounts', references: 'id' },
    { column: 'customfieldid', table: 'accounts_custom_fields_meta', references: 'id' },
  ],
  columns: [
    float('id', 'Value id'),
    float('accountId', 'Id of the account the value belongs to'),
    timestamp('createdTimestamp'),
    float('customFieldId', 'Id of the custom field definition'),
    text('fieldCurrency', 'Currency code of a money value'),
    text('fieldValue', 'Stored value'),
    timestamp('updatedTimestamp'),
  ],
};

export const accounts_custom_fields_meta: TableDef = {
  name: 'accounts_custom_fields_meta',
  title: 'Accounts: custom fields (meta)',
  description: 'One row per account custom field definition.',
  primaryKey: ['id'],
  modes: ['full'],
  method: SETTINGS_TABLE,
  source: { endpoint: endpoints.accountCustomFieldMeta },
  foreignKeys: [
    { column: 'createdby', table: 'users', references: 'id' },
    { column: 'updatedby', table: 'users', references: 'id' },
  ],
  columns: customFieldMetaColumns(),
};

export const accounts_notes: TableDef = {
  name: 'accounts_notes',
  title: 'Accounts: notes',
  description: 'One row per note attached to an account (notes with reltype CustomerAccount).',
  primaryKey: ['id'],
  modes: ['full'],
  method: { kind: 'full', basis: 'Retrieve list of all notes documents no filter (docs/activecampaign-api.md section 3); notes are edited in place (`mdate`), so an id tail would miss edits, and `/accounts/{id}/notes` would cost a request per account' },
  source: { endpoint: endpoints.notes, where: { key: 'reltype', equals: 'CustomerAccount' } },
  foreignKeys: [
    { column: 'account_id', table: 'accounts', references: 'id' },
    { column: 'relid', table: 'accounts', references: 'id' },
    { column: 'userid', table: 'users', references: 'id' },
  ],
  columns: [
    float('id', 'Note id'),
    float('account_id', undefined, { from: 'relid', uncertain: 'a second id column sorting before `cdate`; taken to be the parent account id (the product probably adds it when reading notes per account)' }),
    timestamp('cdate'),
    float('is_draft'),
    timestamp('mdate'),
    text('note'),
    float('relid'),
    text('reltype'),
    float('userid'),
  ],
};
