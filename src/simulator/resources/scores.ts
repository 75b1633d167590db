/**
 * Scores (fixed).
 */
import { SCORE_COUNT, renderScore } from '../fixed.js';
import type { Table } from '../table.js';
import { fixedTable } from './shared.js';

export class ScoreTables {
  readonly scores: Table<null> = fixedTable('scores', SCORE_COUNT, 1, renderScore);
}
