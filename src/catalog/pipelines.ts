import { float, text, timestamp } from './columns.js';
import { endpoints } from './endpoints.js';
import { SETTINGS_TABLE } from './shared.js';
import type { TableDef } from './types.js';

export const pipelines: TableDef = {
  name: 'pipelines',
  title: 'Pipelines',
  description: 'One row per deal pipeline.',
  primaryKey: ['id'],
  modes: ['full'],
  method: SETTINGS_TABLE,
  source: { endpoint: endpoints.dealGroups },
  foreignKeys: [],
  columns: [
    float('id', 'Pipeline id'),
    float('allgroups', 'Pipeline visible to all groups (1 yes, 0 no)'),
    float('allusers', 'Pipeline visible to all users (1 yes, 0 no)'),
    float('autoassign'),
    timestamp('cdate'),
    text('currency'),
    text('title'),
    timestamp('udate'),
    timestamp('win_probability_initialize_date', undefined, { uncertain: 'a timestamp sorting after `udate`, named in no reference example; live pipeline payloads carry `win_probability_initialize_date`; naive account-local; often null or zero date' }),
  ],
};

export const pipelines_stages: TableDef = {
  name: 'pipelines_stages',
  title: 'Pipelines: stages',
  description: 'One row per stage of a deal pipeline.',
  primaryKey: ['group', 'id'],
  modes: ['full'],
  method: SETTINGS_TABLE,
  source: { endpoint: endpoints.dealGroups, rows: 'dealStages' },
  foreignKeys: [
    { column: 'group', table: 'pipelines', references: 'id' },
  ],
  columns: [
    float('group', 'Pipeline id'),
    float('id', 'Stage id'),
    text('cardRegion1'),
    text('cardRegion2'),
    text('cardRegion3'),
    text('cardRegion4'),
    text('cardRegion5'),
    timestamp('cdate'),
    text('color'),
    text('dealOrder'),
    float('order'),
    text('title'),
    timestamp('udate'),
    float('width'),
  ],
};
