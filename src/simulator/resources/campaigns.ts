/**
 * Campaigns, messages and the campaign-message relations (fixed).
 */
import {
  CAMPAIGN_COUNT, CAMPAIGN_MESSAGES, CAMPAIGN_MESSAGE_ID_BASE, MESSAGE_COUNT, renderCampaign, renderCampaignMessage, renderMessage,
} from '../fixed.js';
import type { Table } from '../table.js';
import { fixedTable } from './shared.js';

export class CampaignTables {
  readonly campaigns: Table<null> = fixedTable('campaigns', CAMPAIGN_COUNT, 1, renderCampaign);
  readonly messages: Table<null> = fixedTable('messages', MESSAGE_COUNT, 1, renderMessage);
  readonly campaignMessages: Table<null> = fixedTable('campaignMessages', CAMPAIGN_MESSAGES.length, CAMPAIGN_MESSAGE_ID_BASE + 1, renderCampaignMessage, (parent, campaign) =>
    (parent === 'campaign' ? CAMPAIGN_MESSAGES.flatMap((relation, i) => (relation.campaign === campaign ? [CAMPAIGN_MESSAGE_ID_BASE + i + 1] : [])) : []));
}
