/**
 * The account's small fixed sets (users, groups, pipelines and stages, tags, lists, custom-field
 * definitions, campaigns and messages, scores, task types and outcomes). They do not scale with the contact
 * count and are never mutated; every record is still rendered on demand because `links` follow the Host.
 */
import { Rng, hash } from './random.js';
import type { Rec, RenderContext } from './table.js';
import { BASE_START, DAY, ZERO_DATETIME, isoTime, localTime, utcTime } from './time.js';

const t0 = BASE_START;
const at = (days: number, seconds = 0): number => t0 + days * DAY + seconds;

function links(ctx: RenderContext, path: string, id: number | string, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) out[name] = `${ctx.api}/${path}/${id}/${name}`;
  return out;
}

// ---------------------------------------------------------------- users, groups, user-group relations

interface UserData { username: string; first: string; last: string; email: string; phone: string; signature: string | null; lang: string; mfa: string; group: number }

export const USERS: readonly UserData[] = [
  { username: 'mlima', first: 'Marta', last: 'Lima', email: 'marta@acme.example', phone: '+55 11 4002-1234', signature: null, lang: 'portuguese', mfa: '1', group: 2 },
  { username: 'admin', first: 'Admin', last: '', email: 'admin@acme.example', phone: '', signature: 'Acme Store\nRua Augusta, 500', lang: 'english', mfa: '1', group: 1 },
  { username: 'jsouza', first: 'João', last: 'Souza', email: 'joao@acme.example', phone: '+55 11 98888-0001', signature: null, lang: 'portuguese', mfa: '0', group: 1 },
  { username: 'kmueller', first: 'Klaus', last: 'Müller', email: 'klaus@acme.example', phone: '+41 44 123 45 67', signature: '— Klaus "KM" Müller', lang: 'german', mfa: '0', group: 2 },
  { username: 'ytanaka', first: '優子', last: '田中', email: 'yuko@acme.example', phone: '', signature: null, lang: 'japanese', mfa: '1', group: 2 },
  { username: 'psantos', first: 'Paula', last: 'Santos', email: 'paula@acme.example', phone: '+55 21 3333-4444', signature: '', lang: 'portuguese', mfa: '0', group: 2 },
  { username: 'support1', first: 'Suporte', last: 'Nível 1', email: 'support@acme.example', phone: '', signature: null, lang: 'portuguese', mfa: '0', group: 3 },
  { username: 'obrien', first: 'Seán', last: 'O\'Brien', email: 'sean@acme.example', phone: '+353 1 555 0101', signature: 'Cheers,\\nSeán', lang: 'english', mfa: '1', group: 3 },
];

export function renderUser(id: number, ctx: RenderContext): Rec {
  const u = USERS[id - 1] as UserData;
  const created = at(60 + id * 3, 9 * 3600);
  const updated = at(700 + id * 11, 13 * 3600 + 15 * 60 + 2);
  return {
    username: u.username,
    firstName: u.first,
    lastName: u.last,
    email: u.email,
    phone: u.phone,
    signature: u.signature,
    lang: u.lang,
    localZoneid: id === 4 ? 'Europe/Zurich' : id === 5 ? 'Asia/Tokyo' : 'America/Sao_Paulo',
    password_updated_utc_timestamp: utcTime(updated),
    cdate: isoTime(created),
    udate: isoTime(updated),
    mfaEnabled: u.mfa,
    links: links(ctx, 'users', id, ['lists', 'userGroup', 'dealGroupTotals', 'dealGroupUsers', 'configs', 'dealConnection', 'userConversationsPermission', 'seatUser']),
    id: String(id),
  };
}

export const GROUP_PERMISSION_KEYS: readonly string[] = [
  'unsubscribelink', 'optinconfirm', 'p_admin', 'pgListAdd', 'pgListEdit', 'pgListDelete', 'pgListHeaders',
  'pgListEmailaccount', 'pgListBounce', 'pgMessageAdd', 'pgMessageEdit', 'pgMessageDelete', 'pgMessageSend',
  'pgContactAdd', 'pgContactEdit', 'pgContactDelete', 'pgContactMerge', 'pgContactImport', 'pgContactApprove',
  'pgContactExport', 'pgContactSync', 'pgContactFilters', 'pgContactActions', 'pgContactFields', 'pg_user_add',
  'pg_user_edit', 'pg_user_delete', 'pgGroupAdd', 'pgGroupEdit', 'pgGroupDelete', 'pgTemplateAdd', 'pgTemplateEdit',
  'pgTemplateDelete', 'pgPersonalizationAdd', 'pgPersonalizationEdit', 'pgPersonalizationDelete',
  'pgAutomationManage', 'pgFormEdit', 'pgReportsCampaign', 'pgReportsList', 'pgReportsUser', 'pgReportsTrend',
  'pgReportsDeal', 'pgStartupReports', 'pgStartupGettingstarted', 'pgAccountAdd', 'pgAccountEdit',
  'pgAccountDelete', 'pgAccountManageCustomField', 'pgDeal', 'pgDealDelete', 'pgDealReassign', 'pgDealFields',
  'pgDealGroupAdd', 'pgDealGroupEdit', 'pgDealGroupDelete', 'pgSavedResponsesManage',
];
const GROUP_LATE_KEYS: readonly string[] = [
  'pgMfaAdmin', 'pgDealExport', 'pgDealManageRoles', 'pgAccountNoteAdd', 'pgAccountNoteEdit', 'pgAccountNoteDelete',
  'pgDealNoteAdd', 'pgDealNoteEdit', 'pgDealNoteDelete', 'pgDealListAll', 'pgTagManage', 'pgContactResubscribe',
  'pgDealImport', 'pgAccountImport', 'pgAccountExport', 'pgLandingPagesAccess', 'pgWebPersonalizationManage',
];

const GROUPS = [
  { title: 'Admin', descript: 'Full access', denied: new Set<string>(['unsubscribelink', 'optinconfirm', 'pgStartupReports']) },
  { title: 'Sales', descript: 'Sales team, full read access', denied: new Set<string>(['unsubscribelink', 'optinconfirm', 'p_admin', 'pgStartupReports', 'pg_user_delete', 'pgGroupDelete', 'pgMfaAdmin']) },
  { title: 'Suporte & "Atendimento"', descript: '', denied: new Set<string>(['unsubscribelink', 'optinconfirm', 'p_admin', 'pgStartupReports', 'pgDeal', 'pgDealDelete', 'pgDealReassign', 'pgDealGroupAdd', 'pgDealGroupEdit', 'pgDealGroupDelete', 'pg_user_add', 'pg_user_edit', 'pg_user_delete', 'pgGroupAdd', 'pgGroupEdit', 'pgGroupDelete', 'pgDealExport', 'pgDealImport', 'pgMessageSend']) },
];
export const GROUP_COUNT = GROUPS.length;

export function renderGroup(id: number, ctx: RenderContext): Rec {
  const g = GROUPS[id - 1] as (typeof GROUPS)[number];
  const out: Rec = { title: g.title, descript: g.descript };
  for (const key of GROUP_PERMISSION_KEYS) out[key] = g.denied.has(key) ? '0' : '1';
  out.sdate = isoTime(at(59 + id, 9 * 3600 + 10 * 60));
  out.reqApproval = '0';
  out.reqApproval1st = '2';
  out.reqApprovalNotify = id === 2 ? 'approvals@acme.example' : '';
  out.socialdata = '0';
  for (const key of GROUP_LATE_KEYS) out[key] = g.denied.has(key) ? '0' : '1';
  out.links = links(ctx, 'groups', id, ['userGroups', 'groupLimit', 'dealGroupGroups', 'listGroups', 'addressGroups', 'automationGroups']);
  out.id = String(id);
  return out;
}

/** User-group relation ids: 190 + user id, so they never equal the user id. */
export const USER_GROUP_ID_BASE = 190;

export function renderUserGroup(id: number, ctx: RenderContext): Rec {
  const userId = id - USER_GROUP_ID_BASE;
  const group = (USERS[userId - 1] as UserData).group;
  const created = at(500 + userId * 7, 8 * 3600);
  return {
    userid: String(userId),
    groupid: String(group),
    cdate: isoTime(created),
    udate: isoTime(created + (userId % 3) * 40 * DAY),
    links: links(ctx, 'userGroups', id, ['group', 'user']),
    id: String(id),
    group: String(group),
    user: String(userId),
  };
}

// ---------------------------------------------------------------- pipelines and stages

export interface PipelineData { title: string; currency: string; stages: readonly string[]; restricted: boolean }

/** The last pipeline is one the key's user (group Sales) may not manage: its deals come back truncated. */
export const PIPELINES: readonly PipelineData[] = [
  { title: 'Vendas varejo', currency: 'brl', stages: ['Lead', 'Contato feito', 'Proposta enviada', 'Negociação'], restricted: false },
  { title: 'B2B sales', currency: 'usd', stages: ['Qualified', 'Demo', 'Proposal sent', 'Contract'], restricted: false },
  { title: 'Enterprise (diretoria)', currency: 'eur', stages: ['Discovery', 'Due diligence', 'Board approval', 'Signed'], restricted: true },
];
export const STAGES_PER_PIPELINE = 4;
export const STAGE_COUNT = PIPELINES.length * STAGES_PER_PIPELINE;

export function stageId(pipeline: number, index: number): number {
  return (pipeline - 1) * STAGES_PER_PIPELINE + index + 1;
}

export function pipelineOfStage(stage: number): number {
  return Math.floor((stage - 1) / STAGES_PER_PIPELINE) + 1;
}

export function renderPipeline(id: number): Rec {
  const p = PIPELINES[id - 1] as PipelineData;
  const stages: string[] = [];
  for (let i = 0; i < STAGES_PER_PIPELINE; i++) stages.push(String(stageId(id, i)));
  return {
    allgroups: p.restricted ? '0' : '1',
    allusers: id === 1 ? '1' : '0',
    autoassign: id === 2 ? '1' : '0',
    cdate: isoTime(at(60 + id, 10 * 3600)),
    currency: p.currency,
    id: String(id),
    links: {
      dealGroupGroups: `/api/3/dealGroups/${id}/dealGroupGroups`,
      dealGroupUsers: `/api/3/dealGroups/${id}/dealGroupUsers`,
      stages: `/api/3/dealGroups/${id}/stages`,
    },
    stages,
    title: p.title,
    udate: isoTime(at(600 + id * 20, 15 * 3600 + 12 * 60)),
    win_probability_initialize_date: id === 1 ? null : id === 2 ? ZERO_DATETIME : localTime(at(800, 12 * 3600)),
  };
}

const STAGE_COLORS = ['F4B400', '0F9D58', '4285F4', 'DB4437'];

export function renderStage(id: number): Rec {
  const pipeline = pipelineOfStage(id);
  const index = (id - 1) % STAGES_PER_PIPELINE;
  const builtIn = pipeline === 1 && index === 0;
  return {
    cardRegion1: 'title',
    cardRegion2: 'next-action',
    cardRegion3: 'show-avatar',
    cardRegion4: 'contact-fullname-orgname',
    cardRegion5: 'value',
    cdate: builtIn ? null : isoTime(at(60 + pipeline, 10 * 3600 + index * 60)),
    color: STAGE_COLORS[index],
    dealOrder: index % 2 === 0 ? 'next-action DESC' : 'cdate ASC',
    group: String(pipeline),
    id: String(id),
    links: { group: `/api/3/dealStages/${id}/group` },
    order: String(index + 1),
    title: (PIPELINES[pipeline - 1] as PipelineData).stages[index],
    udate: builtIn ? null : isoTime(at(600 + pipeline * 20, 15 * 3600 + 12 * 60)),
    width: '280',
  };
}

// ---------------------------------------------------------------- tags and lists

const TAGS: readonly (readonly [string, string])[] = [
  ['wholesale', 'Buys in bulk'], ['retail', ''], ['vip ⭐', 'Top 1% by revenue'], ['newsletter', 'Opted in to the weekly email'],
  ['são-paulo', 'Region: São Paulo'], ['zürich', 'Region: Zürich'], ['東京', 'Region: Tokyo'], ['lead-hot', 'Scored > 80'],
  ['lead-cold', ''], ['churn-risk', 'No purchase in 90 days'], ['event:expo-2024', 'Met at "Expo 2024"'],
  ['webinar', 'Attended a webinar'], ['partner', 'Reseller or partner'], ['supplier', ''], ['black-friday', 'BF campaign'],
  ['o\'reilly-list', 'Imported from O\'Reilly list'], ['path\\legacy', 'Imported from C:\\legacy export'],
  ['whatsapp', 'Prefers WhatsApp'], ['b2b', ''], ['b2c', ''], ['trial', 'Trial users'], ['customer', 'Paying customer'],
  ['unsubscribed-2023', ''], ['template:welcome', 'Template tag'], ['template:promo', 'Template tag'],
];
export const TAG_COUNT = TAGS.length;

export function renderTag(id: number, ctx: RenderContext, subscriberCount: number): Rec {
  const [tag, description] = TAGS[id - 1] as readonly [string, string];
  const created = at(200 + id * 9, 11 * 3600);
  return {
    tagType: tag.startsWith('template:') ? 'template' : 'contact',
    tag,
    description,
    cdate: isoTime(created),
    subscriber_count: String(subscriberCount),
    created_timestamp: localTime(created),
    updated_timestamp: localTime(created + (id % 4) * 30 * DAY),
    created_by: id % 5 === 0 ? null : '1',
    updated_by: id % 3 === 0 ? '2' : null,
    links: links(ctx, 'tags', id, ['contactGoalTags']),
    id: String(id),
  };
}

const LISTS = [
  { stringid: 'customers', name: 'Customers', city: 'São Paulo', country: 'BR' },
  { stringid: 'newsletter', name: 'Newsletter semanal', city: 'São Paulo', country: 'BR' },
  { stringid: 'leads-zurich', name: 'Leads Zürich', city: 'Zürich', country: 'CH' },
  { stringid: 'tokyo', name: '東京 partners', city: '東京', country: 'JP' },
  { stringid: 'list-name-sample', name: 'Eventos "VIP"', city: 'Curitiba', country: 'BR' },
];
export const LIST_COUNT = LISTS.length;

export function renderList(id: number, ctx: RenderContext): Rec {
  const l = LISTS[id - 1] as (typeof LISTS)[number];
  const created = at(59 + id * 5, 9 * 3600 + 30 * 60);
  const updated = created + id * 97 * DAY;
  return {
    stringid: l.stringid,
    userid: '1',
    name: l.name,
    cdate: isoTime(created),
    p_use_tracking: '1',
    p_use_analytics_read: '0',
    p_use_analytics_link: '0',
    p_use_twitter: '0',
    p_use_facebook: '0',
    p_embed_image: '1',
    p_use_captcha: id % 2 === 0 ? '0' : '1',
    send_last_broadcast: '0',
    private: id === 5 ? '1' : '0',
    analytics_domains: null,
    analytics_source: '',
    analytics_ua: '',
    twitter_token: '',
    twitter_token_secret: '',
    facebook_session: null,
    carboncopy: id === 1 ? 'archive@acme.example' : '',
    subscription_notify: id === 1 ? 'sales@acme.example,owner@acme.example' : '',
    unsubscription_notify: id === 1 ? 'owner@acme.example' : '',
    require_name: '0',
    get_unsubscribe_reason: '1',
    to_name: id === 3 ? '' : 'Customer',
    optinoptout: '1',
    sender_name: 'Acme Store',
    sender_addr1: 'Rua Augusta, 500',
    sender_addr2: '',
    sender_city: l.city,
    sender_state: l.country === 'BR' ? 'SP' : '',
    sender_zip: '01304-000',
    sender_country: l.country,
    sender_phone: '',
    sender_url: 'https://acme.example',
    sender_reminder: 'You bought from Acme Store.',
    fulladdress: `Acme Store, Rua Augusta, 500, ${l.city}, SP 01304-000, ${l.country}`,
    optinmessageid: id === 2 ? '1' : '0',
    optoutconf: '0',
    deletestamp: null,
    udate: null,
    created_timestamp: localTime(created),
    updated_timestamp: localTime(updated),
    created_by: null,
    updated_by: '1',
    links: links(ctx, 'lists', id, ['contactGoalLists', 'user', 'addressLists']),
    id: String(id),
    user: '1',
  };
}

// ---------------------------------------------------------------- contact custom fields, options, relations

export interface ContactFieldData { title: string; type: string; perstag: string; options?: readonly string[] }

export const CONTACT_FIELDS: readonly ContactFieldData[] = [
  { title: 'Cargo', type: 'text', perstag: 'CARGO' },
  { title: 'Observações', type: 'textarea', perstag: 'OBSERVACOES' },
  { title: 'Segment', type: 'dropdown', perstag: 'SEGMENT', options: ['Retail', 'Wholesale', 'Services'] },
  { title: 'Departments', type: 'listbox', perstag: 'DEPARTMENTS', options: ['Bakery', 'Dairy', 'Frozen', 'Produce', 'Açougue'] },
  { title: 'Preferred channel', type: 'radio', perstag: 'CHANNEL', options: ['Email', 'Phone', 'WhatsApp'] },
  { title: 'Interests', type: 'checkbox', perstag: 'INTERESTS', options: ['Promotions', 'Newsletter', 'Events "live"'] },
  { title: 'Birthday', type: 'date', perstag: 'BIRTHDAY' },
  { title: 'Last visit', type: 'datetime', perstag: 'LAST_VISIT' },
  { title: 'Source id', type: 'hidden', perstag: 'SOURCE_ID' },
];
export const CONTACT_FIELD_COUNT = CONTACT_FIELDS.length;

/** Option ids, numbered across fields in field order. */
export const FIELD_OPTIONS: readonly { field: number; index: number; value: string }[] = CONTACT_FIELDS.flatMap(
  (f, i) => (f.options ?? []).map((value, index) => ({ field: i + 1, index, value })),
);

export function optionIdsOfField(field: number): number[] {
  const out: number[] = [];
  FIELD_OPTIONS.forEach((o, i) => {
    if (o.field === field) out.push(i + 1);
  });
  return out;
}

/** Field relations (`fieldRels`): one per field, id = 100 + field id. */
export const FIELD_REL_ID_BASE = 100;

export function renderField(id: number, ctx: RenderContext): Rec {
  const f = CONTACT_FIELDS[id - 1] as ContactFieldData;
  const created = at(250 + id, 14 * 3600);
  return {
    title: f.title,
    descript: id === 3 ? 'What the shop sells' : id === 2 ? 'Free text: "quotes", \\backslashes\\ and\ttabs' : '',
    type: f.type,
    isrequired: id === 1 ? '1' : '0',
    perstag: f.perstag,
    defval: id === 5 ? 'Email' : null,
    show_in_list: id <= 2 ? '1' : '0',
    rows: f.type === 'textarea' ? '4' : '0',
    cols: f.type === 'textarea' ? '40' : '0',
    visible: f.type === 'hidden' ? '0' : '1',
    service: id === 9 ? 'shopify' : '',
    ordernum: String(id),
    cdate: isoTime(created),
    udate: isoTime(created + (id % 3) * 50 * DAY),
    created_timestamp: localTime(created),
    updated_timestamp: localTime(created + (id % 3) * 50 * DAY),
    created_by: '1',
    updated_by: id % 4 === 0 ? '3' : '1',
    options: optionIdsOfField(id).map(String),
    relations: [String(FIELD_REL_ID_BASE + id)],
    links: links(ctx, 'fields', id, ['options', 'relations']),
    id: String(id),
  };
}

export function renderFieldOption(id: number, ctx: RenderContext): Rec {
  const o = FIELD_OPTIONS[id - 1] as (typeof FIELD_OPTIONS)[number];
  const created = at(250 + o.field, 14 * 3600);
  return {
    field: String(o.field),
    orderid: String(o.index + 1),
    value: o.value,
    label: o.value,
    isdefault: o.field === 5 && o.index === 0 ? '1' : '0',
    cdate: isoTime(created),
    udate: isoTime(created),
    links: links(ctx, 'fieldOptions', id, ['field']),
    id: String(id),
  };
}

export function renderFieldRel(id: number): Rec {
  const field = id - FIELD_REL_ID_BASE;
  return {
    field: String(field),
    relid: '0',
    dorder: String(field),
    cdate: isoTime(at(250 + field, 14 * 3600)),
    links: [],
    id: String(id),
  };
}

// ---------------------------------------------------------------- account and deal custom field meta

export interface CustomFieldMetaData { label: string; type: string; options: readonly string[] | null; fieldDefault: string | number | null; currency: string | null }

export const ACCOUNT_FIELDS: readonly CustomFieldMetaData[] = [
  { label: 'Annual revenue', type: 'currency', options: null, fieldDefault: null, currency: 'BRL' },
  { label: 'Segmento', type: 'dropdown', options: ['Retail', 'Services', 'Indústria'], fieldDefault: 'Retail', currency: null },
  { label: 'Employees', type: 'number', options: null, fieldDefault: 10, currency: null },
  { label: 'Regions', type: 'multiselect', options: ['Sul', 'Sudeste', 'Nordeste', 'Norte'], fieldDefault: null, currency: null },
  { label: 'Founded', type: 'date', options: null, fieldDefault: null, currency: null },
];

export const DEAL_FIELDS: readonly CustomFieldMetaData[] = [
  { label: 'Budget', type: 'currency', options: null, fieldDefault: null, currency: 'BRL' },
  { label: 'Decision maker', type: 'text', options: null, fieldDefault: null, currency: null },
  { label: 'Expected close', type: 'date', options: null, fieldDefault: null, currency: null },
  { label: 'Units', type: 'number', options: null, fieldDefault: 1, currency: null },
  { label: 'Product line', type: 'dropdown', options: ['Linha A', 'Linha B', 'Linha "C"'], fieldDefault: null, currency: null },
  { label: 'Contract terms', type: 'textarea', options: null, fieldDefault: null, currency: null },
];

export function renderCustomFieldMeta(id: number, ctx: RenderContext, which: 'account' | 'deal'): Rec {
  const f = (which === 'account' ? ACCOUNT_FIELDS : DEAL_FIELDS)[id - 1] as CustomFieldMetaData;
  const created = at(320 + id, 8 * 3600 + (which === 'deal' ? 300 : 0));
  const path = which === 'account' ? 'accountCustomFieldMeta' : 'dealCustomFieldMeta';
  return {
    id: String(id),
    fieldLabel: f.label,
    fieldType: f.type,
    fieldOptions: f.options ? [...f.options] : null,
    fieldDefault: f.fieldDefault,
    fieldDefaultCurrency: f.currency,
    isFormVisible: id % 2,
    isRequired: id === 1 ? 1 : 0,
    displayOrder: id,
    personalization: id === 2 ? `%${which.toUpperCase()}_SEGMENT%` : '',
    knownFieldId: null,
    hideFieldFlag: id === 5 ? 1 : 0,
    createdBy: 1,
    updatedBy: id === 3 ? 3 : 1,
    createdTimestamp: localTime(created),
    updatedTimestamp: localTime(created + (id % 2) * 11 * DAY),
    links: { [which === 'account' ? 'accountCustomFieldData' : 'dealCustomFieldData']: `${ctx.api}/${path}/${id}/${which === 'account' ? 'accountCustomFieldData' : 'dealCustomFieldData'}` },
  };
}

// ---------------------------------------------------------------- campaigns, messages, campaign-messages

export const CAMPAIGN_COUNT = 12;
export const MESSAGE_COUNT = 14;

/** Campaign-message rows: each campaign has one message; campaigns 3 and 8 are split tests with two. */
export const CAMPAIGN_MESSAGES: readonly { campaign: number; message: number; percentage: number }[] = (() => {
  const rows: { campaign: number; message: number; percentage: number }[] = [];
  for (let c = 1; c <= CAMPAIGN_COUNT; c++) {
    if (c === 3) rows.push({ campaign: c, message: 3, percentage: 50 }, { campaign: c, message: 13, percentage: 50 });
    else if (c === 8) rows.push({ campaign: c, message: 8, percentage: 70 }, { campaign: c, message: 14, percentage: 30 });
    else rows.push({ campaign: c, message: c, percentage: 100 });
  }
  return rows;
})();
/** Campaign-message ids start at 41 (so they never equal campaign or message ids). */
export const CAMPAIGN_MESSAGE_ID_BASE = 40;

const CAMPAIGN_NAMES = [
  'April offers', 'Boas-vindas', 'Split: assunto A/B', 'Black Friday 🔥', 'Newsletter #12', 'Zürich event invite',
  '東京 launch', 'Split: "free shipping"', 'Reactivation', 'Survey \\ feedback', 'Christmas', 'Automation: onboarding',
];

function campaignStats(id: number): { sent: number; opens: number; uniqueOpens: number; clicks: number; uniqueClicks: number } {
  const rng = new Rng(hash(7, id));
  const sent = id === 1 ? 2310 : rng.range(200, 9000);
  const uniqueOpens = Math.floor(sent * (0.2 + rng.next() * 0.3));
  const opens = uniqueOpens + rng.int(uniqueOpens);
  const uniqueClicks = Math.floor(uniqueOpens * (0.05 + rng.next() * 0.2));
  return { sent, opens, uniqueOpens, clicks: uniqueClicks + rng.int(uniqueClicks + 1), uniqueClicks };
}

export function renderCampaign(id: number, ctx: RenderContext): Rec {
  const isAutomation = id >= 11;
  const draft = id === 10;
  const created = at(400 + id * 30, 8 * 3600 + 30 * 60);
  const sent = draft ? null : created + DAY - 30 * 60;
  const last = sent === null ? null : sent + 24 * 60 + 51;
  const s = campaignStats(id);
  const cm = CAMPAIGN_MESSAGES.findIndex((r) => r.campaign === id) + 1 + CAMPAIGN_MESSAGE_ID_BASE;
  const split = id === 3 || id === 8;
  return {
    type: isAutomation ? 'responder' : split ? 'split' : 'single',
    userid: String(1 + (id % 3)),
    segmentid: id === 5 ? '3' : '0',
    bounceid: '-1',
    realcid: '0',
    sendid: '0',
    threadid: '0',
    seriesid: isAutomation ? String(id - 8) : '0',
    formid: '0',
    basetemplateid: new Rng(hash(8, id)).hex(16),
    basemessageid: id === 4 ? '4' : '0',
    addressid: '1',
    source: 'web',
    name: CAMPAIGN_NAMES[id - 1],
    cdate: isoTime(created),
    mdate: isoTime(created + DAY + 40 * 60),
    sdate: sent === null ? null : isoTime(sent),
    ldate: last === null ? null : isoTime(last),
    send_amt: String(draft ? 0 : s.sent),
    total_amt: String(draft ? 0 : s.sent),
    opens: String(draft ? 0 : s.opens),
    uniqueopens: String(draft ? 0 : s.uniqueOpens),
    linkclicks: String(draft ? 0 : s.clicks),
    uniquelinkclicks: String(draft ? 0 : s.uniqueClicks),
    subscriberclicks: String(draft ? 0 : Math.floor(s.uniqueClicks * 0.9)),
    forwards: '0',
    uniqueforwards: '0',
    hardbounces: String(draft ? 0 : Math.floor(s.sent / 400)),
    softbounces: String(draft ? 0 : Math.floor(s.sent / 160)),
    unsubscribes: String(draft ? 0 : Math.floor(s.sent / 250)),
    unsubreasons: String(draft ? 0 : Math.floor(s.sent / 800)),
    updates: '0',
    socialshares: '0',
    replies: String(id % 5),
    uniquereplies: String(id % 5),
    status: draft ? '0' : isAutomation ? '1' : '5',
    public: '1',
    mail_transfer: '1',
    mail_send: draft ? '0' : '1',
    mail_cleanup: '1',
    mailer_log_file: '0',
    tracklinks: 'all',
    tracklinksanalytics: '0',
    trackreads: '1',
    trackreadsanalytics: '1',
    analytics_campaign_name: id === 4 ? 'black-friday' : '',
    tweet: '0',
    facebook: '0',
    survey: '',
    embed_images: '0',
    htmlunsub: '1',
    textunsub: '1',
    htmlunsubdata: null,
    textunsubdata: null,
    recurring: 'day1',
    willrecur: '0',
    split_type: split ? 'read' : 'even',
    split_content: '0',
    split_offset: '2',
    split_offset_type: 'day',
    split_winner_messageid: id === 3 ? '13' : '0',
    split_winner_awaiting: id === 8 ? '1' : '0',
    responder_offset: isAutomation ? '1' : '0',
    responder_type: 'subscribe',
    responder_existing: '0',
    reminder_field: 'sdate',
    reminder_format: null,
    reminder_type: 'month_day',
    reminder_offset: '0',
    reminder_offset_type: 'day',
    reminder_offset_sign: '+',
    reminder_last_cron_run: id === 12 ? ZERO_DATETIME : null,
    activerss_interval: 'day1',
    activerss_url: null,
    activerss_items: '10',
    ip4: id % 4 === 0 ? '0' : String(2886729984 + id),
    laststep: draft ? 'message' : 'designer',
    managetext: '0',
    schedule: id === 6 ? '1' : '0',
    scheduleddate: id === 6 && sent !== null ? localTime(sent) : null,
    waitpreview: '0',
    deletestamp: null,
    replysys: '0',
    created_timestamp: localTime(created),
    updated_timestamp: localTime(last ?? created),
    created_by: '1',
    updated_by: id % 2 === 0 ? '3' : '1',
    ip: '0',
    series_send_lock_time: ZERO_DATETIME,
    can_skip_approval: '0',
    use_quartz_scheduler: '1',
    verified_opens: String(draft ? 0 : Math.floor(s.opens * 0.77)),
    verified_unique_opens: String(draft ? 0 : Math.floor(s.uniqueOpens * 0.8)),
    segmentname: id === 5 ? 'Engaged, São Paulo' : '',
    has_predictive_content: '0',
    message_id: String(id),
    screenshot: `//acme.img-us1.com/_screenshot_/${new Rng(hash(9, id)).hex(6)}.png`,
    campaign_message_id: String(cm),
    ed_version: '2',
    links: links(ctx, 'campaigns', id, ['user', 'automation', 'campaignMessage', 'campaignMessages', 'links', 'aggregateRevenues', 'segment', 'campaignLists']),
    id: String(id),
    user: String(1 + (id % 3)),
    automation: isAutomation ? String(id - 8) : null,
  };
}

export function renderCampaignMessage(id: number, ctx: RenderContext): Rec {
  const row = CAMPAIGN_MESSAGES[id - CAMPAIGN_MESSAGE_ID_BASE - 1] as (typeof CAMPAIGN_MESSAGES)[number];
  const s = campaignStats(row.campaign);
  const share = row.percentage / 100;
  const part = (n: number): string => String(Math.floor(n * share));
  return {
    campaignid: String(row.campaign),
    messageid: String(row.message),
    percentage: String(row.percentage),
    sourcesize: '0',
    send_amt: part(s.sent),
    total_amt: part(s.sent),
    opens: part(s.opens),
    uniqueopens: part(s.uniqueOpens),
    linkclicks: part(s.clicks),
    uniquelinkclicks: part(s.uniqueClicks),
    subscriberclicks: part(s.uniqueClicks * 0.9),
    forwards: '0',
    uniqueforwards: '0',
    hardbounces: part(s.sent / 400),
    softbounces: part(s.sent / 160),
    unsubscribes: part(s.sent / 250),
    unsubreasons: part(s.sent / 800),
    updates: '0',
    socialshares: '0',
    replies: '0',
    uniquereplies: '0',
    spamcheck_score: row.message % 3 === 0 ? '1.5' : '0',
    spamcheck_max: '5',
    initial_split_percentage: row.percentage === 100 ? '0' : String(row.percentage),
    screenshot: `//acme.img-us1.com/_screenshot_/${new Rng(hash(9, row.campaign)).hex(6)}.png`,
    subject: messageSubject(row.message),
    links: links(ctx, 'campaignMessages', id, ['campaign', 'message']),
    id: String(id),
    campaign: String(row.campaign),
    message: String(row.message),
  };
}

function messageSubject(id: number): string {
  const subjects = ['April offers for %FIRSTNAME%', 'Bem-vindo(a), %FIRSTNAME%!', 'Ofertas de São Paulo', '🔥 Black Friday: até 50% off'];
  return subjects[id % subjects.length] as string;
}

export function renderMessage(id: number, ctx: RenderContext): Rec {
  const created = at(400 + Math.min(id, CAMPAIGN_COUNT) * 30, 8 * 3600 + 30 * 60 + 5);
  const rng = new Rng(hash(10, id));
  const paragraphs: string[] = [];
  const count = 3 + rng.int(6);
  for (let i = 0; i < count; i++) paragraphs.push(`Parágrafo ${i + 1}: ofertas em São Paulo, Zürich e 東京 — "aproveite" 'já'.`);
  const text = `Hi %FIRSTNAME%,\n\n${paragraphs.join('\n\n')}\n\n%UNSUBSCRIBELINK%`;
  const html = `<html><body><p>Hi %FIRSTNAME%,</p>${paragraphs.map((p) => `<p>${p.replace(/"/g, '&quot;')}</p>`).join('')}<p><a href="%UNSUBSCRIBELINK%">Unsubscribe</a></p></body></html>`;
  return {
    userid: String(1 + (id % 3)),
    ed_instanceid: '0',
    ed_version: '2',
    cdate: isoTime(created),
    mdate: isoTime(created + DAY - 35 * 60),
    name: id > CAMPAIGN_COUNT ? `Variant ${id}` : '',
    fromname: 'Acme Store',
    fromemail: 'news@acme.example',
    reply2: id % 2 === 0 ? 'help@acme.example' : '',
    priority: '3',
    charset: 'utf-8',
    encoding: 'quoted-printable',
    format: 'mime',
    subject: messageSubject(id),
    preheader_text: id % 3 === 0 ? '' : 'Up to 30% off this week',
    text: id === 7 ? text.repeat(20) : text,
    html,
    htmlfetch: 'now',
    textfetch: 'now',
    hidden: '0',
    preview_mime: '',
    preview_data: null,
    has_predictive_content: '0',
    links: links(ctx, 'messages', id, ['user', 'hyperlinks']),
    id: String(id),
    user: String(1 + (id % 3)),
  };
}

// ---------------------------------------------------------------- scores, task types, outcomes

const SCORES = [
  ['contact', 'Engagement', '+5 per open, +20 per click'],
  ['contact', 'Fit', 'Company size and segment'],
  ['deal', 'Deal health', ''],
] as const;
export const SCORE_COUNT = SCORES.length;

export function renderScore(id: number): Rec {
  const [reltype, name, descript] = SCORES[id - 1] as (typeof SCORES)[number];
  return {
    reltype,
    name,
    descript,
    status: id === 2 ? '0' : '1',
    cdate: isoTime(at(129 + id, 11 * 3600)),
    mdate: isoTime(at(373 + id * 3, 9 * 3600 + 45 * 60)),
    links: [],
    id: String(id),
  };
}

export const TASK_TYPES = [
  { title: 'Call', builtIn: true, duration: 30 },
  { title: 'Email', builtIn: true, duration: 15 },
  { title: 'Reunião', builtIn: false, duration: 60 },
  { title: 'Almoço 🍽', builtIn: false, duration: 90 },
  { title: 'Demo "online"', builtIn: false, duration: 45 },
] as const;
export const TASK_TYPE_COUNT = TASK_TYPES.length;

export const TASK_OUTCOMES = [
  { title: 'Follow-up booked', sentiment: 'POSITIVE', disabled: '0' },
  { title: 'Interested', sentiment: 'POSITIVE', disabled: '0' },
  { title: 'No answer', sentiment: 'NEUTRAL', disabled: '' },
  { title: 'Left voicemail', sentiment: 'NEUTRAL', disabled: '0' },
  { title: 'Not interested', sentiment: 'NEGATIVE', disabled: '1' },
  { title: 'Wrong number', sentiment: 'NEGATIVE', disabled: '0' },
] as const;
export const TASK_OUTCOME_COUNT = TASK_OUTCOMES.length;

/** Task type ↔ outcome relations; ids from 131. */
export const TASKTYPE_OUTCOMES: readonly { tasktype: number; outcome: number }[] = [
  { tasktype: 1, outcome: 1 }, { tasktype: 1, outcome: 3 }, { tasktype: 1, outcome: 4 }, { tasktype: 1, outcome: 6 },
  { tasktype: 2, outcome: 1 }, { tasktype: 2, outcome: 2 }, { tasktype: 3, outcome: 1 }, { tasktype: 3, outcome: 2 },
  { tasktype: 3, outcome: 5 }, { tasktype: 4, outcome: 2 }, { tasktype: 5, outcome: 1 }, { tasktype: 5, outcome: 5 },
];
export const TASKTYPE_OUTCOME_ID_BASE = 130;

export function outcomesOfType(tasktype: number): number[] {
  return TASKTYPE_OUTCOMES.filter((r) => r.tasktype === tasktype).map((r) => r.outcome);
}

export function renderTaskType(id: number): Rec {
  const t = TASK_TYPES[id - 1] as (typeof TASK_TYPES)[number];
  const created = at(151 + id, 9 * 3600 + 55 * 60);
  return {
    cdate: t.builtIn ? null : isoTime(created),
    created_by: t.builtIn ? null : '1',
    created_utc_timestamp: utcTime(created),
    defduration: String(t.duration),
    display_order: String(id),
    id: String(id),
    links: [],
    outcomes: outcomesOfType(id).map(String),
    status: '0',
    title: t.title,
    udate: t.builtIn ? null : isoTime(created),
    updated_by: t.builtIn ? null : '1',
    updated_utc_timestamp: utcTime(created),
  };
}

export function renderTaskOutcome(id: number, ctx: RenderContext): Rec {
  const o = TASK_OUTCOMES[id - 1] as (typeof TASK_OUTCOMES)[number];
  const created = at(151, 10 * 3600 + id * 60);
  return {
    title: o.title,
    sentiment: o.sentiment,
    disabled: o.disabled,
    created_by: '1',
    updated_by: id === 2 ? '3' : '1',
    // The task family sends these in ISO form despite the `_utc_` name.
    created_utc_timestamp: isoTime(created),
    updated_utc_timestamp: isoTime(created + (id % 2) * 20 * DAY),
    dealTasktype_ids: TASKTYPE_OUTCOMES.filter((r) => r.outcome === id).map((r) => String(r.tasktype)),
    links: links(ctx, 'taskOutcomes', id, ['tasktypeOutcomeRels', 'dealTasks']),
    id: String(id),
  };
}

export function renderTasktypeOutcomeRel(id: number, ctx: RenderContext): Rec {
  const index = id - TASKTYPE_OUTCOME_ID_BASE - 1;
  const r = TASKTYPE_OUTCOMES[index] as (typeof TASKTYPE_OUTCOMES)[number];
  const created = at(151, 10 * 3600 + 60 + index * 60);
  return {
    tasktype_id: String(r.tasktype),
    outcome_id: String(r.outcome),
    display_order: String(index % 4),
    created_by: '1',
    created_utc_timestamp: isoTime(created),
    updated_by: index % 3 === 0 ? '1' : null,
    updated_utc_timestamp: utcTime(created),
    links: links(ctx, 'tasktypeOutcomeRels', id, ['tasktype', 'outcome', 'createdBy']),
    id: String(id),
    tasktype: String(r.tasktype),
    outcome: String(r.outcome),
    createdBy: '1',
  };
}

