/**
 * The skeleton of the generated account before any change: how many contacts and accounts it has, which base
 * rows exist (slot masks, one group of slots per contact), and when base contacts, accounts and deals were
 * created and last updated. Every resource builds its rows on this skeleton.
 */
import { ACCOUNT_FIELDS, CONTACT_FIELD_COUNT, DEAL_FIELDS, PIPELINES } from '../fixed.js';
import { SlotSpace } from '../layout.js';
import { Tag, hash, mix32, unit } from '../random.js';
import { BASE_END, BASE_START, DAY } from '../time.js';
import { clampToBase } from './shared.js';

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

/** With `cdateTies`, the deals of this many consecutive contacts (about 150 deals) share one `cdate`. */
export const CONTACTS_PER_DEAL_BATCH = 750;

/** Creation and last-update time of a row, epoch seconds. */
export interface Times {
  created: number;
  updated: number;
}

export class BaseAccount {
  readonly accountCount: number;
  /** Which of a contact's two deal slots hold a deal. */
  readonly dealSpace: SlotSpace;
  /** Which of a contact's two account-contact slots hold a link (at most one does). */
  readonly accountContactSpace: SlotSpace;

  private readonly firstContactTime = BASE_START + 60 * DAY;
  private readonly firstAccountTime = BASE_START + 30 * DAY;
  /** Seconds between the creation of consecutive contacts (and of accounts). */
  private readonly contactInterval: number;
  private readonly accountInterval: number;

  constructor(
    readonly seed: number,
    readonly contactCount: number,
  ) {
    this.accountCount = Math.max(1, Math.round(contactCount / 10));
    this.contactInterval = (BASE_END - 90 * DAY - this.firstContactTime) / contactCount;
    this.accountInterval = (BASE_END - 120 * DAY - this.firstAccountTime) / this.accountCount;
    this.dealSpace = new SlotSpace(contactCount, SLOTS.dealsPerContact, (group) => this.presenceMask(group, Tag.deal, SLOTS.dealsPerContact, 0.1));
    this.accountContactSpace = new SlotSpace(contactCount, SLOTS.accountContacts, (group) =>
      unit(seed, Tag.presence, Tag.accountContact, group) < 0.4 ? 1 << (hash(seed, Tag.accountContact, group) & 1) : 0);
  }

  /**
   * Which slots of a group hold a row, each with probability `probability` (in steps of 1/256): one hash per
   * group, stretched with mix32, 8 bits of it per slot.
   */
  presenceMask(group: number, tableTag: number, slots: number, probability: number): number {
    const threshold = Math.round(probability * 256);
    let word = hash(this.seed, Tag.presence, tableTag, group);
    let mask = 0;
    for (let slot = 0; slot < slots; slot++) {
      if (slot > 0 && slot % 4 === 0) word = mix32(word ^ 0x9e3779b9);
      if (((word >>> ((slot % 4) * 8)) & 0xff) < threshold) mask |= 1 << slot;
    }
    return mask;
  }

  // ------------------------------------------------------------------ timeline

  /** Base creation and update times of a contact: creation time grows with the id. */
  contactTimes(id: number): Times {
    const seed = this.seed;
    const created = Math.floor(this.firstContactTime + (id - 1) * this.contactInterval + unit(seed, Tag.contactTime, id, 0) * this.contactInterval * 0.25);
    const updated = unit(seed, Tag.contactTime, id, 1) < 0.3
      ? created
      : clampToBase(created + unit(seed, Tag.contactTime, id, 2) * Math.min(400 * DAY, BASE_END - created));
    return { created, updated };
  }

  accountTimes(id: number): Times {
    const created = Math.floor(this.firstAccountTime + (id - 1) * this.accountInterval + unit(this.seed, Tag.account, id, 0) * this.accountInterval * 0.5);
    return { created, updated: clampToBase(created + unit(this.seed, Tag.account, id, 1) * Math.min(500 * DAY, BASE_END - created)) };
  }

  /** Base deal times; creation grows with the deal id, so `orders[cdate]` equals id order. */
  dealTimes(id: number): Times {
    const contactIndex = Math.floor((id - 1) / SLOTS.dealsPerContact);
    const slot = (id - 1) % SLOTS.dealsPerContact;
    const contactCreated = this.contactTimes(contactIndex + 1).created;
    const created = Math.floor(contactCreated + this.contactInterval * (0.3 + 0.3 * slot + 0.2 * unit(this.seed, Tag.dealTime, id, 0)));
    const updated = unit(this.seed, Tag.dealTime, id, 1) < 0.2
      ? created
      : clampToBase(created + unit(this.seed, Tag.dealTime, id, 2) * Math.min(300 * DAY, BASE_END - created));
    return { created, updated };
  }

  /**
   * The `cdate` shared by a deal's bulk-created batch (`cdateTies`): the creation time of the batch's first deal
   * slot, which no deal of the batch precedes (contact creation times grow by a whole interval per id).
   */
  dealBatchCreated(dealId: number): number {
    const contactIndex = Math.floor((dealId - 1) / SLOTS.dealsPerContact);
    const firstContactIndex = contactIndex - (contactIndex % CONTACTS_PER_DEAL_BATCH);
    return this.dealTimes(firstContactIndex * SLOTS.dealsPerContact + 1).created;
  }

  // ------------------------------------------------------------------ base structure

  isBaseDeal(dealId: number): boolean {
    return dealId >= 1 && dealId <= this.dealSpace.maxId && this.dealSpace.present(dealId);
  }

  /** Number of activities of a base deal (1..8; the first records the deal's creation). */
  activityCount(dealId: number): number {
    return 1 + (hash(this.seed, Tag.activityCount, dealId) % SLOTS.activitiesPerDeal);
  }

  /** Pipeline of a base deal: half in the first, 35 % in the second, the rest in the restricted third. */
  pipelineOfDeal(dealId: number): number {
    const roll = unit(this.seed, Tag.dealPipeline, dealId);
    return roll < 0.5 ? 1 : roll < 0.85 ? 2 : 3;
  }

  /** True when a base deal sits in a pipeline the key's user may not manage. */
  isDealRestricted(dealId: number): boolean {
    return (PIPELINES[this.pipelineOfDeal(dealId) - 1] as (typeof PIPELINES)[number]).restricted;
  }

  /** Account of a base contact (contacts c, c+A, c+2A… share an account), when it has an account-contact. */
  accountOfContact(contact: number): number {
    return this.accountContactSpace.groupMask(contact - 1) !== 0 ? ((contact - 1) % this.accountCount) + 1 : 0;
  }

  /** The contacts whose base rows may link to an account: a, a+A, a+2A… */
  contactsOfAccount(account: number): number[] {
    const out: number[] = [];
    if (!Number.isInteger(account) || account < 1 || account > this.accountCount) return out;
    for (let contact = account; contact <= this.contactCount; contact += this.accountCount) out.push(contact);
    return out;
  }

  isContact(contact: number): boolean {
    return Number.isInteger(contact) && contact >= 1 && contact <= this.contactCount;
  }

  /** Base ids of one contact's group of a slotted layout, optionally only some slots of it. */
  idsOfContact(space: SlotSpace, contact: number, slotFilter?: (slot: number) => boolean): number[] {
    if (!this.isContact(contact)) return [];
    const ids = space.idsOfGroup(contact - 1);
    return slotFilter ? ids.filter((id) => slotFilter((id - 1) % space.slots)) : ids;
  }
}
