/**
 * Deterministic changes to the account, as an overlay: inserts, updates and deletes spread over the tables
 * (weighted towards contacts, deals and their children). Updates bump the timestamps the real API bumps to
 * the current wall-clock time; deleting a contact or a deal removes its children everywhere.
 */
import { CONTACT_FIELD_COUNT, DEAL_FIELDS, LIST_COUNT, PIPELINES, STAGES_PER_PIPELINE, TAG_COUNT, TASK_OUTCOME_COUNT, stageId } from './fixed.js';
import type { Model } from './model.js';
import { Rng, Tag, hash } from './random.js';
import type { Rec, Table } from './table.js';
import { DEAL_TITLES, FIRST_NAMES, LAST_NAMES, ORG_NAMES, noteText } from './text.js';
import { isoTime, localTime, nowSeconds, utcTime } from './time.js';

export interface ChangeCounts { insert: number; update: number; delete: number }

export interface MutationResult {
  /** Rows changed per resource (envelope key), cascaded deletes and timestamp bumps included. */
  applied: Record<string, ChangeCounts>;
  /** Number of primary changes applied (the request's `changes`). */
  changes: number;
}

type Operation = (mutator: Mutator) => boolean;

/** Relative weights of the primary changes. */
const OPERATIONS: readonly (readonly [number, Operation])[] = [
  [18, (mutator) => mutator.updateContact()],
  [8, (mutator) => mutator.insertContact()],
  [4, (mutator) => mutator.deleteRandomContact()],
  [10, (mutator) => mutator.updateFieldValue()],
  [4, (mutator) => mutator.insertFieldValue()],
  [2, (mutator) => mutator.deleteFieldValue()],
  [7, (mutator) => mutator.addTag()],
  [5, (mutator) => mutator.removeTag()],
  [3, (mutator) => mutator.updateContactList()],
  [2, (mutator) => mutator.insertContactList()],
  [10, (mutator) => mutator.updateDeal()],
  [4, (mutator) => mutator.insertDeal()],
  [2, (mutator) => mutator.deleteRandomDeal()],
  [4, (mutator) => mutator.updateDealField()],
  [1, (mutator) => mutator.insertDealField()],
  [2, (mutator) => mutator.insertTask()],
  [2, (mutator) => mutator.updateTask()],
  [2, (mutator) => mutator.insertNote()],
  [1, (mutator) => mutator.updateNote()],
  [2, (mutator) => mutator.updateAccount()],
  [1, (mutator) => mutator.insertAccount()],
  [1, (mutator) => mutator.insertAccountContact()],
  [1, (mutator) => mutator.insertContactDeal()],
];
const TOTAL_WEIGHT = OPERATIONS.reduce((sum, [w]) => sum + w, 0);

export function mutate(model: Model, seed: number, changes: number, now = nowSeconds()): MutationResult {
  const mutator = new Mutator(model, new Rng(hash(model.seed, Tag.mutation, seed)), now);
  let applied = 0;
  for (let attempt = 0; applied < changes && attempt < changes * 20 + 20; attempt++) {
    let roll = mutator.rng.next() * TOTAL_WEIGHT;
    let operation = (OPERATIONS[0] as (typeof OPERATIONS)[number])[1];
    for (const [weight, op] of OPERATIONS) {
      if (roll < weight) {
        operation = op;
        break;
      }
      roll -= weight;
    }
    if (operation(mutator)) applied++;
  }
  model.version++;
  return { applied: mutator.applied, changes: applied };
}

/** One tag changed as in the app (POST /__sim/tag): renamed, described, its count set, or deleted. */
export interface TagChange {
  readonly id: number;
  readonly tag?: string;
  readonly description?: string;
  /** Held until the tag is changed again; otherwise the count follows the contact-tag changes. */
  readonly subscriber_count?: number;
  readonly delete?: boolean;
}

/**
 * Changes one tag without touching any contact: a tag edited or deleted in the app moves no contact's `udate`,
 * so an incremental sync sees it only by reading /tags. Deleting a tag keeps its contact-tag associations, whose
 * tag then no longer resolves (the sideload leaves it out; contacts_tags keeps the rows with NULL tag columns).
 */
export function changeTag(model: Model, change: TagChange, now = nowSeconds()): MutationResult {
  if (!Number.isInteger(change.id) || !model.tags.rows.has(change.id)) throw new RangeError(`no tag ${String(change.id)}`);
  const mutator = new Mutator(model, new Rng(hash(model.seed, Tag.mutation, change.id)), now);
  mutator.changeTag(change);
  model.version++;
  return { applied: mutator.applied, changes: 1 };
}

class Mutator {
  readonly applied: Record<string, ChangeCounts> = {};
  private readonly iso: string;
  private readonly local: string;
  private readonly utc: string;

  constructor(
    private readonly model: Model,
    readonly rng: Rng,
    private readonly now: number,
  ) {
    this.iso = isoTime(now);
    this.local = localTime(now);
    this.utc = utcTime(now);
  }

  private count(table: Table<unknown>, kind: keyof ChangeCounts): void {
    const counts = (this.applied[table.key] ??= { insert: 0, update: 0, delete: 0 });
    counts[kind]++;
  }

  private pick(table: Table<unknown>): number {
    const n = table.rows.count();
    return n === 0 ? 0 : table.rows.select(this.rng.int(n));
  }

  private insert<S>(table: Table<S>, struct: S, patch?: Rec): number {
    const id = table.insert(struct, patch);
    this.count(table, 'insert');
    return id;
  }

  private update(table: Table<unknown>, id: number, patch: Rec): void {
    table.update(id, patch);
    this.count(table, 'update');
  }

  private remove(table: Table<unknown>, id: number): void {
    if (table.remove(id)) this.count(table, 'delete');
  }

  private bumpContact(id: number): void {
    this.update(this.model.contacts, id, { udate: this.iso, updated_timestamp: this.local, updated_utc_timestamp: this.utc });
  }

  /**
   * A custom-field value or a list membership changed: its parent's date moves unless the switch
   * `childChangesBumpParent` is off (the reference says neither way).
   */
  private childChanged(bumpParent: () => void): void {
    if (this.model.childChangesBumpParent) bumpParent();
  }

  private bumpDeal(id: number): void {
    this.update(this.model.deals, id, { mdate: this.iso });
  }

  // ---------------------------------------------------------------- contacts and their children

  updateContact(): boolean {
    const id = this.pick(this.model.contacts);
    if (!id) return false;
    const patch: Rec = {};
    switch (this.rng.int(4)) {
      case 0:
        patch.firstName = this.rng.pick(FIRST_NAMES)[0];
        break;
      case 1:
        patch.lastName = this.rng.pick(LAST_NAMES)[0];
        break;
      case 2:
        patch.phone = this.rng.chance(0.2) ? '' : `+55 21 9${this.rng.range(1000, 9999)}-${this.rng.range(1000, 9999)}`;
        break;
      default:
        patch.orgname = this.rng.pick(ORG_NAMES);
    }
    this.update(this.model.contacts, id, { ...patch, udate: this.iso, updated_timestamp: this.local, updated_utc_timestamp: this.utc });
    return true;
  }

  insertContact(): boolean {
    const model = this.model;
    const id = this.insert(model.contacts, { created: this.now, updated: this.now });
    const fields = new Set<number>();
    const fieldCount = this.rng.range(1, 3);
    while (fields.size < fieldCount) fields.add(this.rng.range(1, CONTACT_FIELD_COUNT));
    for (const field of fields) this.insert(model.fieldValues, { contact: id, field, created: this.now, updated: this.now });
    if (this.rng.chance(0.5)) this.insert(model.contactTags, { contact: id, tag: this.rng.range(1, TAG_COUNT - 2), created: this.now });
    if (this.rng.chance(0.7)) this.insertMembership(id, this.rng.range(1, LIST_COUNT));
    return true;
  }

  deleteRandomContact(): boolean {
    const id = this.pick(this.model.contacts);
    if (!id) return false;
    this.deleteContact(id);
    return true;
  }

  /** Deleting a contact removes its field values, tags, memberships, notes, tasks, account links and deals. */
  deleteContact(id: number): void {
    const model = this.model;
    for (const table of [model.fieldValues, model.contactTags, model.contactLists, model.accountContacts, model.notes, model.dealTasks, model.contactDeals]) {
      for (const child of table.children('contact', id)) this.remove(table, child);
    }
    for (const deal of model.deals.children('contact', id)) this.deleteDeal(deal);
    this.remove(model.contacts, id);
  }

  updateFieldValue(): boolean {
    const model = this.model;
    const id = this.pick(model.fieldValues);
    if (!id) return false;
    const value = model.fieldValues.struct(id);
    this.update(model.fieldValues, id, { value: model.fieldValue(id, value.field, 1 + this.rng.int(1000)), udate: this.iso });
    this.childChanged(() => this.bumpContact(value.contact));
    return true;
  }

  insertFieldValue(): boolean {
    const model = this.model;
    const contact = this.pick(model.contacts);
    if (!contact) return false;
    const taken = new Set(model.fieldValues.children('contact', contact).map((id) => model.fieldValues.struct(id).field));
    const free: number[] = [];
    for (let f = 1; f <= CONTACT_FIELD_COUNT; f++) if (!taken.has(f)) free.push(f);
    if (free.length === 0) return false;
    this.insert(model.fieldValues, { contact, field: this.rng.pick(free), created: this.now, updated: this.now });
    this.childChanged(() => this.bumpContact(contact));
    return true;
  }

  deleteFieldValue(): boolean {
    const model = this.model;
    const id = this.pick(model.fieldValues);
    if (!id) return false;
    const contact = model.fieldValues.struct(id).contact;
    this.remove(model.fieldValues, id);
    this.childChanged(() => this.bumpContact(contact));
    return true;
  }

  /** Tag changes do not touch the contact's `udate` (docs/tables.md 2.33: schedule a periodic full run). */
  addTag(): boolean {
    const model = this.model;
    const contact = this.pick(model.contacts);
    if (!contact) return false;
    const taken = new Set(model.contactTags.children('contact', contact).map((id) => model.contactTags.struct(id).tag));
    const free: number[] = [];
    for (let t = 1; t <= TAG_COUNT - 2; t++) if (!taken.has(t)) free.push(t);
    if (free.length === 0) return false;
    this.insert(model.contactTags, { contact, tag: this.rng.pick(free), created: this.now });
    return true;
  }

  changeTag(change: TagChange): void {
    const tags = this.model.tags;
    if (change.delete) {
      this.remove(tags, change.id);
      return;
    }
    const patch: Rec = { updated_timestamp: this.local };
    if (change.tag !== undefined) patch.tag = change.tag;
    if (change.description !== undefined) patch.description = change.description;
    // The API sends the count as a string.
    if (change.subscriber_count !== undefined) patch.subscriber_count = String(change.subscriber_count);
    this.update(tags, change.id, patch);
  }

  removeTag(): boolean {
    const id = this.pick(this.model.contactTags);
    if (!id) return false;
    this.remove(this.model.contactTags, id);
    return true;
  }

  private insertMembership(contact: number, list: number): void {
    this.insert(this.model.contactLists, { contact, list, created: this.now }, {
      udate: null, status: '1', unsubreason: null, campaign: null, message: null, ip4Unsub: '0', updated_timestamp: this.local,
    });
  }

  updateContactList(): boolean {
    const model = this.model;
    const id = this.pick(model.contactLists);
    if (!id) return false;
    const current = model.contactLists.record(id, { api: '', countDeals: false });
    const patch: Rec = current.status === '2'
      ? { udate: null, status: '1', unsubreason: null, updated_timestamp: this.local }
      : { udate: this.iso, status: '2', unsubreason: this.rng.pick(['Too many emails', 'Não tenho interesse', '']), updated_timestamp: this.local };
    this.update(model.contactLists, id, patch);
    this.childChanged(() => this.bumpContact(model.contactLists.struct(id).contact));
    return true;
  }

  insertContactList(): boolean {
    const model = this.model;
    const contact = this.pick(model.contacts);
    if (!contact) return false;
    const taken = new Set(model.contactLists.children('contact', contact).map((id) => model.contactLists.struct(id).list));
    const free: number[] = [];
    for (let l = 1; l <= LIST_COUNT; l++) if (!taken.has(l)) free.push(l);
    if (free.length === 0) return false;
    this.insertMembership(contact, this.rng.pick(free));
    this.childChanged(() => this.bumpContact(contact));
    return true;
  }

  // ---------------------------------------------------------------- deals and their children

  updateDeal(): boolean {
    const model = this.model;
    const id = this.pick(model.deals);
    if (!id) return false;
    const deal = model.deals.struct(id);
    const record = model.deals.record(id, { api: '', countDeals: false });
    const patch: Rec = { mdate: this.iso };
    let activity: Rec;
    const kind = this.rng.int(3);
    if (kind === 0) {
      // Stage moves stay inside the deal's pipeline (a deal never changes pipeline here).
      const current = typeof record.stage === 'string' ? Number(record.stage) : deal.stage;
      const next = stageId(deal.pipeline, this.rng.int(STAGES_PER_PIPELINE));
      patch.stage = String(next);
      activity = { dataType: 'd_stageid', dataAction: 'update', dataId: String(next), dataOldval: String(current), d_stageid: String(next), stage: String(next) };
    } else if (kind === 1) {
      const value = String(this.rng.range(50, 250_000) * 100);
      activity = { dataType: 'value', dataAction: 'update', dataId: String(id), dataOldval: typeof record.value === 'string' ? record.value : null };
      patch.value = value;
    } else {
      const status = this.rng.chance(0.6) ? '1' : '2';
      patch.status = status;
      patch.edate = this.local;
      activity = { dataType: 'status', dataAction: 'update', dataId: String(id), dataOldval: typeof record.status === 'string' ? record.status : '0' };
    }
    this.update(model.deals, id, patch);
    this.insert(model.dealActivities, { deal: id, position: 1, created: this.now }, { ...activity, cdate: this.iso, sortdate: this.iso, isAddtask: '0' });
    return true;
  }

  insertDeal(): boolean {
    const model = this.model;
    const contact = this.pick(model.contacts);
    if (!contact) return false;
    const links = model.accountContacts.children('contact', contact);
    const account = links.length > 0 ? model.accountContacts.struct(links[0] as number).account : 0;
    const roll = this.rng.next();
    const pipeline = roll < 0.5 ? 1 : roll < 0.85 ? 2 : PIPELINES.length;
    const stage = stageId(pipeline, this.rng.int(STAGES_PER_PIPELINE));
    const id = this.insert(model.deals, { contact, account, pipeline, stage, created: this.now, updated: this.now }, {
      title: this.rng.pick(DEAL_TITLES), status: '0', edate: '0000-00-00 00:00:00',
    });
    this.insert(model.dealActivities, { deal: id, position: 0, created: this.now }, { dataType: 'deal', dataAction: 'add', dataId: String(id), dataOldval: null });
    return true;
  }

  deleteRandomDeal(): boolean {
    const id = this.pick(this.model.deals);
    if (!id) return false;
    this.deleteDeal(id);
    return true;
  }

  /** Deleting a deal removes its activities (and their notes), custom-field values, tasks, notes and contact links. */
  deleteDeal(id: number): void {
    const model = this.model;
    for (const activity of model.dealActivities.children('deal', id)) {
      for (const note of model.notes.children('activity', activity)) this.remove(model.notes, note);
      this.remove(model.dealActivities, activity);
    }
    for (const table of [model.dealCustomFieldData, model.dealTasks, model.notes, model.contactDeals]) {
      for (const child of table.children('deal', id)) this.remove(table, child);
    }
    this.remove(model.deals, id);
  }

  updateDealField(): boolean {
    const model = this.model;
    const id = this.pick(model.dealCustomFieldData);
    if (!id) return false;
    this.update(model.dealCustomFieldData, id, { variant: 1 + this.rng.int(100_000), updated: this.now });
    this.childChanged(() => this.bumpDeal(model.dealCustomFieldData.struct(id).deal));
    return true;
  }

  insertDealField(): boolean {
    const model = this.model;
    for (let attempt = 0; attempt < 5; attempt++) {
      const deal = this.pick(model.deals);
      if (!deal) return false;
      if (model.isRestrictedPipeline(model.deals.struct(deal).pipeline)) continue;
      const taken = new Set(model.dealCustomFieldData.children('deal', deal).map((id) => model.dealCustomFieldData.struct(id).field));
      const free: number[] = [];
      for (let f = 1; f <= DEAL_FIELDS.length; f++) if (!taken.has(f)) free.push(f);
      if (free.length === 0) continue;
      this.insert(model.dealCustomFieldData, { deal, field: this.rng.pick(free), created: this.now, updated: this.now });
      this.childChanged(() => this.bumpDeal(deal));
      return true;
    }
    return false;
  }

  insertTask(): boolean {
    const model = this.model;
    const onDeal = this.rng.chance(0.5);
    const relid = this.pick((onDeal ? model.deals : model.contacts));
    if (!relid) return false;
    this.insert(model.dealTasks, { reltype: onDeal ? 'Deal' : 'Subscriber', relid, created: this.now }, { status: 0 });
    if (onDeal) this.bumpDeal(relid);
    return true;
  }

  updateTask(): boolean {
    const model = this.model;
    const id = this.pick(model.dealTasks);
    if (!id) return false;
    const record = model.dealTasks.record(id, { api: '', countDeals: false });
    const patch: Rec = { udate: this.iso };
    if (record.status === 0) {
      const outcome = this.rng.range(1, TASK_OUTCOME_COUNT);
      Object.assign(patch, { status: 1, donedate: this.iso, outcomeId: outcome, outcomeInfo: 'Closed by a simulated change' });
      if ('done_by' in record) patch.done_by = String(record.assignee);
    } else {
      patch.note = noteText(this.rng);
    }
    if ('updated_utc_timestamp' in record) patch.updated_utc_timestamp = this.utc;
    this.update(model.dealTasks, id, patch);
    const task = model.dealTasks.struct(id);
    if (task.reltype === 'Deal') this.bumpDeal(task.relid);
    return true;
  }

  insertNote(): boolean {
    const model = this.model;
    const roll = this.rng.next();
    const [reltype, table] = roll < 0.6 ? (['Subscriber', model.contacts] as const) : roll < 0.85 ? (['Deal', model.deals] as const) : (['CustomerAccount', model.accounts] as const);
    const relid = this.pick(table);
    if (!relid) return false;
    this.insert(model.notes, { reltype, relid, created: this.now, updated: this.now });
    return true;
  }

  updateNote(): boolean {
    const id = this.pick(this.model.notes);
    if (!id) return false;
    this.update(this.model.notes, id, { note: noteText(this.rng), mdate: this.iso });
    return true;
  }

  updateAccount(): boolean {
    const model = this.model;
    const id = this.pick(model.accounts);
    if (!id) return false;
    const patch: Rec = this.rng.chance(0.5) ? { name: `${this.rng.pick(ORG_NAMES)} (${id})` } : { accountUrl: `https://acct${id}.example` };
    this.update(model.accounts, id, { ...patch, updatedTimestamp: this.iso });
    return true;
  }

  insertAccount(): boolean {
    this.insert(this.model.accounts, { created: this.now, updated: this.now });
    return true;
  }

  insertAccountContact(): boolean {
    const model = this.model;
    const contact = this.pick(model.contacts);
    const account = this.pick(model.accounts);
    if (!contact || !account || model.accountContacts.children('contact', contact).length > 0) return false;
    this.insert(model.accountContacts, { contact, account, created: this.now });
    return true;
  }

  insertContactDeal(): boolean {
    const model = this.model;
    const deal = this.pick(model.deals);
    const contact = this.pick(model.contacts);
    if (!deal || !contact || model.deals.struct(deal).contact === contact) return false;
    this.insert(model.contactDeals, { deal, contact, created: this.now });
    return true;
  }
}
