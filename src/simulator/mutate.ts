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

type Operation = (m: Mutator) => boolean;

/** Relative weights of the primary changes. */
const OPERATIONS: readonly (readonly [number, Operation])[] = [
  [18, (m) => m.updateContact()],
  [8, (m) => m.insertContact()],
  [4, (m) => m.deleteRandomContact()],
  [10, (m) => m.updateFieldValue()],
  [4, (m) => m.insertFieldValue()],
  [2, (m) => m.deleteFieldValue()],
  [7, (m) => m.addTag()],
  [5, (m) => m.removeTag()],
  [3, (m) => m.updateContactList()],
  [2, (m) => m.insertContactList()],
  [10, (m) => m.updateDeal()],
  [4, (m) => m.insertDeal()],
  [2, (m) => m.deleteRandomDeal()],
  [4, (m) => m.updateDealField()],
  [1, (m) => m.insertDealField()],
  [2, (m) => m.insertTask()],
  [2, (m) => m.updateTask()],
  [2, (m) => m.insertNote()],
  [1, (m) => m.updateNote()],
  [2, (m) => m.updateAccount()],
  [1, (m) => m.insertAccount()],
  [1, (m) => m.insertAccountContact()],
  [1, (m) => m.insertContactDeal()],
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

  private insert<S>(table: Table<S>, s: S, patch?: Rec): number {
    const id = table.insert(s, patch);
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
    const m = this.model;
    const id = this.insert(m.contacts, { c: this.now, u: this.now });
    const fields = new Set<number>();
    const fieldCount = this.rng.range(1, 3);
    while (fields.size < fieldCount) fields.add(this.rng.range(1, CONTACT_FIELD_COUNT));
    for (const field of fields) this.insert(m.fieldValues, { contact: id, field, c: this.now, u: this.now });
    if (this.rng.chance(0.5)) this.insert(m.contactTags, { contact: id, tag: this.rng.range(1, TAG_COUNT - 2), c: this.now });
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
    const m = this.model;
    for (const table of [m.fieldValues, m.contactTags, m.contactLists, m.accountContacts, m.notes, m.dealTasks, m.contactDeals]) {
      for (const child of m.children(table, 'contact', id)) this.remove(table, child);
    }
    for (const deal of m.children(m.deals, 'contact', id)) this.deleteDeal(deal);
    this.remove(m.contacts, id);
  }

  updateFieldValue(): boolean {
    const m = this.model;
    const id = this.pick(m.fieldValues);
    if (!id) return false;
    const s = m.fieldValues.struct(id);
    this.update(m.fieldValues, id, { value: m.fieldValue(id, s.field, 1 + this.rng.int(1000)), udate: this.iso });
    this.bumpContact(s.contact);
    return true;
  }

  insertFieldValue(): boolean {
    const m = this.model;
    const contact = this.pick(m.contacts);
    if (!contact) return false;
    const taken = new Set(m.children(m.fieldValues, 'contact', contact).map((id) => m.fieldValues.struct(id).field));
    const free: number[] = [];
    for (let f = 1; f <= CONTACT_FIELD_COUNT; f++) if (!taken.has(f)) free.push(f);
    if (free.length === 0) return false;
    this.insert(m.fieldValues, { contact, field: this.rng.pick(free), c: this.now, u: this.now });
    this.bumpContact(contact);
    return true;
  }

  deleteFieldValue(): boolean {
    const m = this.model;
    const id = this.pick(m.fieldValues);
    if (!id) return false;
    const contact = m.fieldValues.struct(id).contact;
    this.remove(m.fieldValues, id);
    this.bumpContact(contact);
    return true;
  }

  /** Tag changes do not touch the contact's `udate` (tables.md 2.33: schedule a periodic full run). */
  addTag(): boolean {
    const m = this.model;
    const contact = this.pick(m.contacts);
    if (!contact) return false;
    const taken = new Set(m.children(m.contactTags, 'contact', contact).map((id) => m.contactTags.struct(id).tag));
    const free: number[] = [];
    for (let t = 1; t <= TAG_COUNT - 2; t++) if (!taken.has(t)) free.push(t);
    if (free.length === 0) return false;
    this.insert(m.contactTags, { contact, tag: this.rng.pick(free), c: this.now });
    return true;
  }

  removeTag(): boolean {
    const id = this.pick(this.model.contactTags);
    if (!id) return false;
    this.remove(this.model.contactTags, id);
    return true;
  }

  private insertMembership(contact: number, list: number): void {
    this.insert(this.model.contactLists, { contact, list, c: this.now }, {
      udate: null, status: '1', unsubreason: null, campaign: null, message: null, ip4Unsub: '0', updated_timestamp: this.local,
    });
  }

  updateContactList(): boolean {
    const m = this.model;
    const id = this.pick(m.contactLists);
    if (!id) return false;
    const current = m.contactLists.record(id, { api: '', countDeals: false });
    const patch: Rec = current.status === '2'
      ? { udate: null, status: '1', unsubreason: null, updated_timestamp: this.local }
      : { udate: this.iso, status: '2', unsubreason: this.rng.pick(['Too many emails', 'Não tenho interesse', '']), updated_timestamp: this.local };
    this.update(m.contactLists, id, patch);
    return true;
  }

  insertContactList(): boolean {
    const m = this.model;
    const contact = this.pick(m.contacts);
    if (!contact) return false;
    const taken = new Set(m.children(m.contactLists, 'contact', contact).map((id) => m.contactLists.struct(id).list));
    const free: number[] = [];
    for (let l = 1; l <= LIST_COUNT; l++) if (!taken.has(l)) free.push(l);
    if (free.length === 0) return false;
    this.insertMembership(contact, this.rng.pick(free));
    return true;
  }

  // ---------------------------------------------------------------- deals and their children

  updateDeal(): boolean {
    const m = this.model;
    const id = this.pick(m.deals);
    if (!id) return false;
    const s = m.deals.struct(id);
    const record = m.deals.record(id, { api: '', countDeals: false });
    const patch: Rec = { mdate: this.iso };
    let activity: Rec;
    const kind = this.rng.int(3);
    if (kind === 0) {
      // Stage moves stay inside the deal's pipeline (a deal never changes pipeline here).
      const current = typeof record.stage === 'string' ? Number(record.stage) : s.stage;
      const next = stageId(s.pipeline, this.rng.int(STAGES_PER_PIPELINE));
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
    this.update(m.deals, id, patch);
    this.insert(m.dealActivities, { deal: id, k: 1, c: this.now }, { ...activity, cdate: this.iso, sortdate: this.iso, isAddtask: '0' });
    return true;
  }

  insertDeal(): boolean {
    const m = this.model;
    const contact = this.pick(m.contacts);
    if (!contact) return false;
    const links = m.children(m.accountContacts, 'contact', contact);
    const account = links.length > 0 ? m.accountContacts.struct(links[0] as number).account : 0;
    const roll = this.rng.next();
    const pipeline = roll < 0.5 ? 1 : roll < 0.85 ? 2 : PIPELINES.length;
    const stage = stageId(pipeline, this.rng.int(STAGES_PER_PIPELINE));
    const id = this.insert(m.deals, { contact, account, pipeline, stage, c: this.now, u: this.now }, {
      title: this.rng.pick(DEAL_TITLES), status: '0', edate: '0000-00-00 00:00:00',
    });
    this.insert(m.dealActivities, { deal: id, k: 0, c: this.now }, { dataType: 'deal', dataAction: 'add', dataId: String(id), dataOldval: null });
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
    const m = this.model;
    for (const activity of m.children(m.dealActivities, 'deal', id)) {
      for (const note of m.children(m.notes, 'activity', activity)) this.remove(m.notes, note);
      this.remove(m.dealActivities, activity);
    }
    for (const table of [m.dealCustomFieldData, m.dealTasks, m.notes, m.contactDeals]) {
      for (const child of m.children(table, 'deal', id)) this.remove(table, child);
    }
    this.remove(m.deals, id);
  }

  updateDealField(): boolean {
    const m = this.model;
    const id = this.pick(m.dealCustomFieldData);
    if (!id) return false;
    this.update(m.dealCustomFieldData, id, { variant: 1 + this.rng.int(100_000), u: this.now });
    this.bumpDeal(m.dealCustomFieldData.struct(id).deal);
    return true;
  }

  insertDealField(): boolean {
    const m = this.model;
    for (let attempt = 0; attempt < 5; attempt++) {
      const deal = this.pick(m.deals);
      if (!deal) return false;
      if (m.isRestrictedPipeline(m.deals.struct(deal).pipeline)) continue;
      const taken = new Set(m.children(m.dealCustomFieldData, 'deal', deal).map((id) => m.dealCustomFieldData.struct(id).field));
      const free: number[] = [];
      for (let f = 1; f <= DEAL_FIELDS.length; f++) if (!taken.has(f)) free.push(f);
      if (free.length === 0) continue;
      this.insert(m.dealCustomFieldData, { deal, field: this.rng.pick(free), c: this.now, u: this.now });
      this.bumpDeal(deal);
      return true;
    }
    return false;
  }

  insertTask(): boolean {
    const m = this.model;
    const onDeal = this.rng.chance(0.5);
    const relid = this.pick((onDeal ? m.deals : m.contacts));
    if (!relid) return false;
    this.insert(m.dealTasks, { reltype: onDeal ? 'Deal' : 'Subscriber', relid, c: this.now }, { status: 0 });
    if (onDeal) this.bumpDeal(relid);
    return true;
  }

  updateTask(): boolean {
    const m = this.model;
    const id = this.pick(m.dealTasks);
    if (!id) return false;
    const record = m.dealTasks.record(id, { api: '', countDeals: false });
    const patch: Rec = { udate: this.iso };
    if (record.status === 0) {
      const outcome = this.rng.range(1, TASK_OUTCOME_COUNT);
      Object.assign(patch, { status: 1, donedate: this.iso, outcomeId: outcome, outcomeInfo: 'Closed by a simulated change' });
      if ('done_by' in record) patch.done_by = String(record.assignee);
    } else {
      patch.note = noteText(this.rng);
    }
    if ('updated_utc_timestamp' in record) patch.updated_utc_timestamp = this.utc;
    this.update(m.dealTasks, id, patch);
    const s = m.dealTasks.struct(id);
    if (s.reltype === 'Deal') this.bumpDeal(s.relid);
    return true;
  }

  insertNote(): boolean {
    const m = this.model;
    const roll = this.rng.next();
    const [reltype, table] = roll < 0.6 ? (['Subscriber', m.contacts] as const) : roll < 0.85 ? (['Deal', m.deals] as const) : (['CustomerAccount', m.accounts] as const);
    const relid = this.pick(table);
    if (!relid) return false;
    this.insert(m.notes, { reltype, relid, c: this.now, u: this.now });
    return true;
  }

  updateNote(): boolean {
    const id = this.pick(this.model.notes);
    if (!id) return false;
    this.update(this.model.notes, id, { note: noteText(this.rng), mdate: this.iso });
    return true;
  }

  updateAccount(): boolean {
    const m = this.model;
    const id = this.pick(m.accounts);
    if (!id) return false;
    const patch: Rec = this.rng.chance(0.5) ? { name: `${this.rng.pick(ORG_NAMES)} (${id})` } : { accountUrl: `https://acct${id}.example` };
    this.update(m.accounts, id, { ...patch, updatedTimestamp: this.iso });
    return true;
  }

  insertAccount(): boolean {
    this.insert(this.model.accounts, { c: this.now, u: this.now });
    return true;
  }

  insertAccountContact(): boolean {
    const m = this.model;
    const contact = this.pick(m.contacts);
    const account = this.pick(m.accounts);
    if (!contact || !account || m.children(m.accountContacts, 'contact', contact).length > 0) return false;
    this.insert(m.accountContacts, { contact, account, c: this.now });
    return true;
  }

  insertContactDeal(): boolean {
    const m = this.model;
    const deal = this.pick(m.deals);
    const contact = this.pick(m.contacts);
    if (!deal || !contact || m.deals.struct(deal).contact === contact) return false;
    this.insert(m.contactDeals, { deal, contact, c: this.now });
    return true;
  }
}
