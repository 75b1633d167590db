import type { Endpoint } from './types.js';

/**
 * The list endpoints the 33 tables are read from (docs/activecampaign-api.md section 9). Tables that share an
 * endpoint share one request stream per run.
 */
const list = (
  path: string,
  envelope: string,
  permission: Endpoint['permission'],
  extra: Partial<Pick<Endpoint, 'total' | 'params' | 'paging' | 'tiesOn'>> = {},
): Endpoint => ({ path, envelope, paging: 'offset', total: 'string', permission, ...extra });

export const endpoints = {
  accounts: list('/accounts', 'accounts', 'Accounts', { params: { count_deals: 'true' } }),
  accountContacts: list('/accountContacts', 'accountContacts', 'Accounts'),
  accountCustomFieldData: list('/accountCustomFieldData', 'accountCustomFieldData', 'Accounts', { total: 'absent' }),
  accountCustomFieldMeta: list('/accountCustomFieldMeta', 'accountCustomFieldMeta', 'Accounts', { total: 'absent' }),
  notes: list('/notes', 'notes', 'Contacts'),
  campaigns: list('/campaigns', 'campaigns', 'Campaigns'),
  campaignMessages: list('/campaignMessages', 'campaignMessages', 'Campaigns'),
  messages: list('/messages', 'messages', 'Campaigns'),
  contacts: list('/contacts', 'contacts', 'Contacts', { paging: 'keyset', params: { 'orders[id]': 'ASC' } }),
  fieldValues: list('/fieldValues', 'fieldValues', 'Contacts'),
  fields: list('/fields', 'fields', 'Contacts'),
  contactLists: list('/contactLists', 'contactLists', 'Lists'),
  tags: list('/tags', 'tags', 'Contacts'),
  contactTags: list('/contactTags', 'contactTags', 'Contacts'),
  dealTasks: list('/dealTasks', 'dealTasks', 'Deals'),
  // Without an explicit order, offset pages of /deals overlap and skip rows.
  deals: list('/deals', 'deals', 'Deals', { total: 'number', params: { 'orders[cdate]': 'ASC' }, tiesOn: 'cdate' }),
  dealActivities: list('/dealActivities', 'dealActivities', 'Deals'),
  // One deal's activities (API reference, List all deal activities: "a specific deal's activity can also be viewed
  // using /api/3/deals/[dealID]/dealActivities"); per-parent lists carry no meta (section 2).
  dealActivitiesOfDeal: list('/deals/{id}/dealActivities', 'dealActivities', 'Deals', { total: 'absent' }),
  dealCustomFieldMeta: list('/dealCustomFieldMeta', 'dealCustomFieldMeta', 'Deals', { total: 'absent' }),
  // The documented list of deal custom-field values, in its own camelCase shape (section 9.21).
  dealCustomFieldData: list('/dealCustomFieldData', 'dealCustomFieldData', 'Deals', { total: 'absent' }),
  contactDeals: list('/contactDeals', 'contactDeals', 'Deals'),
  lists: list('/lists', 'lists', 'Lists'),
  dealGroups: list('/dealGroups', 'dealGroups', 'Deals'),
  dealStages: list('/dealStages', 'dealStages', 'Deals'),
  scores: list('/scores', 'scores', 'Contacts'),
  taskOutcomes: list('/taskOutcomes', 'taskOutcomes', 'Deals'),
  dealTasktypes: list('/dealTasktypes', 'dealTasktypes', 'Deals'),
  tasktypeOutcomeRels: list('/tasktypeOutcomeRels', 'tasktypeOutcomeRels', 'Deals'),
  groups: list('/groups', 'groups', 'Users and groups'),
  users: list('/users', 'users', 'Users and groups'),
  userGroups: list('/groups/{id}/userGroups', 'userGroups', 'Users and groups', { total: 'absent' }),
} as const satisfies Record<string, Endpoint>;

export type EndpointName = keyof typeof endpoints;
