/**
 * Column lists two tables share: the custom-field definitions of accounts and deals come from twin endpoints,
 * and contact and deal tasks from one (`/dealTasks`, split by `reltype`).
 */
import { float, text, timestamp } from './columns.js';
import type { Column, ReadMethod } from './types.js';

/**
 * The weekly full pass of incremental child tables (custom-field values, tags): whether a child change bumps the
 * parent's update date is not documented, so a week bounds how long a missed change can stay (the best hosted
 * connector does the same).
 */
export const CHILD_FULL_PASS_DAYS = 7;

/** `accounts_custom_fields_meta` and `deals_custom_fields_meta`. */
export function customFieldMetaColumns(): Column[] {
  return [
    float('id', 'Custom field id'),
    float('createdBy', undefined, { uncertain: 'absent from the reference example; a key list captured from a live account shows `createdBy`, which fits type and order' }),
    timestamp('createdTimestamp'),
    float('displayOrder', 'Display order on the Manage Fields page and on deal profiles'),
    text('fieldDefault', 'Default value of the field'),
    text('fieldDefaultCurrency', '3-letter code of the field\'s default currency'),
    text('fieldLabel', 'Field name'),
    text('fieldOptions', 'Options of the field', { json: true }),
    text('fieldType', 'Field type: text, textarea, date, datetime, dropdown, multiselect, radio, checkbox, hidden, currency or number'),
    float('hideFieldFlag'),
    float('isFormVisible', 'Whether the field shows on forms'),
    float('isRequired'),
    float('knownFieldId'),
    text('personalization'),
    float('updatedBy', undefined, { uncertain: 'absent from the reference example; a key list captured from a live account shows `updatedBy`, which fits type and order' }),
    timestamp('updatedTimestamp'),
  ];
}

/** `contacts_tasks` and `deals_tasks`. */
export function taskColumns(related: 'contact' | 'deal'): Column[] {
  return [
    float('id', 'Task id'),
    timestamp('adate', undefined, { uncertain: 'a date key that sorts before `assignee` is on the page but in no documented or captured task payload; AC-style `adate` assumed' }),
    float('assignee', 'Id of the user the task is assigned to'),
    text('automation'),
    timestamp('cdate'),
    timestamp('created_timestamp', undefined, { uncertain: 'one of two undocumented date keys between `cdate` and `dealTasktype`' }),
    timestamp('created_utc_timestamp', undefined, { uncertain: 'second undocumented date key between `cdate` and `dealTasktype`; the task family (`taskOutcomes`, `dealTasktypes`) uses `*_utc_timestamp`' }),
    float('dealTasktype', 'Task type id (one of the account\'s task types)'),
    text('doneAutomation', 'Id of the automation started when the task is completed'),
    float('done_by', undefined, { uncertain: 'an undocumented numeric key sorting between `doneAutomation` and `donedate`; assumed to be the completing user' }),
    timestamp('donedate'),
    timestamp('duedate', 'Due date of the task'),
    float('duration'),
    timestamp('edate'),
    text('note', 'Text describing the task'),
    float('outcomeId'),
    text('outcomeInfo'),
    text('owner', undefined, { json: true, uncertain: 'a text key between `outcomeInfo` and `relid`; only `owner` fits (`reltype` would sort after `relid`); `owner` object `{type,id}` serialised as JSON text' }),
    float('relid', `Id of the related object (the ${related})`),
    float('status', 'Completion status: 1 complete, 0 incomplete'),
    text('title', 'Task title'),
    timestamp('udate'),
    timestamp('updated_utc_timestamp', undefined, { uncertain: 'one undocumented date key between `udate` and `user`; `_utc_` variant assumed as in the task family' }),
    float('user'),
  ];
}

/**
 * Definitions and settings (custom-field definitions, pipelines, task types, users, groups…): a page or two a run,
 * so a narrower read would save next to nothing while a missed edit would linger.
 */
export const SETTINGS_TABLE: ReadMethod = {
  kind: 'full',
  basis: 'a table of definitions or settings, a page or two a run: nothing worth saving, and edits carry no documented date filter',
};

/** The table's own `filters[updated_after]` (docs/activecampaign-api.md section 3; `acsync check` probes it). */
export function updatedAfter(reference: string): ReadMethod {
  return { kind: 'updated-after', basis: `${reference} documents filters[updated_after]; acsync check and every pass's rows verify it` };
}

/** Children sideloaded on the changed parents' pages (docs/activecampaign-api.md section 4). */
export function changedParents(parent: string, include: string): ReadMethod {
  return {
    kind: 'changed-parents',
    basis: `include=${include} on the changed ${parent} (docs/activecampaign-api.md section 4), checked on every page against the ids each parent lists; a periodic full pass catches changes that leave the parent's date`,
  };
}
