/**
 * Pipelines (`/dealGroups`) and their stages (fixed; four stages per pipeline).
 */
import { PIPELINES, STAGES_PER_PIPELINE, STAGE_COUNT, renderPipeline, renderStage, stageId } from '../fixed.js';
import type { Table } from '../table.js';
import { fixedTable } from './shared.js';

export class PipelineTables {
  readonly dealGroups: Table<null> = fixedTable('dealGroups', PIPELINES.length, 1, renderPipeline);
  readonly dealStages: Table<null> = fixedTable('dealStages', STAGE_COUNT, 1, renderStage, (parent, pipeline) =>
    (parent === 'pipeline' && pipeline >= 1 && pipeline <= PIPELINES.length
      ? Array.from({ length: STAGES_PER_PIPELINE }, (_, i) => stageId(pipeline, i))
      : []));
}
