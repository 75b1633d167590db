/**
 * The simulator's responses against docs/activecampaign-api.md section 9: envelopes, every key of every record,
 * value styles (string ids, JSON numbers and booleans where the API sends them, the three timestamp styles),
 * `meta` forms, `links` forms, and the hard values a replicator must survive.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { TABLES } from '../src/catalog/index.js';
import { DEMO_KEY, startSimulator, type Simulator } from '../src/simulator/index.js';

type Rec = Record<string, unknown>;

/** Keys of one record per resource, in the order of section 9. */
const KEYS: Record<string, string[]> = {
  user: ['username', 'firstName', 'lastName', 'email', 'phone', 'signature', 'lang', 'localZoneid', 'password_updated_utc_timestamp', 'cdate', 'udate', 'mfaEnabled', 'links', 'id'],
  accounts: ['name', 'accountUrl', 'owner', 'createdTimestamp', 'updatedTimestamp', 'contactCount', 'dealCount', 'links', 'id'],
  accountContacts: ['account', 'contact', 'jobTitle', 'createdTimestamp', 'updatedTimestamp', 'links', 'id'],
  accountCustomFieldData: ['id', 'accountCustomFieldMetumId', 'accountId', 'customFieldId', 'createdTimestamp', 'updatedTimestamp', 'fieldValue', 'fieldCurrency', 'links'],
  accountCustomFieldMeta: ['id', 'fieldLabel', 'fieldType', 'fieldOptions', 'fieldDefault', 'fieldDefaultCurrency', 'isFormVisible', 'isRequired', 'displayOrder', 'personalization', 'knownFieldId', 'hideFieldFlag', 'createdBy', 'updatedBy', 'createdTimestamp', 'updatedTimestamp', 'links'],
  notes: ['relid', 'reltype', 'userid', 'is_draft', 'cdate', 'mdate', 'note', 'links', 'id', 'user', 'owner'],
  campaigns: ['type', 'userid', 'segmentid', 'bounceid', 'realcid', 'sendid', 'threadid', 'seriesid', 'formid', 'basetemplateid', 'basemessageid', 'addressid', 'source', 'name', 'cdate', 'mdate', 'sdate', 'ldate', 'send_amt', 'total_amt', 'opens', 'uniqueopens', 'linkclicks', 'uniquelinkclicks', 'subscriberclicks', 'forwards', 'uniqueforwards', 'hardbounces', 'softbounces', 'unsubscribes', 'unsubreasons', 'updates', 'socialshares', 'replies', 'uniquereplies', 'status', 'public', 'mail_transfer', 'mail_send', 'mail_cleanup', 'mailer_log_file', 'tracklinks', 'tracklinksanalytics', 'trackreads', 'trackreadsanalytics', 'analytics_campaign_name', 'tweet', 'facebook', 'survey', 'embed_images', 'htmlunsub', 'textunsub', 'htmlunsubdata', 'textunsubdata', 'recurring', 'willrecur', 'split_type', 'split_content', 'split_offset', 'split_offset_type', 'split_winner_messageid', 'split_winner_awaiting', 'responder_offset', 'responder_type', 'responder_existing', 'reminder_field', 'reminder_format', 'reminder_type', 'reminder_offset', 'reminder_offset_type', 'reminder_offset_sign', 'reminder_last_cron_run', 'activerss_interval', 'activerss_url', 'activerss_items', 'ip4', 'laststep', 'managetext', 'schedule', 'scheduleddate', 'waitpreview', 'deletestamp', 'replysys', 'created_timestamp', 'updated_timestamp', 'created_by', 'updated_by', 'ip', 'series_send_lock_time', 'can_skip_approval', 'use_quartz_scheduler', 'verified_opens', 'verified_unique_opens', 'segmentname', 'has_predictive_content', 'message_id', 'screenshot', 'campaign_message_id', 'ed_version', 'links', 'id', 'user', 'automation'],
  campaignMessages: ['campaignid', 'messageid', 'percentage', 'sourcesize', 'send_amt', 'total_amt', 'opens', 'uniqueopens', 'linkclicks', 'uniquelinkclicks', 'subscriberclicks', 'forwards', 'uniqueforwards', 'hardbounces', 'softbounces', 'unsubscribes', 'unsubreasons', 'updates', 'socialshares', 'replies', 'uniquereplies', 'spamcheck_score', 'spamcheck_max', 'initial_split_percentage', 'screenshot', 'subject', 'links', 'id', 'campaign', 'message'],
  messages: ['userid', 'ed_instanceid', 'ed_version', 'cdate', 'mdate', 'name', 'fromname', 'fromemail', 'reply2', 'priority', 'charset', 'encoding', 'format', 'subject', 'preheader_text', 'text', 'html', 'htmlfetch', 'textfetch', 'hidden', 'preview_mime', 'preview_data', 'has_predictive_content', 'links', 'id', 'user'],
  contacts: ['cdate', 'email', 'phone', 'firstName', 'lastName', 'orgid', 'orgname', 'segmentio_id', 'bounced_hard', 'bounced_soft', 'bounced_date', 'ip', 'ua', 'hash', 'socialdata_lastcheck', 'email_local', 'email_domain', 'sentcnt', 'rating_tstamp', 'gravatar', 'deleted', 'anonymized', 'adate', 'udate', 'edate', 'deleted_at', 'created_utc_timestamp', 'updated_utc_timestamp', 'created_timestamp', 'updated_timestamp', 'created_by', 'updated_by', 'email_empty', 'mpp_tracking', 'scoreValues', 'accountContacts', 'links', 'id', 'organization'],
  contactLists: ['contact', 'list', 'form', 'seriesid', 'sdate', 'udate', 'status', 'responder', 'sync', 'unsubreason', 'campaign', 'message', 'first_name', 'last_name', 'ip4Sub', 'sourceid', 'autosyncLog', 'ip4_last', 'ip4Unsub', 'created_timestamp', 'updated_timestamp', 'created_by', 'updated_by', 'unsubscribeAutomation', 'links', 'id', 'automation'],
  contactTags: ['contact', 'tag', 'cdate', 'created_timestamp', 'updated_timestamp', 'created_by', 'updated_by', 'links', 'id'],
  tags: ['tagType', 'tag', 'description', 'cdate', 'subscriber_count', 'created_timestamp', 'updated_timestamp', 'created_by', 'updated_by', 'links', 'id'],
  fieldValues: ['contact', 'field', 'value', 'cdate', 'udate', 'created_by', 'updated_by', 'links', 'id', 'owner'],
  fieldOptions: ['field', 'orderid', 'value', 'label', 'isdefault', 'cdate', 'udate', 'links', 'id'],
  fieldRels: ['field', 'relid', 'dorder', 'cdate', 'links', 'id'],
  fields: ['title', 'descript', 'type', 'isrequired', 'perstag', 'defval', 'show_in_list', 'rows', 'cols', 'visible', 'service', 'ordernum', 'cdate', 'udate', 'created_timestamp', 'updated_timestamp', 'created_by', 'updated_by', 'options', 'relations', 'links', 'id'],
  dealTasks: ['id', 'duedate', 'edate', 'duration', 'status', 'title', 'note', 'relid', 'reltype', 'dealTasktype', 'cdate', 'udate', 'donedate', 'automation', 'doneAutomation', 'user', 'assignee', 'owner', 'outcomeId', 'outcomeInfo', 'adate', 'created_timestamp', 'created_utc_timestamp', 'done_by', 'updated_utc_timestamp', 'links'],
  deals: ['hash', 'owner', 'contact', 'organization', 'group', 'stage', 'title', 'description', 'percent', 'cdate', 'mdate', 'nextdate', 'nexttaskid', 'value', 'currency', 'winProbability', 'winProbabilityMdate', 'status', 'activitycount', 'nextdealid', 'edate', 'links', 'id', 'isDisabled', 'account', 'customerAccount', 'nextTask'],
  'deals.dealCustomFieldData': ['deal_id', 'custom_field_id', 'custom_field_text_value', 'custom_field_text_blob', 'custom_field_date_value', 'custom_field_number_value', 'custom_field_currency_value', 'custom_field_currency_type', 'created_timestamp', 'updated_timestamp', 'created_by', 'updated_by', 'links', 'id', 'dealCustomFieldMetum'],
  dealActivities: ['d_id', 'd_stageid', 'userid', 'dataId', 'dataType', 'dataAction', 'dataOldval', 'cdate', 'sortdate', 'isAddtask', 'deleted', 'seriesid', 'links', 'id', 'deal', 'stage', 'user', 'automation'],
  dealCustomFieldData: ['id', 'dealCustomFieldMetumId', 'dealId', 'customFieldId', 'createdTimestamp', 'updatedTimestamp', 'fieldValue', 'fieldCurrency', 'links'],
  dealCustomFieldMeta: ['id', 'fieldLabel', 'fieldType', 'fieldOptions', 'fieldDefault', 'fieldDefaultCurrency', 'isFormVisible', 'isRequired', 'displayOrder', 'personalization', 'knownFieldId', 'hideFieldFlag', 'createdBy', 'updatedBy', 'createdTimestamp', 'updatedTimestamp', 'links'],
  contactDeals: ['deal', 'contact', 'role', 'cdate', 'created_timestamp', 'updated_timestamp', 'created_by', 'updated_by', 'links', 'id'],
  lists: ['stringid', 'userid', 'name', 'cdate', 'p_use_tracking', 'p_use_analytics_read', 'p_use_analytics_link', 'p_use_twitter', 'p_use_facebook', 'p_embed_image', 'p_use_captcha', 'send_last_broadcast', 'private', 'analytics_domains', 'analytics_source', 'analytics_ua', 'twitter_token', 'twitter_token_secret', 'facebook_session', 'carboncopy', 'subscription_notify', 'unsubscription_notify', 'require_name', 'get_unsubscribe_reason', 'to_name', 'optinoptout', 'sender_name', 'sender_addr1', 'sender_addr2', 'sender_city', 'sender_state', 'sender_zip', 'sender_country', 'sender_phone', 'sender_url', 'sender_reminder', 'fulladdress', 'optinmessageid', 'optoutconf', 'deletestamp', 'udate', 'created_timestamp', 'updated_timestamp', 'created_by', 'updated_by', 'links', 'id', 'user'],
  dealGroups: ['allgroups', 'allusers', 'autoassign', 'cdate', 'currency', 'id', 'links', 'stages', 'title', 'udate', 'win_probability_initialize_date'],
  dealStages: ['cardRegion1', 'cardRegion2', 'cardRegion3', 'cardRegion4', 'cardRegion5', 'cdate', 'color', 'dealOrder', 'group', 'id', 'links', 'order', 'title', 'udate', 'width'],
  scores: ['reltype', 'name', 'descript', 'status', 'cdate', 'mdate', 'links', 'id'],
  taskOutcomes: ['title', 'sentiment', 'disabled', 'created_by', 'updated_by', 'created_utc_timestamp', 'updated_utc_timestamp', 'dealTasktype_ids', 'links', 'id'],
  dealTasktypes: ['cdate', 'created_by', 'created_utc_timestamp', 'defduration', 'display_order', 'id', 'links', 'outcomes', 'status', 'title', 'udate', 'updated_by', 'updated_utc_timestamp'],
  tasktypeOutcomeRels: ['tasktype_id', 'outcome_id', 'display_order', 'created_by', 'created_utc_timestamp', 'updated_by', 'updated_utc_timestamp', 'links', 'id', 'tasktype', 'outcome', 'createdBy'],
  groups: ['title', 'descript', 'unsubscribelink', 'optinconfirm', 'p_admin', 'pgListAdd', 'pgListEdit', 'pgListDelete', 'pgListHeaders', 'pgListEmailaccount', 'pgListBounce', 'pgMessageAdd', 'pgMessageEdit', 'pgMessageDelete', 'pgMessageSend', 'pgContactAdd', 'pgContactEdit', 'pgContactDelete', 'pgContactMerge', 'pgContactImport', 'pgContactApprove', 'pgContactExport', 'pgContactSync', 'pgContactFilters', 'pgContactActions', 'pgContactFields', 'pg_user_add', 'pg_user_edit', 'pg_user_delete', 'pgGroupAdd', 'pgGroupEdit', 'pgGroupDelete', 'pgTemplateAdd', 'pgTemplateEdit', 'pgTemplateDelete', 'pgPersonalizationAdd', 'pgPersonalizationEdit', 'pgPersonalizationDelete', 'pgAutomationManage', 'pgFormEdit', 'pgReportsCampaign', 'pgReportsList', 'pgReportsUser', 'pgReportsTrend', 'pgReportsDeal', 'pgStartupReports', 'pgStartupGettingstarted', 'pgAccountAdd', 'pgAccountEdit', 'pgAccountDelete', 'pgAccountManageCustomField', 'pgDeal', 'pgDealDelete', 'pgDealReassign', 'pgDealFields', 'pgDealGroupAdd', 'pgDealGroupEdit', 'pgDealGroupDelete', 'pgSavedResponsesManage', 'sdate', 'reqApproval', 'reqApproval1st', 'reqApprovalNotify', 'socialdata', 'pgMfaAdmin', 'pgDealExport', 'pgDealManageRoles', 'pgAccountNoteAdd', 'pgAccountNoteEdit', 'pgAccountNoteDelete', 'pgDealNoteAdd', 'pgDealNoteEdit', 'pgDealNoteDelete', 'pgDealListAll', 'pgTagManage', 'pgContactResubscribe', 'pgDealImport', 'pgAccountImport', 'pgAccountExport', 'pgLandingPagesAccess', 'pgWebPersonalizationManage', 'links', 'id'],
  users: ['username', 'firstName', 'lastName', 'email', 'phone', 'signature', 'lang', 'localZoneid', 'password_updated_utc_timestamp', 'cdate', 'udate', 'mfaEnabled', 'links', 'id'],
  userGroups: ['userid', 'groupid', 'cdate', 'udate', 'links', 'id', 'group', 'user'],
};

/** Keys a record may lack: currency only on currency fields, the five inferred task keys on some rows. */
const OPTIONAL: Record<string, string[]> = {
  accountCustomFieldData: ['fieldCurrency'],
  dealCustomFieldData: ['fieldCurrency'],
  dealTasks: ['adate', 'created_timestamp', 'created_utc_timestamp', 'done_by', 'updated_utc_timestamp'],
};

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-03:00$/;
const NAIVE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ID = /^\d+$/;

let sim: Simulator;

async function get(path: string): Promise<{ status: number; body: Rec }> {
  const response = await fetch(`${sim.url}/api/3${path}`, { headers: { 'Api-Token': DEMO_KEY } });
  return { status: response.status, body: (await response.json()) as Rec };
}

function rows(body: Rec, key: string): Rec[] {
  const value = body[key];
  assert.ok(Array.isArray(value), `${key} is an array`);
  return value as Rec[];
}

function all(resource: string): Rec[] {
  return [...sim.account.records(resource)];
}

function assertKeys(resource: string, record: Rec): void {
  const expected = KEYS[resource] as string[];
  const optional = new Set(OPTIONAL[resource] ?? []);
  assert.deepEqual(Object.keys(record), expected.filter((k) => k in record), `${resource}: key order`);
  for (const key of expected) if (!optional.has(key)) assert.ok(key in record, `${resource} lacks ${key}`);
}

before(async () => {
  sim = await startSimulator({ contacts: 2000, rateLimit: 0, seed: 7 });
});

after(async () => {
  await sim.close();
});

describe('envelopes, keys and meta forms', () => {
  const stringTotal = [
    'accounts', 'accountContacts', 'notes', 'campaigns', 'campaignMessages', 'messages', 'fieldValues', 'fields', 'contactLists',
    'tags', 'contactTags', 'dealTasks', 'dealActivities', 'contactDeals', 'lists', 'dealGroups', 'dealStages', 'scores',
    'taskOutcomes', 'dealTasktypes', 'tasktypeOutcomeRels', 'groups', 'users',
  ];
  for (const envelope of stringTotal) {
    test(`/${envelope}: every record has the section 9 keys; meta.total is a string`, async () => {
      const { status, body } = await get(`/${envelope}?limit=100`);
      assert.equal(status, 200);
      const page = rows(body, envelope);
      assert.ok(page.length > 0);
      for (const record of page) assertKeys(envelope, record);
      assert.equal(typeof (body.meta as Rec).total, 'string');
      assert.equal(Number((body.meta as Rec).total), sim.account.count(envelope));
    });
  }

  for (const envelope of ['accountCustomFieldData', 'accountCustomFieldMeta', 'dealCustomFieldData', 'dealCustomFieldMeta']) {
    test(`/${envelope}: no meta; camelCase keys with JSON numbers`, async () => {
      const { body } = await get(`/${envelope}?limit=100`);
      assert.equal('meta' in body, false);
      const page = rows(body, envelope);
      for (const record of page) {
        assertKeys(envelope, record);
        assert.match(record.id as string, ID);
        assert.match(record.createdTimestamp as string, NAIVE);
      }
      if (envelope.endsWith('Data')) {
        const idKey = envelope.startsWith('account') ? 'accountId' : 'dealId';
        for (const record of page) {
          assert.equal(typeof record[idKey], 'number');
          assert.equal(typeof record.customFieldId, 'number');
          assert.ok(typeof record.fieldValue === 'string' || typeof record.fieldValue === 'number');
        }
        const currency = page.filter((r) => 'fieldCurrency' in r);
        assert.ok(currency.length > 0 && currency.every((r) => typeof r.fieldValue === 'number' && /^[A-Z]{3}$/.test(r.fieldCurrency as string)));
      } else {
        for (const record of page) for (const key of ['isFormVisible', 'isRequired', 'displayOrder', 'hideFieldFlag', 'createdBy']) assert.equal(typeof record[key], 'number');
        assert.ok(page.some((r) => Array.isArray(r.fieldOptions)) && page.some((r) => r.fieldOptions === null));
      }
    });
  }

  test('/users/me: one user object under `user`', async () => {
    const { status, body } = await get('/users/me');
    assert.equal(status, 200);
    assertKeys('user', body.user as Rec);
    assert.equal((body.user as Rec).id, '1');
  });

  test('/contacts: scoreValues, meta.total string and meta.page_input echoing the query', async () => {
    const { body } = await get('/contacts?limit=7&offset=3&listid=2');
    assert.deepEqual(Object.keys(body), ['scoreValues', 'contacts', 'meta']);
    const meta = body.meta as Rec;
    // listid filters: the total counts the contacts with a membership in list 2.
    const members = new Set(all('contactLists').filter((m) => m.list === '2').map((m) => m.contact));
    assert.equal(meta.total, String(members.size));
    assert.ok(rows(body, 'contacts').every((c) => members.has(c.id)));
    const input = meta.page_input as Rec;
    assert.equal(input.limit, 7);
    assert.equal(input.offset, 3);
    assert.equal(input.listid, 2);
    assert.equal(input.status, -1);
    assert.match(input.cacheid as string, /^[0-9a-f]{32}$/);
    for (const record of rows(body, 'contacts')) {
      assertKeys('contacts', record);
      assert.equal(typeof record.email_empty, 'boolean');
      for (const key of ['bounced_date', 'rating_tstamp']) assert.ok(record[key] === '0000-00-00' || DATE.test(record[key] as string), key);
      assert.deepEqual(record.scoreValues, []);
      assert.ok(Array.isArray(record.accountContacts));
    }
  });

  test('/deals: meta.total is a number next to meta.currencies; restricted deals are truncated', async () => {
    const { body } = await get('/deals?orders[cdate]=ASC&limit=100');
    const meta = body.meta as Rec;
    assert.deepEqual(Object.keys(meta), ['currencies', 'total']);
    assert.equal(meta.total, sim.account.count('deals'));
    const currencies = meta.currencies as Record<string, Rec>;
    for (const [code, entry] of Object.entries(currencies)) {
      assert.match(code, /^[A-Z]{3}$/);
      assert.deepEqual(Object.keys(entry), ['currency', 'total', 'value']);
      assert.equal(entry.currency, code);
      assert.match(entry.total as string, ID);
      assert.match(entry.value as string, ID);
    }
    const deals = all('deals');
    const full = deals.filter((d) => d.isDisabled === false);
    const truncated = deals.filter((d) => d.isDisabled === 1);
    assert.ok(full.length > 0 && truncated.length > 0);
    for (const d of full) assertKeys('deals', d);
    for (const d of truncated) assert.deepEqual(Object.keys(d), ['id', 'isDisabled', 'title']);
    const visible = full.length;
    assert.equal(Object.values(currencies).reduce((n, e) => n + Number(e.total), 0), visible);
    assert.equal(Object.values(currencies).reduce((n, e) => n + Number(e.value), 0), full.reduce((n, d) => n + Number(d.value), 0));
    // Every truncated deal belongs to the one pipeline the key may not manage (allgroups = "0").
    const restricted = all('dealGroups').filter((g) => g.allgroups === '0').map((g) => g.id);
    assert.equal(restricted.length, 1);
  });

  test('/dealTasks: status and outcomeId are JSON numbers; the inferred keys are present on some rows only', () => {
    const tasks = all('dealTasks');
    for (const t of tasks) {
      assertKeys('dealTasks', t);
      assert.equal(typeof t.status, 'number');
      assert.ok(t.outcomeId === null || typeof t.outcomeId === 'number');
      assert.ok(t.title === null || typeof t.title === 'string');
      assert.equal(t.donedate === null, t.status === 0);
    }
    const withKeys = tasks.filter((t) => 'adate' in t).length;
    assert.ok(withKeys > 0 && withKeys < tasks.length, `${withKeys} of ${tasks.length}`);
    assert.deepEqual(new Set(tasks.map((t) => t.reltype)), new Set(['Subscriber', 'Deal']));
  });

  test('/notes mixes the four reltypes, with owner objects', () => {
    const notes = all('notes');
    assert.deepEqual(new Set(notes.map((n) => n.reltype)), new Set(['Subscriber', 'CustomerAccount', 'Deal', 'Activity']));
    const ownerType: Record<string, string> = { Subscriber: 'contact', CustomerAccount: 'account', Deal: 'deal', Activity: 'activity' };
    for (const n of notes) assert.deepEqual(n.owner, { type: ownerType[n.reltype as string], id: n.relid });
  });

  test('/dealGroups sideloads the stages of its page; /fields sideloads options and relations', async () => {
    const groups = await get('/dealGroups?limit=2');
    assert.deepEqual(Object.keys(groups.body), ['dealGroups', 'dealStages', 'meta']);
    const stageIds = rows(groups.body, 'dealGroups').flatMap((g) => g.stages as string[]);
    assert.deepEqual(rows(groups.body, 'dealStages').map((s) => s.id), stageIds);
    for (const s of rows(groups.body, 'dealStages')) assertKeys('dealStages', s);

    const fields = await get('/fields?limit=4');
    assert.deepEqual(Object.keys(fields.body), ['fieldOptions', 'fieldRels', 'fields', 'meta']);
    const page = rows(fields.body, 'fields');
    assert.deepEqual(rows(fields.body, 'fieldOptions').map((o) => o.id), page.flatMap((f) => f.options as string[]));
    assert.deepEqual(rows(fields.body, 'fieldRels').map((r) => r.id), page.flatMap((f) => f.relations as string[]));
    for (const o of rows(fields.body, 'fieldOptions')) assertKeys('fieldOptions', o);
    for (const r of rows(fields.body, 'fieldRels')) assertKeys('fieldRels', r);
  });

  test('the default page of /fields and the custom-field meta lists is 100 rows', async () => {
    assert.equal(rows((await get('/fields')).body, 'fields').length, sim.account.count('fields'));
    assert.equal(rows((await get('/accountCustomFieldMeta')).body, 'accountCustomFieldMeta').length, sim.account.count('accountCustomFieldMeta'));
  });

  test('per-parent lists and single objects have their own envelopes and no meta', async () => {
    const contact = all('notes').find((n) => n.reltype === 'Subscriber')?.relid as string;
    for (const [path, envelope] of [
      [`/contacts/${contact}/notes`, 'notes'],
      [`/contacts/${contact}/contactTags`, 'contactTags'],
      [`/contacts/${contact}/contactLists`, 'contactLists'],
      ['/groups/1/userGroups', 'userGroups'],
    ] as const) {
      const { status, body } = await get(path);
      assert.equal(status, 200, path);
      assert.deepEqual(Object.keys(body), [envelope], path);
      for (const record of rows(body, envelope)) assertKeys(envelope, record);
    }
    const notes = rows((await get(`/contacts/${contact}/notes`)).body, 'notes');
    assert.ok(notes.length > 0 && notes.every((n) => n.relid === contact && n.reltype === 'Subscriber'));
    const userGroup = await get('/users/2/userGroup');
    assertKeys('userGroups', userGroup.body.userGroup as Rec);
    assert.equal((userGroup.body.userGroup as Rec).userid, '2');
    const message = await get('/messages/3');
    assertKeys('messages', message.body.message as Rec);
    const missing = await get('/contacts/99999999/notes');
    assert.equal(missing.status, 404);
    assert.match(missing.body.message as string, /^No Result found for Subscriber with id 99999999$/);
  });

  test('an unknown path answers 404 with a message', async () => {
    const { status, body } = await get('/nonsense');
    assert.equal(status, 404);
    assert.match(body.message as string, /^No Result found/);
  });
});

describe('value styles', () => {
  test('ids are strings of digits on every resource; foreign keys too', () => {
    const foreignKeys = ['contact', 'deal', 'relid', 'userid', 'field', 'list', 'd_id', 'deal_id'];
    for (const resource of Object.keys(KEYS)) {
      if (resource === 'user') continue;
      for (const record of sim.account.records(resource)) {
        assert.match(record.id as string, ID, resource);
        // On tags, `tag` is the name; everywhere else it is a tag id.
        for (const key of resource === 'tags' ? foreignKeys : [...foreignKeys, 'tag']) {
          if (key in record) assert.ok(typeof record[key] === 'string' && ID.test(record[key] as string), `${resource}.${key}`);
        }
      }
    }
  });

  test('the three timestamp styles: ISO with -03:00, naive local, naive UTC = local + 3 h', () => {
    for (const c of all('contacts')) {
      assert.match(c.cdate as string, ISO);
      assert.match(c.udate as string, ISO);
      assert.match(c.created_timestamp as string, NAIVE);
      assert.match(c.created_utc_timestamp as string, NAIVE);
      const local = Date.parse(`${(c.created_timestamp as string).replace(' ', 'T')}Z`);
      const utc = Date.parse(`${(c.created_utc_timestamp as string).replace(' ', 'T')}Z`);
      assert.equal(utc - local, 3 * 3600 * 1000);
      assert.equal(Date.parse(c.cdate as string), utc);
      const updated = c.updated_utc_timestamp as string;
      assert.ok(NAIVE.test(updated) || ISO.test(updated));
      assert.equal(ISO.test(updated) ? Date.parse(updated) : Date.parse(`${updated.replace(' ', 'T')}Z`), Date.parse(c.udate as string));
    }
    // Some *_utc_timestamp values arrive in ISO form, and one object may mix both forms.
    assert.ok(all('contacts').some((c) => ISO.test(c.updated_utc_timestamp as string)));
    const rel = all('tasktypeOutcomeRels')[0] as Rec;
    assert.match(rel.created_utc_timestamp as string, ISO);
    assert.match(rel.updated_utc_timestamp as string, NAIVE);
    for (const o of all('taskOutcomes')) assert.match(o.created_utc_timestamp as string, ISO);
    for (const a of all('accounts')) assert.match(a.createdTimestamp as string, ISO);
    for (const d of all('deals.dealCustomFieldData')) assert.match(d.created_timestamp as string, NAIVE);
  });

  test('base timestamps lie in 2022-01-01 .. 2025-06-30 (account time)', () => {
    const start = Date.parse('2022-01-01T00:00:00-03:00');
    const end = Date.parse('2025-06-30T23:59:59-03:00');
    const timeKeys = /^(cdate|udate|mdate|sdate|ldate|adate|edate|duedate|donedate|nextdate|sortdate|winProbabilityMdate|created_timestamp|updated_timestamp|createdTimestamp|updatedTimestamp|.*_utc_timestamp)$/;
    let checked = 0;
    for (const resource of Object.keys(KEYS)) {
      if (resource === 'user') continue;
      for (const record of sim.account.records(resource)) {
        for (const [key, value] of Object.entries(record)) {
          if (!timeKeys.test(key) || typeof value !== 'string' || value.startsWith('0000')) continue;
          const ms = ISO.test(value) ? Date.parse(value) : NAIVE.test(value)
            ? Date.parse(`${value.replace(' ', 'T')}Z`) + (key.includes('utc') ? 0 : 3 * 3600 * 1000)
            : NaN;
          assert.ok(ms >= start && ms <= end, `${resource}.${key} = ${value}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 10_000);
  });

  test('hard values appear on a share of rows', () => {
    const texts: string[] = [];
    for (const resource of ['contacts', 'notes', 'deals', 'fieldValues', 'accounts', 'dealTasks', 'tags', 'lists', 'users', 'groups']) {
      for (const record of sim.account.records(resource)) for (const v of Object.values(record)) if (typeof v === 'string') texts.push(v);
    }
    const some = (re: RegExp): boolean => texts.some((t) => re.test(t));
    assert.ok(some(/São Paulo/) && some(/Zürich/) && some(/東京/), 'non-ASCII place names');
    assert.ok(some(/\p{Extended_Pictographic}/u), 'emoji');
    assert.ok(some(/"/) && some(/'/) && some(/\\/) && some(/\t/) && some(/\n/), 'quotes, backslash, tab, newline');
    assert.ok(texts.includes(''), 'empty strings');
    const notes = all('notes').map((n) => n.note as string);
    assert.ok(notes.some((n) => n.length >= 10_000 && n.length <= 60_000), 'a very long note');
    const contacts = all('contacts');
    assert.ok(contacts.some((c) => c.bounced_date === '0000-00-00') && contacts.every((c) => c.deleted_at === '0000-00-00 00:00:00'));
    assert.ok(contacts.some((c) => /^\d{6,10}$/.test(c.ip as string)) && contacts.some((c) => c.ip === '0'), 'integer IPs');
    assert.ok(contacts.some((c) => c.adate === null), 'nulls');
    assert.ok(all('taskOutcomes').some((o) => o.disabled === ''), 'empty disabled');
    assert.ok(all('campaigns').every((c) => c.bounceid === '-1'));
    assert.ok(all('campaigns').some((c) => c.automation === null && c.seriesid === '0'));
    assert.ok(all('deals.dealCustomFieldData').some((d) => /^\d+\.\d{2}$/.test(String(d.custom_field_currency_value))));
    assert.ok(all('fieldValues').some((v) => /^\|\|.+\|\|$/.test(v.value as string)), '||-joined multiselect values');
    assert.ok(all('deals').some((d) => d.edate === '0000-00-00 00:00:00') && all('deals').some((d) => NAIVE.test(String(d.edate))));
  });

  test('links: absolute URLs built from the Host header; relative on pipelines and stages; [] on scores, task types, field relations', async () => {
    const body = await new Promise<Rec>((resolve, reject) => {
      const req = request(`${sim.url}/api/3/contacts?limit=1`, { headers: { 'Api-Token': DEMO_KEY, Host: 'acme.api-us1.com' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Rec));
      });
      req.on('error', reject);
      req.end();
    });
    const contact = rows(body, 'contacts')[0] as Rec;
    assert.equal((contact.links as Rec).notes, `http://acme.api-us1.com/api/3/contacts/${contact.id as string}/notes`);
    const group = all('dealGroups')[0] as Rec;
    assert.equal((group.links as Rec).stages, `/api/3/dealGroups/${group.id as string}/stages`);
    assert.equal(((all('dealStages')[0] as Rec).links as Rec).group, '/api/3/dealStages/1/group');
    for (const resource of ['scores', 'dealTasktypes', 'fieldRels']) for (const r of sim.account.records(resource)) assert.deepEqual(r.links, []);
    for (const r of sim.account.records('deals.dealCustomFieldData')) assert.match((r.links as Rec).deal as string, /^http:\/\/127\.0\.0\.1:\d+\/api\/3\/dealCustomFieldData\/\d+\/deal$/);
  });

  test('/deals without an order changes order between requests; with orders[cdate] it is stable and follows cdate', async () => {
    const orders = new Set<string>();
    for (let i = 0; i < 6; i++) orders.add(rows((await get('/deals?limit=20')).body, 'deals').map((d) => d.id).join(','));
    assert.ok(orders.size > 1, 'unordered pages differ');
    const first = rows((await get('/deals?orders[cdate]=ASC&limit=100')).body, 'deals');
    const second = rows((await get('/deals?orders[cdate]=ASC&limit=100')).body, 'deals');
    assert.deepEqual(first.map((d) => d.id), second.map((d) => d.id));
    const cdates = all('deals').filter((d) => d.isDisabled === false).map((d) => Date.parse(d.cdate as string));
    assert.deepEqual(cdates, [...cdates].sort((a, b) => a - b));
    const desc = rows((await get('/deals?orders[cdate]=DESC&limit=5')).body, 'deals').map((d) => d.id);
    assert.deepEqual(desc, all('deals').map((d) => d.id).reverse().slice(0, 5));
  });
});

describe('the catalog can be fed from these responses', () => {
  test('every column source key of every table occurs in the rows the table reads', () => {
    for (const table of TABLES) {
      const resource = table.source.rows === 'dealCustomFieldData' ? 'deals.dealCustomFieldData' : (table.source.rows ?? table.source.endpoint.envelope);
      const records = all(resource).filter((r) => r.isDisabled !== 1);
      const joined = table.source.join ? all(table.source.join.endpoint.envelope) : [];
      for (const column of table.columns) {
        const pool = column.joined ? joined : records;
        assert.ok(pool.some((r) => column.source in r), `${table.name}.${column.name} (${column.source}) in ${resource}`);
      }
    }
  });
});
