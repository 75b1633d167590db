import { float, text, timestamp } from './columns.js';
import { endpoints } from './endpoints.js';
import { SETTINGS_TABLE } from './shared.js';
import type { TableDef } from './types.js';

export const tasks_outcomes: TableDef = {
  name: 'tasks_outcomes',
  title: 'Tasks: outcomes',
  description: 'One row per task outcome.',
  primaryKey: ['id'],
  modes: ['full'],
  method: SETTINGS_TABLE,
  source: { endpoint: endpoints.taskOutcomes },
  foreignKeys: [
    { column: 'created_by', table: 'users', references: 'id' },
    { column: 'updated_by', table: 'users', references: 'id' },
  ],
  columns: [
    float('id', 'Outcome id'),
    float('created_by'),
    timestamp('created_utc_timestamp'),
    float('disabled', '1 disabled, 0 active'),
    text('sentiment', 'Outcome sentiment: POSITIVE, NEGATIVE or NEUTRAL'),
    text('title', 'Outcome title'),
    float('updated_by'),
    timestamp('updated_utc_timestamp'),
  ],
};

export const tasks_types: TableDef = {
  name: 'tasks_types',
  title: 'Tasks: types',
  description: 'One row per task type.',
  primaryKey: ['id'],
  modes: ['full'],
  method: SETTINGS_TABLE,
  source: { endpoint: endpoints.dealTasktypes },
  foreignKeys: [
    { column: 'created_by', table: 'users', references: 'id' },
    { column: 'updated_by', table: 'users', references: 'id' },
  ],
  columns: [
    float('id', 'Task type id'),
    timestamp('cdate'),
    float('created_by', 'Creating user id; 0 or null marks a built-in type'),
    timestamp('created_utc_timestamp', undefined, { uncertain: 'absent from the reference example; a key list captured from a live account shows `created_utc_timestamp`' }),
    float('defduration'),
    float('display_order', undefined, { uncertain: 'absent from the reference example; a key list captured from a live account shows `display_order`, which fits type and order' }),
    float('status'),
    text('title'),
    timestamp('udate'),
    float('updated_by', 'Last updating user id'),
    timestamp('updated_utc_timestamp', undefined, { uncertain: 'as `created_utc_timestamp`' }),
  ],
};

export const tasks_types_outcomes: TableDef = {
  name: 'tasks_types_outcomes',
  title: 'Tasks: types: outcomes',
  description: 'One row per task type × outcome pair, with its display order.',
  primaryKey: ['tasktype_id', 'outcome_id'],
  modes: ['full'],
  method: SETTINGS_TABLE,
  source: { endpoint: endpoints.tasktypeOutcomeRels },
  foreignKeys: [
    { column: 'tasktype_id', table: 'tasks_types', references: 'id' },
    { column: 'outcome_id', table: 'tasks_outcomes', references: 'id' },
  ],
  columns: [
    float('tasktype_id', 'Task type id'),
    float('outcome_id', 'Task outcome id'),
    float('display_order', undefined, { uncertain: 'the third number is unnamed on the page; `display_order` is the relation\'s only other numeric attribute' }),
  ],
};
