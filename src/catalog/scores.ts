import { float, text, timestamp } from './columns.js';
import { endpoints } from './endpoints.js';
import { SETTINGS_TABLE } from './shared.js';
import type { TableDef } from './types.js';

export const scores: TableDef = {
  name: 'scores',
  title: 'Scores',
  description: 'One row per contact or deal scoring rule set.',
  primaryKey: ['id'],
  modes: ['full'],
  method: SETTINGS_TABLE,
  source: { endpoint: endpoints.scores },
  foreignKeys: [],
  columns: [
    float('id', 'Score id'),
    timestamp('cdate'),
    text('descript'),
    timestamp('mdate'),
    text('name', 'Score name'),
    text('reltype', 'What the score applies to: `contact` or `deal`'),
    float('status'),
  ],
};
