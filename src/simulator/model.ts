/**
 * The generated account: every table of the simulator, its arithmetic id layout, how each row is derived
 * from (seed, resource, id), and how parents find their children. Per 1000 contacts there are about 100
 * accounts, 400 account-contacts, 3000 field values, 1500 contact-tags, 1500 list memberships, 200 deals,
 * 900 deal activities, 600 deal custom-field values, 60 secondary contacts, 550 notes and 350 tasks.
 */
import {
  ACCOUNT_FIELDS, CAMPAIGN_COUNT, CAMPAIGN_MESSAGES, CAMPAIGN_MESSAGE_ID_BASE, CONTACT_FIELDS, CONTACT_FIELD_COUNT,
  DEAL_FIELDS, FIELD_OPTIONS, FIELD_REL_ID_BASE, GROUP_COUNT, LIST_COUNT, MESSAGE_COUNT, PIPELINES, SCORE_COUNT,
  STAGES_PER_PIPELINE, STAGE_COUNT, TAG_COUNT, TASKTYPE_OUTCOMES, TASKTYPE_OUTCOME_ID_BASE, TASK_OUTCOME_COUNT, TASK_TYPES, TASK_TYPE_COUNT, USERS, USER_GROUP_ID_BASE,
  renderCampaign, renderCampaignMessage, renderCustomFieldMeta, renderField, renderFieldOption, renderFieldRel,
  renderGroup, renderList, renderMessage, renderPipeline, renderScore, renderStage, renderTag, renderTaskOutcome,
  renderTaskType, renderTasktypeOutcomeRel, renderUser, renderUserGroup, stageId,
} from './fixed.js';
import { DenseSpace, SlotSpace } from './layout.js';
import { Rng, Tag, hash, mix32, unit } from './random.js';
import { Table, type Rec, type RenderContext, type TableSpec } from './table.js';
import {
  CITIES, DEAL_TITLES, DOMAINS, FIRST_NAMES, LAST_NAMES, ORG_NAMES, TASK_TITLES, longText, noteText,
} from './text.js';
import { BASE_END, BASE_START, DAY, ZERO_DATE, ZERO_DATETIME, isoTime, localDate, localTime, utcTime } from './time.js';

export type ParentKind = 'contact' | 'account' | 'deal' | 'activity' | 'group' | 'field' | 'pipeline' | 'campaign' | 'user';

export interface ContactS { c: number; u: number }
export interface FieldValueS { contact: number; field: number; c: number; u: number }
export interface ContactTagS { contact: number; tag: number; c: number }
export interface ContactListS { contact: number; list: number; c: number }
export interface AccountS { c: number; u: number }
export interface AccountContactS { contact: number; account: number; c: number }
export interface AccountFieldS { account: number; field: number; c: number; u: number }
export interface DealS { contact: number; account: number; pipeline: number; stage: number; c: number; u: number }
export interface ActivityS { deal: number; k: number; c: number }
export interface DealFieldS { deal: number; field: number; c: number; u: number }
export interface ContactDealS { deal: number; contact: number; c: number }
export type NoteReltype = 'Subscriber' | 'CustomerAccount' | 'Deal' | 'Activity';
export interface NoteS { reltype: NoteReltype; relid: number; c: number; u: number }
export type TaskReltype = 'Subscriber' | 'Deal';
export interface TaskS { reltype: TaskReltype; relid: number; c: number }

/** Slot counts of the arithmetic layouts (children slots per parent). */
export const SLOTS = {
  fieldValues: CONTACT_FIELD_COUNT,
  contactTags: 4,
  contactLists: 3,
  accountContacts: 2,
  dealsPerContact: 2,
  activitiesPerDeal: 8,
  dealFields: DEAL_FIELDS.length,
  contactDealsPerDeal: 2,
  accountFields: ACCOUNT_FIELDS.length,
  notesPerContact: 7,
  tasksPerContact: 3,
} as const;

/** Contact tags are drawn among the contact-type tags (the last two are template tags). */
const CONTACT_TAG_CHOICES = TAG_COUNT - 2;
const OWNER_TYPE: Record<NoteReltype, string> = { Subscriber: 'contact', CustomerAccount: 'account', Deal: 'deal', Activity: 'activity' };
const JOB_TITLES = ['Buyer', 'Gerente de compras', 'CEO & founder', 'Head of "Ops"', 'Diretora financeira', ''];
const ACTIVITY_KINDS = [
  ['d_stageid', 'update'], ['value', 'update'], ['note', 'add'], ['task', 'add'], ['userid', 'update'], ['email', 'add'],
] as const;

const clamp = (t: number): number => Math.min(Math.floor(t), BASE_END);

function links(ctx: RenderContext, path: string, id: number, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const prefix = `${ctx.api}/${path}/${id}/`;
  for (const name of names) out[name] = prefix + name;
  return out;
}

const CONTACT_LINKS = [
  'bounceLogs', 'contactAutomations', 'contactData', 'contactGoals', 'contactLists', 'contactLogs', 'contactTags',
  'contactDeals', 'deals', 'fieldValues', 'geoIps', 'notes', 'organization', 'plusAppend', 'trackingLogs',
  'scoreValues', 'accountContacts', 'automationEntryCounts',
];
const DEAL_LINKS = [
  'dealActivities', 'contact', 'contactDeals', 'group', 'nextTask', 'notes', 'account', 'customerAccount',
  'organization', 'owner', 'scoreValues', 'stage', 'tasks', 'dealCustomFieldData',
];
const CONTACT_LIST_LINKS = ['automation', 'list', 'contact', 'form', 'autosyncLog', 'campaign', 'unsubscribeAutomation', 'message'];
const TASK_LINKS = ['activities', 'automation', 'dealTasktype', 'doneAutomation', 'notes', 'owner', 'taskNotifications', 'user', 'assignee'];

function ipv4(rng: Rng): string {
  return String(((rng.next() * 4294967296) >>> 0) || 3232235876);
}

/** One list of fixed rows rendered through a function. */
function fixedTable(key: string, size: number, first: number, render: (id: number, ctx: RenderContext) => Rec): Table<null> {
  return new Table<null>(key, new DenseSpace(size, first), { struct: () => null, render: (id, _s, ctx) => render(id, ctx) });
}

export class Model {
  readonly contactCount: number;
  readonly accountCount: number;
  /** Bumped by every mutation batch; caches of filtered or sorted id lists key on it. */
  version = 0;

  private readonly contactStart = BASE_START + 60 * DAY;
  private readonly contactStep: number;
  private readonly accountStep: number;

  readonly contacts: Table<ContactS>;
  readonly fieldValues: Table<FieldValueS>;
  readonly contactTags: Table<ContactTagS>;
  readonly contactLists: Table<ContactListS>;
  readonly accounts: Table<AccountS>;
  readonly accountContacts: Table<AccountContactS>;
  readonly accountCustomFieldData: Table<AccountFieldS>;
  readonly deals: Table<DealS>;
  readonly dealActivities: Table<ActivityS>;
  readonly dealCustomFieldData: Table<DealFieldS>;
  readonly contactDeals: Table<ContactDealS>;
  readonly notes: Table<NoteS>;
  readonly dealTasks: Table<TaskS>;

  readonly users: Table<null>;
  readonly groups: Table<null>;
  readonly userGroups: Table<null>;
  readonly dealGroups: Table<null>;
  readonly dealStages: Table<null>;
  readonly tags: Table<null>;
  readonly lists: Table<null>;
  readonly fields: Table<null>;
  readonly fieldOptions: Table<null>;
  readonly fieldRels: Table<null>;
  readonly accountCustomFieldMeta: Table<null>;
  readonly dealCustomFieldMeta: Table<null>;
  readonly campaigns: Table<null>;
  readonly messages: Table<null>;
  readonly campaignMessages: Table<null>;
  readonly scores: Table<null>;
  readonly taskOutcomes: Table<null>;
  readonly dealTasktypes: Table<null>;
  readonly tasktypeOutcomeRels: Table<null>;

  /** Every table by its envelope key. */
  readonly tables = new Map<string, Table<unknown>>();

  private readonly dealSpace: SlotSpace;
  private readonly accountContactSpace: SlotSpace;
  private tagBaseCounts: Int32Array | undefined;
  private tagCounts: { version: number; counts: Int32Array } | undefined;

  constructor(readonly seed: number, contacts: number) {
    this.contactCount = contacts;
    this.accountCount = Math.max(1, Math.round(contacts / 10));
    this.contactStep = (BASE_END - 90 * DAY - this.contactStart) / contacts;
    this.accountStep = (BASE_END - 120 * DAY - (BASE_START + 30 * DAY)) / this.accountCount;
    const C = contacts;
    const s = seed;
    // Presence bits: one hash per group, stretched with mix32, 8 bits of it per slot (p in steps of 1/256).
    const bits = (group: number, table: number, slots: number, p: number): number => {
      const threshold = Math.round(p * 256);
      let word = hash(s, Tag.presence, table, group);
      let m = 0;
      for (let j = 0; j < slots; j++) {
        if (j > 0 && j % 4 === 0) word = mix32(word ^ 0x9e3779b9);
        if (((word >>> ((j % 4) * 8)) & 0xff) < threshold) m |= 1 << j;
      }
      return m;
    };

    // Contacts and their direct children, one group of slots per contact.
    this.contacts = new Table('contacts', new DenseSpace(C), this.contactSpec());
    this.fieldValues = new Table('fieldValues', new SlotSpace(C, SLOTS.fieldValues, (g) => bits(g, Tag.fieldValue, SLOTS.fieldValues, 1 / 3)), this.fieldValueSpec());
    this.contactTags = new Table('contactTags', new SlotSpace(C, SLOTS.contactTags, (g) => bits(g, Tag.contactTag, SLOTS.contactTags, 0.375)), this.contactTagSpec());
    this.contactLists = new Table('contactLists', new SlotSpace(C, SLOTS.contactLists, (g) => bits(g, Tag.contactList, SLOTS.contactLists, 0.5)), this.contactListSpec());
    this.accountContactSpace = new SlotSpace(C, SLOTS.accountContacts, (g) =>
      unit(s, Tag.presence, Tag.accountContact, g) < 0.4 ? 1 << (hash(s, Tag.accountContact, g) & 1) : 0);
    this.accountContacts = new Table('accountContacts', this.accountContactSpace, this.accountContactSpec());

    this.accounts = new Table('accounts', new DenseSpace(this.accountCount), this.accountSpec());
    this.accountCustomFieldData = new Table('accountCustomFieldData', new SlotSpace(this.accountCount, SLOTS.accountFields, (g) => bits(g, Tag.accountField, SLOTS.accountFields, 0.6)), this.accountFieldSpec());

    // Deals: two slots per contact; their children: slots per deal slot (present only where the deal is).
    this.dealSpace = new SlotSpace(C, SLOTS.dealsPerContact, (g) => bits(g, Tag.deal, SLOTS.dealsPerContact, 0.1));
    this.deals = new Table('deals', this.dealSpace, this.dealSpec());
    const dealSlots = C * SLOTS.dealsPerContact;
    this.dealActivities = new Table('dealActivities', new SlotSpace(dealSlots, SLOTS.activitiesPerDeal, (g) =>
      this.dealSpace.present(g + 1) ? (1 << this.baseActivityCount(g + 1)) - 1 : 0), this.activitySpec());
    this.dealCustomFieldData = new Table('dealCustomFieldData', new SlotSpace(dealSlots, SLOTS.dealFields, (g) =>
      this.dealSpace.present(g + 1) && !this.baseRestricted(g + 1) ? bits(g, Tag.dealField, SLOTS.dealFields, 0.5) : 0), this.dealFieldSpec());
    this.contactDeals = new Table('contactDeals', new SlotSpace(dealSlots, SLOTS.contactDealsPerDeal, (g) =>
      this.dealSpace.present(g + 1) && unit(s, Tag.presence, Tag.contactDeal, g) < 0.3 ? 1 << (hash(s, Tag.contactDeal, g) & 1) : 0), this.contactDealSpec());

    // Notes and tasks: one unit of slots per contact, mixing the kinds (contact, account, deal, activity).
    this.notes = new Table('notes', new SlotSpace(C, SLOTS.notesPerContact, (g) => this.noteMask(g)), this.noteSpec());
    this.dealTasks = new Table('dealTasks', new SlotSpace(C, SLOTS.tasksPerContact, (g) => this.taskMask(g)), this.taskSpec());

    this.users = fixedTable('users', USERS.length, 1, renderUser);
    this.groups = fixedTable('groups', GROUP_COUNT, 1, renderGroup);
    this.userGroups = fixedTable('userGroups', USERS.length, USER_GROUP_ID_BASE + 1, renderUserGroup);
    this.dealGroups = fixedTable('dealGroups', PIPELINES.length, 1, renderPipeline);
    this.dealStages = fixedTable('dealStages', STAGE_COUNT, 1, renderStage);
    this.tags = fixedTable('tags', TAG_COUNT, 1, (id, ctx) => renderTag(id, ctx, this.tagSubscriberCount(id)));
    this.lists = fixedTable('lists', LIST_COUNT, 1, renderList);
    this.fields = fixedTable('fields', CONTACT_FIELD_COUNT, 1, renderField);
    this.fieldOptions = fixedTable('fieldOptions', FIELD_OPTIONS.length, 1, renderFieldOption);
    this.fieldRels = fixedTable('fieldRels', CONTACT_FIELD_COUNT, FIELD_REL_ID_BASE + 1, renderFieldRel);
    this.accountCustomFieldMeta = fixedTable('accountCustomFieldMeta', ACCOUNT_FIELDS.length, 1, (id, ctx) => renderCustomFieldMeta(id, ctx, 'account'));
    this.dealCustomFieldMeta = fixedTable('dealCustomFieldMeta', DEAL_FIELDS.length, 1, (id, ctx) => renderCustomFieldMeta(id, ctx, 'deal'));
    this.campaigns = fixedTable('campaigns', CAMPAIGN_COUNT, 1, renderCampaign);
    this.messages = fixedTable('messages', MESSAGE_COUNT, 1, renderMessage);
    this.campaignMessages = fixedTable('campaignMessages', CAMPAIGN_MESSAGES.length, CAMPAIGN_MESSAGE_ID_BASE + 1, renderCampaignMessage);
    this.scores = fixedTable('scores', SCORE_COUNT, 1, renderScore);
    this.taskOutcomes = fixedTable('taskOutcomes', TASK_OUTCOME_COUNT, 1, renderTaskOutcome);
    this.dealTasktypes = fixedTable('dealTasktypes', TASK_TYPE_COUNT, 1, renderTaskType);
    this.tasktypeOutcomeRels = fixedTable('tasktypeOutcomeRels', TASKTYPE_OUTCOMES.length, TASKTYPE_OUTCOME_ID_BASE + 1, renderTasktypeOutcomeRel);

    for (const t of [
      this.contacts, this.fieldValues, this.contactTags, this.contactLists, this.accounts, this.accountContacts,
      this.accountCustomFieldData, this.deals, this.dealActivities, this.dealCustomFieldData, this.contactDeals,
      this.notes, this.dealTasks, this.users, this.groups, this.userGroups, this.dealGroups, this.dealStages, this.tags,
      this.lists, this.fields, this.fieldOptions, this.fieldRels, this.accountCustomFieldMeta, this.dealCustomFieldMeta,
      this.campaigns, this.messages, this.campaignMessages, this.scores, this.taskOutcomes, this.dealTasktypes,
      this.tasktypeOutcomeRels,
    ]) {
      this.tables.set(t.key, t);
    }
  }

  table(key: string): Table<unknown> | undefined {
    return this.tables.get(key);
  }

  // ------------------------------------------------------------------ timeline

  /** Base creation and update times of a contact: creation time grows with the id. */
  contactTimes(id: number): ContactS {
    const s = this.seed;
    const c = Math.floor(this.contactStart + (id - 1) * this.contactStep + unit(s, Tag.contactTime, id, 0) * this.contactStep * 0.25);
    const u = unit(s, Tag.contactTime, id, 1) < 0.3 ? c : clamp(c + unit(s, Tag.contactTime, id, 2) * Math.min(400 * DAY, BASE_END - c));
    return { c, u };
  }

  private accountTimes(id: number): AccountS {
    const c = Math.floor(BASE_START + 30 * DAY + (id - 1) * this.accountStep + unit(this.seed, Tag.account, id, 0) * this.accountStep * 0.5);
    return { c, u: clamp(c + unit(this.seed, Tag.account, id, 1) * Math.min(500 * DAY, BASE_END - c)) };
  }

  /** Base deal times; creation grows with the deal id, so `orders[cdate]` equals id order. */
  private dealTimes(id: number): { c: number; u: number } {
    const g = Math.floor((id - 1) / SLOTS.dealsPerContact);
    const j = (id - 1) % SLOTS.dealsPerContact;
    const contact = this.contactTimes(g + 1).c;
    const c = Math.floor(contact + this.contactStep * (0.3 + 0.3 * j + 0.2 * unit(this.seed, Tag.dealTime, id, 0)));
    const u = unit(this.seed, Tag.dealTime, id, 1) < 0.2 ? c : clamp(c + unit(this.seed, Tag.dealTime, id, 2) * Math.min(300 * DAY, BASE_END - c));
    return { c, u };
  }

  // ------------------------------------------------------------------ base structure helpers

  private baseActivityCount(dealId: number): number {
    return 1 + (hash(this.seed, Tag.activityCount, dealId) % SLOTS.activitiesPerDeal);
  }

  private basePipeline(dealId: number): number {
    const u = unit(this.seed, Tag.dealPipeline, dealId);
    return u < 0.5 ? 1 : u < 0.85 ? 2 : 3;
  }

  baseRestricted(dealId: number): boolean {
    return (PIPELINES[this.basePipeline(dealId) - 1] as (typeof PIPELINES)[number]).restricted;
  }

  isRestrictedPipeline(pipeline: number): boolean {
    return PIPELINES[pipeline - 1]?.restricted === true;
  }

  /** Account of a base contact (contacts c, c+A, c+2A… share an account), when it has an account-contact. */
  baseAccountOfContact(contact: number): number {
    return this.accountContactSpace.groupMask(contact - 1) !== 0 ? ((contact - 1) % this.accountCount) + 1 : 0;
  }

  private noteMask(g: number): number {
    const s = this.seed;
    let m = 0;
    if (unit(s, Tag.presence, Tag.note, g, 0) < 0.15) m |= 1;
    if (unit(s, Tag.presence, Tag.note, g, 1) < 0.15) m |= 2;
    if (unit(s, Tag.presence, Tag.note, g, 2) < 0.05) m |= 4;
    const deals = this.dealSpace.groupMask(g);
    for (let j = 0; j < SLOTS.dealsPerContact; j++) {
      if (((deals >>> j) & 1) === 0) continue;
      if (unit(s, Tag.presence, Tag.note, g, 3 + 2 * j) < 0.4) m |= 1 << (3 + 2 * j);
      if (unit(s, Tag.presence, Tag.note, g, 4 + 2 * j) < 0.1) m |= 1 << (4 + 2 * j);
    }
    return m;
  }

  private taskMask(g: number): number {
    const s = this.seed;
    let m = unit(s, Tag.presence, Tag.task, g, 0) < 0.15 ? 1 : 0;
    const deals = this.dealSpace.groupMask(g);
    for (let j = 0; j < SLOTS.dealsPerContact; j++) {
      if (((deals >>> j) & 1) === 1 && unit(s, Tag.presence, Tag.task, g, 1 + j) < 0.5) m |= 1 << (1 + j);
    }
    return m;
  }

  contactNames(id: number): { first: string; last: string; firstAscii: string; lastAscii: string } {
    const rng = new Rng(hash(this.seed, Tag.contact, id, 1));
    const [first, firstAscii] = rng.pick(FIRST_NAMES);
    const [last, lastAscii] = rng.pick(LAST_NAMES);
    const u = rng.next();
    return { first: u < 0.02 ? '' : first, last: u > 0.97 ? '' : last, firstAscii, lastAscii };
  }

  // ------------------------------------------------------------------ children

  /** Alive rows of `table` under a parent: base rows by arithmetic, then inserted ones. */
  children(table: Table<unknown>, kind: ParentKind, parentId: number): number[] {
    const out: number[] = [];
    for (const id of this.baseChildren(table, kind, parentId)) if (table.rows.has(id)) out.push(id);
    const inserted = table.insertedUnder(`${kind}:${parentId}`);
    if (inserted.length > 0) out.push(...inserted);
    return out;
  }

  private contactGroupIds(table: Table<unknown>, contact: number, slotFilter?: (slot: number) => boolean): number[] {
    if (!Number.isInteger(contact) || contact < 1 || contact > this.contactCount) return [];
    const space = table.rows.base as SlotSpace;
    const ids = space.idsOfGroup(contact - 1);
    return slotFilter ? ids.filter((id) => slotFilter((id - 1) % space.slots)) : ids;
  }

  private baseChildren(table: Table<unknown>, kind: ParentKind, parentId: number): number[] {
    const C = this.contactCount;
    const A = this.accountCount;
    const inContacts = (c: number): boolean => Number.isInteger(c) && c >= 1 && c <= C;
    const isBaseDeal = (d: number): boolean => d >= 1 && d <= this.dealSpace.maxId && this.dealSpace.present(d);
    const accountClass = (a: number): number[] => {
      const out: number[] = [];
      if (!Number.isInteger(a) || a < 1 || a > A) return out;
      for (let c = a; c <= C; c += A) out.push(c);
      return out;
    };
    const key = table.key;
    switch (kind) {
      case 'contact':
        if (key === 'fieldValues' || key === 'contactTags' || key === 'contactLists' || key === 'accountContacts' || key === 'deals') {
          return this.contactGroupIds(table, parentId);
        }
        if (key === 'notes') return this.contactGroupIds(table, parentId, (slot) => slot < 2);
        if (key === 'dealTasks') return this.contactGroupIds(table, parentId, (slot) => slot === 0);
        if (key === 'contactDeals' && inContacts(parentId)) {
          // Secondary contacts sit 1..5 contacts after the deal's primary contact.
          const out = new Set<number>();
          for (let off = 1; off <= 5; off++) {
            const primary = ((parentId - 1 - off + C * 6) % C) + 1;
            for (const deal of this.contactGroupIds(this.deals, primary)) {
              for (const id of (table.rows.base as SlotSpace).idsOfGroup(deal - 1)) {
                if (this.contactDeals.struct(id).contact === parentId) out.add(id);
              }
            }
          }
          return [...out].sort((a, b) => a - b);
        }
        return [];
      case 'account':
        if (key === 'accountContacts') return accountClass(parentId).flatMap((c) => this.contactGroupIds(table, c));
        if (key === 'notes') return accountClass(parentId).flatMap((c) => this.contactGroupIds(table, c, (slot) => slot === 2));
        if (key === 'deals') {
          return accountClass(parentId).filter((c) => this.baseAccountOfContact(c) === parentId).flatMap((c) => this.contactGroupIds(table, c));
        }
        if (key === 'accountCustomFieldData' && parentId >= 1 && parentId <= A) return (table.rows.base as SlotSpace).idsOfGroup(parentId - 1);
        return [];
      case 'deal': {
        if (!isBaseDeal(parentId)) return [];
        if (key === 'dealActivities' || key === 'dealCustomFieldData' || key === 'contactDeals') {
          return (table.rows.base as SlotSpace).idsOfGroup(parentId - 1);
        }
        const g = Math.floor((parentId - 1) / SLOTS.dealsPerContact);
        const j = (parentId - 1) % SLOTS.dealsPerContact;
        if (key === 'notes') return this.contactGroupIds(table, g + 1, (slot) => slot === 3 + 2 * j);
        if (key === 'dealTasks') return this.contactGroupIds(table, g + 1, (slot) => slot === 1 + j);
        return [];
      }
      case 'activity': {
        if (key !== 'notes') return [];
        const deal = Math.floor((parentId - 1) / SLOTS.activitiesPerDeal) + 1;
        if ((parentId - 1) % SLOTS.activitiesPerDeal !== 0 || !isBaseDeal(deal)) return [];
        const g = Math.floor((deal - 1) / SLOTS.dealsPerContact);
        const j = (deal - 1) % SLOTS.dealsPerContact;
        return this.contactGroupIds(table, g + 1, (slot) => slot === 4 + 2 * j);
      }
      case 'group':
        if (key === 'userGroups') return USERS.flatMap((u, i) => (u.group === parentId ? [USER_GROUP_ID_BASE + i + 1] : []));
        return [];
      case 'user':
        if (key === 'userGroups' && parentId >= 1 && parentId <= USERS.length) return [USER_GROUP_ID_BASE + parentId];
        return [];
      case 'field':
        if (key === 'fieldOptions') return FIELD_OPTIONS.flatMap((o, i) => (o.field === parentId ? [i + 1] : []));
        if (key === 'fieldRels' && parentId >= 1 && parentId <= CONTACT_FIELD_COUNT) return [FIELD_REL_ID_BASE + parentId];
        return [];
      case 'pipeline':
        if (key === 'dealStages' && parentId >= 1 && parentId <= PIPELINES.length) {
          return Array.from({ length: STAGES_PER_PIPELINE }, (_, i) => stageId(parentId, i));
        }
        return [];
      case 'campaign':
        if (key === 'campaignMessages') {
          return CAMPAIGN_MESSAGES.flatMap((r, i) => (r.campaign === parentId ? [CAMPAIGN_MESSAGE_ID_BASE + i + 1] : []));
        }
        return [];
    }
  }

  // ------------------------------------------------------------------ derived values

  /** Contacts per tag: base counts (one scan, once) corrected by the overlay of changes. */
  tagSubscriberCount(tag: number): number {
    if (!this.tagCounts || this.tagCounts.version !== this.version) {
      if (!this.tagBaseCounts) {
        const base = new Int32Array(TAG_COUNT + 1);
        const space = this.contactTags.rows.base;
        for (let id = space.nextPresent(1); id !== 0; id = space.nextPresent(id + 1)) {
          const t = this.baseTagOf(id);
          base[t] = (base[t] as number) + 1;
        }
        this.tagBaseCounts = base;
      }
      const counts = Int32Array.from(this.tagBaseCounts);
      for (const id of this.contactTags.rows.deletedBaseIds()) {
        const t = this.baseTagOf(id);
        counts[t] = (counts[t] as number) - 1;
      }
      for (const id of this.contactTags.rows.insertedIds()) {
        const t = this.contactTags.struct(id).tag;
        counts[t] = (counts[t] as number) + 1;
      }
      this.tagCounts = { version: this.version, counts };
    }
    return this.tagCounts.counts[tag] ?? 0;
  }

  private baseTagOf(id: number): number {
    const g = Math.floor((id - 1) / SLOTS.contactTags);
    const j = (id - 1) % SLOTS.contactTags;
    const start = hash(this.seed, Tag.tagSlot, g, 0) % CONTACT_TAG_CHOICES;
    const step = 1 + (hash(this.seed, Tag.tagSlot, g, 1) % 5);
    return ((start + j * step) % CONTACT_TAG_CHOICES) + 1;
  }

  private baseListOf(id: number): number {
    const g = Math.floor((id - 1) / SLOTS.contactLists);
    const j = (id - 1) % SLOTS.contactLists;
    return ((hash(this.seed, Tag.listSlot, g) + j) % LIST_COUNT) + 1;
  }

  /** Status of a task (1 done, 0 open), patches first. */
  taskStatus(id: number): number {
    const patch = this.dealTasks.patch(id);
    if (patch && typeof patch.status === 'number') return patch.status;
    return unit(this.seed, Tag.taskDone, id) < 0.55 ? 1 : 0;
  }

  private taskTimes(id: number, s: TaskS): { due: number; end: number; done: number; duration: number } {
    const rng = new Rng(hash(this.seed, Tag.task, id, 7));
    const duration = (TASK_TYPES[rng.int(TASK_TYPE_COUNT)] as (typeof TASK_TYPES)[number]).duration;
    // Base tasks stay inside the base period; tasks inserted by mutations are due after their creation.
    const limit = (t: number): number => (s.c > BASE_END ? Math.floor(t) : clamp(t));
    const due = limit(s.c + rng.range(1, 14) * DAY + rng.range(0, 20) * 1800);
    return { due, end: limit(due + duration * 60), done: limit(due + rng.range(-3600, 3 * DAY)), duration };
  }

  /** The first open task of a deal, for `nexttaskid`/`nextTask`/`nextdate`. */
  nextTaskOf(dealId: number): number {
    for (const id of this.children(this.dealTasks, 'deal', dealId)) if (this.taskStatus(id) === 0) return id;
    return 0;
  }

  /** Currency (lower case) and value in cents of a deal, patches first. */
  dealMoney(id: number): { currency: string; value: number } {
    const s = this.deals.struct(id);
    const rng = new Rng(hash(this.seed, Tag.deal, id, 3));
    const pipelineCurrency = (PIPELINES[s.pipeline - 1] as (typeof PIPELINES)[number]).currency;
    const currency = rng.chance(0.8) ? pipelineCurrency : rng.pick(['brl', 'usd', 'eur']);
    const base = rng.chance(0.05) ? 0 : rng.range(50, 250_000) * 100;
    const patch = this.deals.patch(id);
    const value = patch && typeof patch.value === 'string' ? Number(patch.value) : base;
    return { currency, value };
  }

  // ------------------------------------------------------------------ table specs

  private contactSpec(): TableSpec<ContactS> {
    return {
      struct: (id) => this.contactTimes(id),
      time: (key, _id, s) => (key === 'udate' ? s.u : key === 'cdate' ? s.c : undefined),
      render: (id, s, ctx) => {
        const rng = new Rng(hash(this.seed, Tag.contact, id, 2));
        const names = this.contactNames(id);
        const domain = rng.pick(DOMAINS);
        const noEmail = rng.chance(0.005);
        const bounced = rng.chance(0.03);
        const adate = rng.chance(0.7) ? isoTime(s.c + rng.next() * (s.u - s.c)) : null;
        const isoUtc = rng.chance(0.1);
        return {
          cdate: isoTime(s.c),
          email: noEmail ? '' : `${names.firstAscii}.${names.lastAscii}${id}@${domain}`,
          phone: rng.chance(0.25) ? '' : `+55 11 9${rng.range(1000, 9999)}-${rng.range(1000, 9999)}`,
          firstName: names.first,
          lastName: names.last,
          orgid: '0',
          orgname: rng.chance(0.5) ? rng.pick(ORG_NAMES) : '',
          segmentio_id: '',
          bounced_hard: bounced ? '1' : '0',
          bounced_soft: rng.chance(0.05) ? String(rng.range(1, 3)) : '0',
          bounced_date: bounced ? localDate(s.c) : ZERO_DATE,
          ip: rng.chance(0.3) ? '0' : ipv4(rng),
          ua: rng.chance(0.2) ? 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "quoted"' : '',
          hash: rng.hex(32),
          socialdata_lastcheck: ZERO_DATETIME,
          email_local: '',
          email_domain: noEmail ? '' : domain,
          sentcnt: String(rng.int(60)),
          rating_tstamp: rng.chance(0.6) ? localDate(s.u) : ZERO_DATE,
          gravatar: rng.chance(0.3) ? '1' : '0',
          deleted: '0',
          anonymized: '0',
          adate,
          udate: isoTime(s.u),
          edate: rng.chance(0.6) ? isoTime(s.c + rng.next() * (s.u - s.c)) : null,
          deleted_at: ZERO_DATETIME,
          created_utc_timestamp: utcTime(s.c),
          // Some rows carry the UTC timestamp in ISO form with the account's offset (same instant).
          updated_utc_timestamp: isoUtc ? isoTime(s.u) : utcTime(s.u),
          created_timestamp: localTime(s.c),
          updated_timestamp: localTime(s.u),
          created_by: null,
          updated_by: null,
          email_empty: noEmail,
          mpp_tracking: rng.chance(0.2) ? '1' : '0',
          scoreValues: [],
          accountContacts: this.children(this.accountContacts, 'contact', id).map(String),
          links: links(ctx, 'contacts', id, CONTACT_LINKS),
          id: String(id),
          organization: null,
        };
      },
    };
  }

  private fieldValueSpec(): TableSpec<FieldValueS> {
    return {
      struct: (id) => {
        const g = Math.floor((id - 1) / SLOTS.fieldValues);
        const field = ((id - 1) % SLOTS.fieldValues) + 1;
        const t = this.contactTimes(g + 1);
        const c = clamp(t.c + field);
        return { contact: g + 1, field, c, u: Math.max(c, t.u) };
      },
      parents: (s) => [`contact:${s.contact}`],
      render: (id, s, ctx) => ({
        contact: String(s.contact),
        field: String(s.field),
        value: this.fieldValue(id, s.field),
        cdate: isoTime(s.c),
        udate: isoTime(s.u),
        created_by: null,
        updated_by: null,
        links: links(ctx, 'fieldValues', id, ['owner', 'field']),
        id: String(id),
        owner: String(s.contact),
      }),
    };
  }

  /** A value of the field's type: `||`-joined for listbox and checkbox fields. */
  fieldValue(id: number, field: number, variant = 0): string {
    const rng = new Rng(hash(this.seed, Tag.fieldValue, id, variant));
    const f = CONTACT_FIELDS[field - 1] as (typeof CONTACT_FIELDS)[number];
    const options = f.options ?? [];
    switch (f.type) {
      case 'text':
        return rng.pick(JOB_TITLES);
      case 'textarea':
        return rng.chance(0.1) ? '' : noteText(rng);
      case 'dropdown':
      case 'radio':
        return rng.pick(options);
      case 'listbox':
      case 'checkbox': {
        const chosen = options.filter(() => rng.chance(0.45));
        if (chosen.length === 0) chosen.push(rng.pick(options));
        return `||${chosen.join('||')}||`;
      }
      case 'date':
        return `${rng.range(1955, 2004)}-${String(rng.range(1, 12)).padStart(2, '0')}-${String(rng.range(1, 28)).padStart(2, '0')}`;
      case 'datetime':
        return isoTime(BASE_START + rng.int(BASE_END - BASE_START));
      default:
        return rng.chance(0.2) ? '' : `shp_${rng.range(100000, 999999)}`;
    }
  }

  private contactTagSpec(): TableSpec<ContactTagS> {
    return {
      struct: (id) => {
        const g = Math.floor((id - 1) / SLOTS.contactTags);
        const j = (id - 1) % SLOTS.contactTags;
        return { contact: g + 1, tag: this.baseTagOf(id), c: clamp(this.contactTimes(g + 1).c + 2 + j * 600) };
      },
      parents: (s) => [`contact:${s.contact}`],
      render: (id, s, ctx) => ({
        contact: String(s.contact),
        tag: String(s.tag),
        cdate: isoTime(s.c),
        created_timestamp: localTime(s.c),
        updated_timestamp: localTime(s.c),
        created_by: null,
        updated_by: null,
        links: links(ctx, 'contactTags', id, ['tag', 'contact']),
        id: String(id),
      }),
    };
  }

  private contactListSpec(): TableSpec<ContactListS> {
    return {
      struct: (id) => {
        const g = Math.floor((id - 1) / SLOTS.contactLists);
        return { contact: g + 1, list: this.baseListOf(id), c: clamp(this.contactTimes(g + 1).c + 1 + ((id - 1) % SLOTS.contactLists) * 60) };
      },
      parents: (s) => [`contact:${s.contact}`],
      render: (id, s, ctx) => {
        const rng = new Rng(hash(this.seed, Tag.contactList, id));
        const roll = rng.next();
        const status = roll < 0.8 ? '1' : roll < 0.95 ? '2' : roll < 0.98 ? '0' : '3';
        const unsubscribed = status === '2';
        const left = unsubscribed ? clamp(s.c + rng.range(1, 300) * DAY) : s.c;
        const viaCampaign = unsubscribed && rng.chance(0.5) ? rng.range(1, CAMPAIGN_COUNT) : 0;
        const names = this.contactNames(s.contact);
        const ip = rng.chance(0.4) ? '0' : ipv4(rng);
        return {
          contact: String(s.contact),
          list: String(s.list),
          form: rng.chance(0.5) ? null : String(rng.range(1, 4)),
          seriesid: '0',
          sdate: isoTime(s.c),
          udate: unsubscribed ? isoTime(left) : null,
          status,
          responder: '1',
          sync: '0',
          unsubreason: unsubscribed ? rng.pick(['', 'Too many emails', 'Não tenho interesse', null]) : null,
          campaign: viaCampaign ? String(viaCampaign) : null,
          message: viaCampaign ? String(viaCampaign) : null,
          first_name: names.first,
          last_name: names.last,
          ip4Sub: ip,
          sourceid: rng.pick(['0', '1', '4']),
          autosyncLog: null,
          ip4_last: ip,
          ip4Unsub: unsubscribed && ip !== '0' ? ip : '0',
          created_timestamp: localTime(s.c),
          updated_timestamp: localTime(left),
          created_by: null,
          updated_by: null,
          unsubscribeAutomation: null,
          links: links(ctx, 'contactLists', id, CONTACT_LIST_LINKS),
          id: String(id),
          automation: null,
        };
      },
    };
  }

  private accountSpec(): TableSpec<AccountS> {
    return {
      struct: (id) => this.accountTimes(id),
      render: (id, s, ctx) => {
        const rng = new Rng(hash(this.seed, Tag.account, id, 2));
        const org = ORG_NAMES[(id - 1) % ORG_NAMES.length] as string;
        return {
          name: id <= ORG_NAMES.length ? org : `${org} ${rng.pick(CITIES)} #${id}`,
          accountUrl: rng.chance(0.3) ? null : `https://${rng.pick(DOMAINS)}`,
          owner: String(rng.range(1, USERS.length)),
          createdTimestamp: isoTime(s.c),
          updatedTimestamp: isoTime(s.u),
          contactCount: ctx.countDeals ? String(this.children(this.accountContacts, 'account', id).length) : '0',
          dealCount: ctx.countDeals ? String(this.children(this.deals, 'account', id).length) : '0',
          links: links(ctx, 'accounts', id, ['notes', 'accountCustomFieldData', 'accountContacts']),
          id: String(id),
        };
      },
    };
  }

  private accountContactSpec(): TableSpec<AccountContactS> {
    return {
      struct: (id) => {
        const contact = Math.floor((id - 1) / SLOTS.accountContacts) + 1;
        const account = ((contact - 1) % this.accountCount) + 1;
        return { contact, account, c: clamp(Math.max(this.contactTimes(contact).c, this.accountTimes(account).c) + 290) };
      },
      parents: (s) => [`contact:${s.contact}`, `account:${s.account}`],
      render: (id, s, ctx) => ({
        account: String(s.account),
        contact: String(s.contact),
        jobTitle: new Rng(hash(this.seed, Tag.accountContact, id)).pick(JOB_TITLES),
        createdTimestamp: isoTime(s.c),
        updatedTimestamp: isoTime(s.c),
        links: links(ctx, 'accountContacts', id, ['account', 'contact']),
        id: String(id),
      }),
    };
  }

  private accountFieldSpec(): TableSpec<AccountFieldS> {
    return {
      struct: (id) => {
        const account = Math.floor((id - 1) / SLOTS.accountFields) + 1;
        const field = ((id - 1) % SLOTS.accountFields) + 1;
        const t = this.accountTimes(account);
        return { account, field, c: clamp(t.c + 30 + field), u: Math.max(clamp(t.c + 30 + field), t.u) };
      },
      parents: (s) => [`account:${s.account}`],
      render: (id, s, ctx) => {
        const f = ACCOUNT_FIELDS[s.field - 1] as (typeof ACCOUNT_FIELDS)[number];
        const value = this.customValue(id, Tag.accountField, f.type, f.options);
        const out: Rec = {
          id: String(id),
          accountCustomFieldMetumId: s.field,
          accountId: s.account,
          customFieldId: s.field,
          createdTimestamp: localTime(s.c),
          updatedTimestamp: localTime(s.u),
          fieldValue: value,
        };
        if (f.type === 'currency') out.fieldCurrency = f.currency;
        out.links = {
          account: `${ctx.api}/accountCustomFieldData/${id}/account`,
          accountCustomFieldMetum: `${ctx.api}/accountCustomFieldData/${id}/accountCustomFieldMetum`,
        };
        return out;
      },
    };
  }

  /** A custom-field value: numbers (currency in cents) as JSON numbers, the rest as strings. */
  customValue(id: number, tag: number, type: string, options: readonly string[] | null, variant = 0): string | number {
    const rng = new Rng(hash(this.seed, tag, id, 9, variant));
    switch (type) {
      case 'currency':
        return rng.range(1, 90_000) * 100;
      case 'number':
        return rng.chance(0.3) ? rng.range(1, 500) + rng.range(1, 99) / 100 : rng.range(1, 5000);
      case 'dropdown':
        return rng.pick(options ?? ['']);
      case 'multiselect': {
        const chosen = (options ?? []).filter(() => rng.chance(0.4));
        return chosen.length === 0 ? '' : `||${chosen.join('||')}||`;
      }
      case 'date':
        return localDate(BASE_START + rng.int(BASE_END - BASE_START));
      case 'textarea':
        return noteText(rng);
      default:
        return rng.chance(0.1) ? '' : rng.pick(['Marta Lima', 'Jürgen Schäfer', 'O\'Connor, Seán', '山田 太郎', 'Ana "Aninha" Souza']);
    }
  }

  private dealSpec(): TableSpec<DealS> {
    return {
      struct: (id) => {
        const g = Math.floor((id - 1) / SLOTS.dealsPerContact);
        const pipeline = this.basePipeline(id);
        const stage = stageId(pipeline, hash(this.seed, Tag.dealPipeline, id, 1) % STAGES_PER_PIPELINE);
        const t = this.dealTimes(id);
        return { contact: g + 1, account: this.baseAccountOfContact(g + 1), pipeline, stage, c: t.c, u: t.u };
      },
      parents: (s) => (s.account ? [`contact:${s.contact}`, `account:${s.account}`] : [`contact:${s.contact}`]),
      time: (key, _id, s) => (key === 'mdate' ? s.u : key === 'cdate' ? s.c : undefined),
      render: (id, s, ctx) => {
        const rng = new Rng(hash(this.seed, Tag.deal, id, 2));
        const money = this.dealMoney(id);
        const statusRoll = rng.next();
        const status = statusRoll < 0.6 ? 0 : statusRoll < 0.8 ? 1 : 2;
        const nextTask = this.nextTaskOf(id);
        const nextDue = nextTask ? this.taskTimes(nextTask, this.dealTasks.struct(nextTask)).due : 0;
        const account = s.account ? String(s.account) : null;
        const winProbability = rng.chance(0.3) ? null : rng.int(101);
        return {
          hash: rng.hex(8),
          owner: String(rng.range(1, USERS.length)),
          contact: String(s.contact),
          organization: account,
          group: String(s.pipeline),
          stage: String(s.stage),
          title: rng.pick(DEAL_TITLES),
          description: rng.chance(0.4) ? '' : noteText(rng),
          percent: '0',
          cdate: isoTime(s.c),
          mdate: isoTime(s.u),
          nextdate: nextTask ? isoTime(nextDue) : null,
          nexttaskid: String(nextTask),
          value: String(money.value),
          currency: money.currency,
          winProbability,
          winProbabilityMdate: winProbability === null ? null : isoTime(s.u),
          status: String(status),
          activitycount: String(this.children(this.dealActivities, 'deal', id).length),
          nextdealid: String(id),
          edate: status === 0 ? ZERO_DATETIME : localTime(s.u),
          links: links(ctx, 'deals', id, DEAL_LINKS),
          id: String(id),
          isDisabled: false,
          account,
          customerAccount: account,
          nextTask: nextTask ? String(nextTask) : null,
        };
      },
      // Deals of a pipeline the key's user may not manage come back as {id, isDisabled: 1, title}.
      finalize: (record, id, s) => (this.isRestrictedPipeline(s.pipeline) ? { id: String(id), isDisabled: 1, title: record.title } : record),
    };
  }

  private activitySpec(): TableSpec<ActivityS> {
    return {
      struct: (id) => {
        const deal = Math.floor((id - 1) / SLOTS.activitiesPerDeal) + 1;
        const k = (id - 1) % SLOTS.activitiesPerDeal;
        const n = this.baseActivityCount(deal);
        const t = this.dealTimes(deal);
        return { deal, k, c: n <= 1 ? t.c : Math.floor(t.c + ((t.u - t.c) * k) / (n - 1)) };
      },
      parents: (s) => [`deal:${s.deal}`],
      render: (id, s, ctx) => {
        const rng = new Rng(hash(this.seed, Tag.activity, id));
        const deal = this.deals.struct(s.deal);
        const [dataType, dataAction] = s.k === 0 ? (['deal', 'add'] as const) : rng.pick(ACTIVITY_KINDS);
        const user = String(rng.range(1, USERS.length));
        let dataId = String(s.deal);
        let oldValue: string | null = null;
        if (dataType === 'd_stageid') {
          dataId = String(deal.stage);
          oldValue = String(stageId(deal.pipeline, rng.int(STAGES_PER_PIPELINE)));
        } else if (dataType === 'value') {
          oldValue = String(rng.range(1, 9000) * 100);
        } else if (dataType === 'userid') {
          dataId = user;
          oldValue = String(rng.range(1, USERS.length));
        } else if (dataType !== 'deal') {
          dataId = String(rng.range(1, 999_999));
        }
        const stage = rng.chance(0.2) ? null : String(deal.stage);
        return {
          d_id: String(s.deal),
          d_stageid: stage,
          userid: user,
          dataId,
          dataType,
          dataAction,
          dataOldval: oldValue,
          cdate: isoTime(s.c),
          sortdate: isoTime(s.c),
          isAddtask: dataType === 'task' ? '1' : '0',
          deleted: '0',
          seriesid: '0',
          links: links(ctx, 'dealActivities', id, ['deal', 'stage', 'user', 'automation', 'activity']),
          id: String(id),
          deal: String(s.deal),
          stage,
          user,
          automation: null,
        };
      },
    };
  }

  private dealFieldSpec(): TableSpec<DealFieldS> {
    return {
      // Patches hold the value variant and update time; both shapes render them.
      ownsPatch: true,
      struct: (id) => {
        const deal = Math.floor((id - 1) / SLOTS.dealFields) + 1;
        const field = ((id - 1) % SLOTS.dealFields) + 1;
        const t = this.dealTimes(deal);
        const c = clamp(t.c + 4 + field);
        return { deal, field, c, u: Math.max(c, t.u) };
      },
      parents: (s) => [`deal:${s.deal}`],
      render: (id, s, ctx) => {
        const { value, currency } = this.dealFieldValue(id, s);
        const f = DEAL_FIELDS[s.field - 1] as (typeof DEAL_FIELDS)[number];
        const out: Rec = {
          id: String(id),
          dealCustomFieldMetumId: s.field,
          dealId: s.deal,
          customFieldId: s.field,
          createdTimestamp: localTime(s.c),
          updatedTimestamp: localTime(this.dealFieldUpdated(id, s)),
          fieldValue: value,
        };
        if (f.type === 'currency') out.fieldCurrency = currency.toUpperCase();
        out.links = {
          deal: `${ctx.api}/dealCustomFieldData/${id}/deal`,
          dealCustomFieldMetum: `${ctx.api}/dealCustomFieldData/${id}/dealCustomFieldMetum`,
        };
        return out;
      },
    };
  }

  private dealFieldValue(id: number, s: DealFieldS): { value: string | number; currency: string } {
    const f = DEAL_FIELDS[s.field - 1] as (typeof DEAL_FIELDS)[number];
    const patch = this.dealCustomFieldData.patch(id);
    const variant = patch && typeof patch.variant === 'number' ? patch.variant : 0;
    return { value: this.customValue(id, Tag.dealField, f.type, f.options, variant), currency: 'brl' };
  }

  private dealFieldUpdated(id: number, s: DealFieldS): number {
    const patch = this.dealCustomFieldData.patch(id);
    return patch && typeof patch.u === 'number' ? patch.u : s.u;
  }

  /** The `include=dealCustomFieldData` sideload shape of a deal custom-field value (snake_case keys). */
  dealFieldSideload(id: number, ctx: RenderContext): Rec {
    const s = this.dealCustomFieldData.struct(id);
    const f = DEAL_FIELDS[s.field - 1] as (typeof DEAL_FIELDS)[number];
    const { value, currency } = this.dealFieldValue(id, s);
    const text = f.type === 'text' || f.type === 'dropdown' ? String(value) : null;
    return {
      deal_id: String(s.deal),
      custom_field_id: String(s.field),
      custom_field_text_value: text,
      custom_field_text_blob: f.type === 'textarea' ? String(value) : null,
      custom_field_date_value: f.type === 'date' ? String(value) : null,
      custom_field_number_value: f.type === 'number' ? String(value) : null,
      custom_field_currency_value: f.type === 'currency' ? (value as number).toFixed(2) : null,
      custom_field_currency_type: f.type === 'currency' ? currency : null,
      created_timestamp: localTime(s.c),
      updated_timestamp: localTime(this.dealFieldUpdated(id, s)),
      created_by: '1',
      updated_by: s.field % 2 === 0 ? null : '1',
      links: {
        deal: `${ctx.api}/dealCustomFieldData/${id}/deal`,
        dealCustomFieldMetum: `${ctx.api}/dealCustomFieldData/${id}/dealCustomFieldMetum`,
      },
      id: String(id),
      dealCustomFieldMetum: String(s.field),
    };
  }

  private contactDealSpec(): TableSpec<ContactDealS> {
    return {
      struct: (id) => {
        const deal = Math.floor((id - 1) / SLOTS.contactDealsPerDeal) + 1;
        const primary = Math.floor((deal - 1) / SLOTS.dealsPerContact);
        const off = 1 + (hash(this.seed, Tag.contactDeal, deal, 1) % 5);
        return { deal, contact: ((primary + off) % this.contactCount) + 1, c: clamp(this.dealTimes(deal).c + 5400) };
      },
      parents: (s) => [`deal:${s.deal}`, `contact:${s.contact}`],
      render: (id, s, ctx) => ({
        deal: String(s.deal),
        contact: String(s.contact),
        role: String(1 + (hash(this.seed, Tag.contactDeal, id, 2) % 4)),
        cdate: isoTime(s.c),
        created_timestamp: localTime(s.c),
        updated_timestamp: localTime(s.c),
        created_by: '1',
        updated_by: id % 3 === 0 ? null : '1',
        links: links(ctx, 'contactDeals', id, ['deal', 'contact']),
        id: String(id),
      }),
    };
  }

  private noteSpec(): TableSpec<NoteS> {
    return {
      struct: (id) => {
        const g = Math.floor((id - 1) / SLOTS.notesPerContact);
        const slot = (id - 1) % SLOTS.notesPerContact;
        const r = unit(this.seed, Tag.note, id, 1);
        if (slot < 2) {
          const t = this.contactTimes(g + 1);
          const c = clamp(t.c + 40 + r * (t.u - t.c));
          return { reltype: 'Subscriber', relid: g + 1, c, u: unit(this.seed, Tag.note, id, 2) < 0.7 ? c : clamp(c + 25) };
        }
        if (slot === 2) {
          const account = (g % this.accountCount) + 1;
          const t = this.accountTimes(account);
          const c = clamp(Math.max(t.c, this.contactTimes(g + 1).c) + r * 30 * DAY);
          return { reltype: 'CustomerAccount', relid: account, c, u: c };
        }
        const j = Math.floor((slot - 3) / 2);
        const deal = g * SLOTS.dealsPerContact + j + 1;
        const t = this.dealTimes(deal);
        const c = clamp(t.c + 60 + r * (t.u - t.c));
        if ((slot - 3) % 2 === 0) return { reltype: 'Deal', relid: deal, c, u: c };
        return { reltype: 'Activity', relid: (deal - 1) * SLOTS.activitiesPerDeal + 1, c, u: c };
      },
      parents: (s) => [`${OWNER_TYPE[s.reltype]}:${s.relid}`],
      render: (id, s, ctx) => {
        const rng = new Rng(hash(this.seed, Tag.note, id, 3));
        const user = String(rng.range(1, USERS.length));
        return {
          relid: String(s.relid),
          reltype: s.reltype,
          userid: user,
          is_draft: rng.chance(0.03) ? '1' : '0',
          cdate: isoTime(s.c),
          mdate: isoTime(s.u),
          note: rng.chance(0.01) ? longText(rng) : noteText(rng),
          links: links(ctx, 'notes', id, ['activities', 'user', 'mentions', 'notes', 'owner']),
          id: String(id),
          user,
          owner: { type: OWNER_TYPE[s.reltype], id: String(s.relid) },
        };
      },
    };
  }

  private taskSpec(): TableSpec<TaskS> {
    return {
      struct: (id) => {
        const g = Math.floor((id - 1) / SLOTS.tasksPerContact);
        const slot = (id - 1) % SLOTS.tasksPerContact;
        const r = unit(this.seed, Tag.task, id, 1);
        if (slot === 0) {
          const t = this.contactTimes(g + 1);
          return { reltype: 'Subscriber', relid: g + 1, c: clamp(t.c + 300 + r * (t.u - t.c)) };
        }
        const deal = g * SLOTS.dealsPerContact + slot;
        const t = this.dealTimes(deal);
        return { reltype: 'Deal', relid: deal, c: clamp(t.c + 300 + r * (t.u - t.c)) };
      },
      parents: (s) => [`${s.reltype === 'Deal' ? 'deal' : 'contact'}:${s.relid}`],
      render: (id, s, ctx) => {
        const rng = new Rng(hash(this.seed, Tag.task, id, 3));
        const times = this.taskTimes(id, s);
        const status = this.taskStatus(id);
        const type = rng.range(1, TASK_TYPE_COUNT);
        const user = String(rng.range(1, USERS.length));
        const assignee = String(rng.range(1, USERS.length));
        const outcome = status === 1 && rng.chance(0.7) ? rng.range(1, TASK_OUTCOME_COUNT) : null;
        const done = status === 1 ? times.done : 0;
        const updated = status === 1 ? Math.max(done, s.c) : s.c;
        const out: Rec = {
          id: String(id),
          duedate: isoTime(times.due),
          edate: isoTime(times.end),
          duration: String(times.duration),
          status,
          title: rng.chance(0.1) ? null : rng.pick(TASK_TITLES),
          note: rng.chance(0.3) ? '' : noteText(rng),
          relid: String(s.relid),
          reltype: s.reltype,
          dealTasktype: String(type),
          cdate: isoTime(s.c),
          udate: isoTime(updated),
          donedate: status === 1 ? isoTime(done) : null,
          automation: null,
          doneAutomation: null,
          user,
          assignee,
          owner: { type: s.reltype === 'Deal' ? 'deal' : 'contact', id: String(s.relid) },
          outcomeId: outcome,
          outcomeInfo: outcome === null ? '' : rng.pick(['Asked for a follow-up in May', 'Ligou de volta', '']),
        };
        // The five keys the table contract infers are sent on some rows only (tables.md 1.8).
        if (rng.chance(0.65)) {
          out.adate = isoTime(s.c + 60);
          out.created_timestamp = localTime(s.c);
          out.created_utc_timestamp = utcTime(s.c);
          out.done_by = status === 1 ? assignee : null;
          out.updated_utc_timestamp = utcTime(updated);
        }
        out.links = links(ctx, 'dealTasks', id, TASK_LINKS);
        return out;
      },
    };
  }
}
