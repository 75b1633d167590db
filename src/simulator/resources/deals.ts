/**
 * Deals and their children: activities, custom-field values (two shapes: the list endpoint's camelCase and the
 * snake_case `include=dealCustomFieldData` sideload), secondary contacts, and the deal custom-field definitions.
 * A contact's group has two deal slots; a deal slot has eight activity slots, one slot per deal custom field
 * and two secondary-contact slots, present only where the deal is.
 */
import { DEAL_FIELDS, PIPELINES, STAGES_PER_PIPELINE, USERS, renderCustomFieldMeta, stageId } from '../fixed.js';
import { SlotSpace } from '../layout.js';
import { Rng, Tag, hash, unit } from '../random.js';
import { Table, type Rec, type RenderContext, type TableSpec } from '../table.js';
import { DEAL_TITLES, noteText } from '../text.js';
import { ZERO_DATETIME, isoTime, localTime } from '../time.js';
import { SLOTS, type BaseAccount } from './base.js';
import { clampToBase, customFieldValue, fixedTable, links } from './shared.js';
import type { TaskTables } from './tasks.js';

export interface DealStruct {
  contact: number;
  /** 0 when the deal has no account. */
  account: number;
  pipeline: number;
  stage: number;
  created: number;
  updated: number;
}

export interface ActivityStruct {
  deal: number;
  /** Index of the activity within its deal; 0 is the deal's creation. */
  position: number;
  created: number;
}

export interface DealFieldStruct {
  deal: number;
  field: number;
  created: number;
  updated: number;
}

export interface ContactDealStruct {
  deal: number;
  contact: number;
  created: number;
}

const DEAL_LINKS = [
  'dealActivities', 'contact', 'contactDeals', 'group', 'nextTask', 'notes', 'account', 'customerAccount',
  'organization', 'owner', 'scoreValues', 'stage', 'tasks', 'dealCustomFieldData',
];
const ACTIVITY_KINDS = [
  ['d_stageid', 'update'], ['value', 'update'], ['note', 'add'], ['task', 'add'], ['userid', 'update'], ['email', 'add'],
] as const;

export function isRestrictedPipeline(pipeline: number): boolean {
  return PIPELINES[pipeline - 1]?.restricted === true;
}

export class DealTables {
  readonly deals: Table<DealStruct>;
  readonly dealActivities: Table<ActivityStruct>;
  readonly dealCustomFieldData: Table<DealFieldStruct>;
  readonly contactDeals: Table<ContactDealStruct>;
  readonly dealCustomFieldMeta: Table<null>;

  /** `cdateTies()` says whether base deals share their batch's `cdate` (read on every row, so it may change). */
  constructor(
    private readonly base: BaseAccount,
    private readonly tasks: TaskTables,
    private readonly cdateTies: () => boolean,
  ) {
    const seed = base.seed;
    const dealSlots = base.contactCount * SLOTS.dealsPerContact;
    this.deals = new Table('deals', base.dealSpace, this.dealSpec());
    this.dealActivities = new Table('dealActivities', new SlotSpace(dealSlots, SLOTS.activitiesPerDeal, (group) =>
      base.dealSpace.present(group + 1) ? (1 << base.activityCount(group + 1)) - 1 : 0), this.activitySpec());
    this.dealCustomFieldData = new Table('dealCustomFieldData', new SlotSpace(dealSlots, SLOTS.dealFields, (group) =>
      base.dealSpace.present(group + 1) && !base.isDealRestricted(group + 1) ? base.presenceMask(group, Tag.dealField, SLOTS.dealFields, 0.5) : 0), this.dealFieldSpec());
    this.contactDeals = new Table('contactDeals', new SlotSpace(dealSlots, SLOTS.contactDealsPerDeal, (group) =>
      base.dealSpace.present(group + 1) && unit(seed, Tag.presence, Tag.contactDeal, group) < 0.3 ? 1 << (hash(seed, Tag.contactDeal, group) & 1) : 0), this.contactDealSpec());
    this.dealCustomFieldMeta = fixedTable('dealCustomFieldMeta', DEAL_FIELDS.length, 1, (id, ctx) => renderCustomFieldMeta(id, ctx, 'deal'));
  }

  /** Currency (lower case) and value in cents of a deal, patches first. */
  money(id: number): { currency: string; value: number } {
    const deal = this.deals.struct(id);
    const rng = new Rng(hash(this.base.seed, Tag.deal, id, 3));
    const pipelineCurrency = (PIPELINES[deal.pipeline - 1] as (typeof PIPELINES)[number]).currency;
    const currency = rng.chance(0.8) ? pipelineCurrency : rng.pick(['brl', 'usd', 'eur']);
    const baseValue = rng.chance(0.05) ? 0 : rng.range(50, 250_000) * 100;
    const patch = this.deals.patch(id);
    const value = patch && typeof patch.value === 'string' ? Number(patch.value) : baseValue;
    return { currency, value };
  }

  /** The `include=dealCustomFieldData` sideload shape of a deal custom-field value (snake_case keys). */
  fieldSideload(id: number, ctx: RenderContext): Rec {
    const value = this.dealCustomFieldData.struct(id);
    const field = DEAL_FIELDS[value.field - 1] as (typeof DEAL_FIELDS)[number];
    const { fieldValue, currency } = this.fieldValue(id, value);
    const text = field.type === 'text' || field.type === 'dropdown' ? String(fieldValue) : null;
    return {
      deal_id: String(value.deal),
      custom_field_id: String(value.field),
      custom_field_text_value: text,
      custom_field_text_blob: field.type === 'textarea' ? String(fieldValue) : null,
      custom_field_date_value: field.type === 'date' ? String(fieldValue) : null,
      custom_field_number_value: field.type === 'number' ? String(fieldValue) : null,
      custom_field_currency_value: field.type === 'currency' ? (fieldValue as number).toFixed(2) : null,
      custom_field_currency_type: field.type === 'currency' ? currency : null,
      created_timestamp: localTime(value.created),
      updated_timestamp: localTime(this.fieldUpdated(id, value)),
      created_by: '1',
      updated_by: value.field % 2 === 0 ? null : '1',
      links: {
        deal: `${ctx.api}/dealCustomFieldData/${id}/deal`,
        dealCustomFieldMetum: `${ctx.api}/dealCustomFieldData/${id}/dealCustomFieldMetum`,
      },
      id: String(id),
      dealCustomFieldMetum: String(value.field),
    };
  }

  /** Base ids of a deal's slotted children (activities, custom-field values, secondary contacts). */
  private baseChildrenOfDeal(table: Table<unknown>, dealId: number): number[] {
    return this.base.isBaseDeal(dealId) ? (table.rows.base as SlotSpace).idsOfGroup(dealId - 1) : [];
  }

  private dealSpec(): TableSpec<DealStruct> {
    const base = this.base;
    return {
      struct: (id) => {
        const contactIndex = Math.floor((id - 1) / SLOTS.dealsPerContact);
        const pipeline = base.pipelineOfDeal(id);
        const stage = stageId(pipeline, hash(base.seed, Tag.dealPipeline, id, 1) % STAGES_PER_PIPELINE);
        const times = base.dealTimes(id);
        const created = this.cdateTies() ? base.dealBatchCreated(id) : times.created;
        return { contact: contactIndex + 1, account: base.accountOfContact(contactIndex + 1), pipeline, stage, created, updated: times.updated };
      },
      parents: (deal) => (deal.account ? [`contact:${deal.contact}`, `account:${deal.account}`] : [`contact:${deal.contact}`]),
      baseChildren: (parent, parentId) => {
        if (parent === 'contact') return base.idsOfContact(base.dealSpace, parentId);
        if (parent !== 'account') return [];
        return base.contactsOfAccount(parentId)
          .filter((contact) => base.accountOfContact(contact) === parentId)
          .flatMap((contact) => base.idsOfContact(base.dealSpace, contact));
      },
      time: (key, _id, deal) => (key === 'mdate' ? deal.updated : key === 'cdate' ? deal.created : undefined),
      render: (id, deal, ctx) => {
        const rng = new Rng(hash(base.seed, Tag.deal, id, 2));
        const money = this.money(id);
        const statusRoll = rng.next();
        const status = statusRoll < 0.6 ? 0 : statusRoll < 0.8 ? 1 : 2;
        const nextTask = this.tasks.nextTaskOf(id);
        const nextDue = nextTask ? this.tasks.times(nextTask, this.tasks.dealTasks.struct(nextTask)).due : 0;
        const account = deal.account ? String(deal.account) : null;
        const winProbability = rng.chance(0.3) ? null : rng.int(101);
        return {
          hash: rng.hex(8),
          owner: String(rng.range(1, USERS.length)),
          contact: String(deal.contact),
          organization: account,
          group: String(deal.pipeline),
          stage: String(deal.stage),
          title: rng.pick(DEAL_TITLES),
          description: rng.chance(0.4) ? '' : noteText(rng),
          percent: '0',
          cdate: isoTime(deal.created),
          mdate: isoTime(deal.updated),
          nextdate: nextTask ? isoTime(nextDue) : null,
          nexttaskid: String(nextTask),
          value: String(money.value),
          currency: money.currency,
          winProbability,
          winProbabilityMdate: winProbability === null ? null : isoTime(deal.updated),
          status: String(status),
          activitycount: String(this.dealActivities.children('deal', id).length),
          nextdealid: String(id),
          edate: status === 0 ? ZERO_DATETIME : localTime(deal.updated),
          links: links(ctx, 'deals', id, DEAL_LINKS),
          id: String(id),
          isDisabled: false,
          account,
          customerAccount: account,
          nextTask: nextTask ? String(nextTask) : null,
        };
      },
      // Deals of a pipeline the key's user may not manage come back as {id, isDisabled: 1, title}.
      finalize: (record, id, deal) => (isRestrictedPipeline(deal.pipeline) ? { id: String(id), isDisabled: 1, title: record.title } : record),
    };
  }

  private activitySpec(): TableSpec<ActivityStruct> {
    const base = this.base;
    return {
      struct: (id) => {
        const deal = Math.floor((id - 1) / SLOTS.activitiesPerDeal) + 1;
        const position = (id - 1) % SLOTS.activitiesPerDeal;
        const count = base.activityCount(deal);
        const times = base.dealTimes(deal);
        // Activities are spread evenly between the deal's creation and its last update.
        const created = count <= 1 ? times.created : Math.floor(times.created + ((times.updated - times.created) * position) / (count - 1));
        return { deal, position, created };
      },
      parents: (activity) => [`deal:${activity.deal}`],
      baseChildren: (parent, parentId) => (parent === 'deal' ? this.baseChildrenOfDeal(this.dealActivities, parentId) : []),
      render: (id, activity, ctx) => {
        const rng = new Rng(hash(base.seed, Tag.activity, id));
        const deal = this.deals.struct(activity.deal);
        const [dataType, dataAction] = activity.position === 0 ? (['deal', 'add'] as const) : rng.pick(ACTIVITY_KINDS);
        const user = String(rng.range(1, USERS.length));
        let dataId = String(activity.deal);
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
          d_id: String(activity.deal),
          d_stageid: stage,
          userid: user,
          dataId,
          dataType,
          dataAction,
          dataOldval: oldValue,
          cdate: isoTime(activity.created),
          sortdate: isoTime(activity.created),
          isAddtask: dataType === 'task' ? '1' : '0',
          deleted: '0',
          seriesid: '0',
          links: links(ctx, 'dealActivities', id, ['deal', 'stage', 'user', 'automation', 'activity']),
          id: String(id),
          deal: String(activity.deal),
          stage,
          user,
          automation: null,
        };
      },
    };
  }

  private dealFieldSpec(): TableSpec<DealFieldStruct> {
    const base = this.base;
    return {
      // Patches hold the value variant and update time; both shapes render them.
      ownsPatch: true,
      struct: (id) => {
        const deal = Math.floor((id - 1) / SLOTS.dealFields) + 1;
        const field = ((id - 1) % SLOTS.dealFields) + 1;
        const times = base.dealTimes(deal);
        const created = clampToBase(times.created + 4 + field);
        return { deal, field, created, updated: Math.max(created, times.updated) };
      },
      parents: (value) => [`deal:${value.deal}`],
      baseChildren: (parent, parentId) => (parent === 'deal' ? this.baseChildrenOfDeal(this.dealCustomFieldData, parentId) : []),
      render: (id, value, ctx) => {
        const { fieldValue, currency } = this.fieldValue(id, value);
        const field = DEAL_FIELDS[value.field - 1] as (typeof DEAL_FIELDS)[number];
        const out: Rec = {
          id: String(id),
          dealCustomFieldMetumId: value.field,
          dealId: value.deal,
          customFieldId: value.field,
          createdTimestamp: localTime(value.created),
          updatedTimestamp: localTime(this.fieldUpdated(id, value)),
          fieldValue,
        };
        if (field.type === 'currency') out.fieldCurrency = currency.toUpperCase();
        out.links = {
          deal: `${ctx.api}/dealCustomFieldData/${id}/deal`,
          dealCustomFieldMetum: `${ctx.api}/dealCustomFieldData/${id}/dealCustomFieldMetum`,
        };
        return out;
      },
    };
  }

  /** A deal custom-field value; a mutation's patch holds a new value variant. */
  private fieldValue(id: number, value: DealFieldStruct): { fieldValue: string | number; currency: string } {
    const field = DEAL_FIELDS[value.field - 1] as (typeof DEAL_FIELDS)[number];
    const patch = this.dealCustomFieldData.patch(id);
    const variant = patch && typeof patch.variant === 'number' ? patch.variant : 0;
    return { fieldValue: customFieldValue(this.base.seed, id, Tag.dealField, field.type, field.options, variant), currency: 'brl' };
  }

  private fieldUpdated(id: number, value: DealFieldStruct): number {
    const patch = this.dealCustomFieldData.patch(id);
    return patch && typeof patch.updated === 'number' ? patch.updated : value.updated;
  }

  private contactDealSpec(): TableSpec<ContactDealStruct> {
    const base = this.base;
    return {
      struct: (id) => {
        const deal = Math.floor((id - 1) / SLOTS.contactDealsPerDeal) + 1;
        const primaryIndex = Math.floor((deal - 1) / SLOTS.dealsPerContact);
        const distance = 1 + (hash(base.seed, Tag.contactDeal, deal, 1) % 5);
        return { deal, contact: ((primaryIndex + distance) % base.contactCount) + 1, created: clampToBase(base.dealTimes(deal).created + 5400) };
      },
      parents: (link) => [`deal:${link.deal}`, `contact:${link.contact}`],
      baseChildren: (parent, parentId) => {
        if (parent === 'deal') return this.baseChildrenOfDeal(this.contactDeals, parentId);
        if (parent !== 'contact' || !base.isContact(parentId)) return [];
        // Secondary contacts sit 1..5 contacts after the deal's primary contact.
        const contactCount = base.contactCount;
        const found = new Set<number>();
        for (let distance = 1; distance <= 5; distance++) {
          const primary = ((parentId - 1 - distance + contactCount * 6) % contactCount) + 1;
          for (const deal of base.idsOfContact(base.dealSpace, primary)) {
            for (const id of (this.contactDeals.rows.base as SlotSpace).idsOfGroup(deal - 1)) {
              if (this.contactDeals.struct(id).contact === parentId) found.add(id);
            }
          }
        }
        return [...found].sort((a, b) => a - b);
      },
      render: (id, link, ctx) => ({
        deal: String(link.deal),
        contact: String(link.contact),
        role: String(1 + (hash(base.seed, Tag.contactDeal, id, 2) % 4)),
        cdate: isoTime(link.created),
        created_timestamp: localTime(link.created),
        updated_timestamp: localTime(link.created),
        created_by: '1',
        updated_by: id % 3 === 0 ? null : '1',
        links: links(ctx, 'contactDeals', id, ['deal', 'contact']),
        id: String(id),
      }),
    };
  }
}
