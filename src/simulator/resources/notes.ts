/**
 * Notes on contacts, accounts, deals and deal activities. A contact's group has seven note slots: two on the
 * contact, one on its account, and for each of its two deal slots one on the deal and one on the deal's first
 * activity (present only where the deal is).
 */
import { USERS } from '../fixed.js';
import { SlotSpace } from '../layout.js';
import { Rng, Tag, hash, unit } from '../random.js';
import { Table, type ParentKind, type TableSpec } from '../table.js';
import { longText, noteText } from '../text.js';
import { DAY, isoTime } from '../time.js';
import { SLOTS, type BaseAccount } from './base.js';
import { clampToBase, links } from './shared.js';

export type NoteReltype = 'Subscriber' | 'CustomerAccount' | 'Deal' | 'Activity';

export interface NoteStruct {
  reltype: NoteReltype;
  relid: number;
  created: number;
  updated: number;
}

const OWNER_TYPE: Record<NoteReltype, string> = { Subscriber: 'contact', CustomerAccount: 'account', Deal: 'deal', Activity: 'activity' };

/** Slots of a contact's group: 0-1 contact, 2 account, 3 + 2j deal slot j, 4 + 2j that deal's first activity. */
const ACCOUNT_SLOT = 2;
const dealSlot = (dealIndex: number): number => 3 + 2 * dealIndex;
const activitySlot = (dealIndex: number): number => 4 + 2 * dealIndex;

export class NoteTables {
  readonly notes: Table<NoteStruct>;

  constructor(private readonly base: BaseAccount) {
    this.notes = new Table('notes', new SlotSpace(base.contactCount, SLOTS.notesPerContact, (group) => this.noteMask(group)), this.noteSpec());
  }

  private noteMask(group: number): number {
    const seed = this.base.seed;
    let mask = 0;
    if (unit(seed, Tag.presence, Tag.note, group, 0) < 0.15) mask |= 1;
    if (unit(seed, Tag.presence, Tag.note, group, 1) < 0.15) mask |= 2;
    if (unit(seed, Tag.presence, Tag.note, group, ACCOUNT_SLOT) < 0.05) mask |= 1 << ACCOUNT_SLOT;
    const deals = this.base.dealSpace.groupMask(group);
    for (let dealIndex = 0; dealIndex < SLOTS.dealsPerContact; dealIndex++) {
      if (((deals >>> dealIndex) & 1) === 0) continue;
      if (unit(seed, Tag.presence, Tag.note, group, dealSlot(dealIndex)) < 0.4) mask |= 1 << dealSlot(dealIndex);
      if (unit(seed, Tag.presence, Tag.note, group, activitySlot(dealIndex)) < 0.1) mask |= 1 << activitySlot(dealIndex);
    }
    return mask;
  }

  private baseChildren(parent: ParentKind, parentId: number): number[] {
    const base = this.base;
    const space = this.notes.rows.base as SlotSpace;
    switch (parent) {
      case 'contact':
        return base.idsOfContact(space, parentId, (slot) => slot < ACCOUNT_SLOT);
      case 'account':
        return base.contactsOfAccount(parentId).flatMap((contact) => base.idsOfContact(space, contact, (slot) => slot === ACCOUNT_SLOT));
      case 'deal': {
        if (!base.isBaseDeal(parentId)) return [];
        const contactIndex = Math.floor((parentId - 1) / SLOTS.dealsPerContact);
        const dealIndex = (parentId - 1) % SLOTS.dealsPerContact;
        return base.idsOfContact(space, contactIndex + 1, (slot) => slot === dealSlot(dealIndex));
      }
      case 'activity': {
        // Only the first activity of a base deal carries notes.
        const deal = Math.floor((parentId - 1) / SLOTS.activitiesPerDeal) + 1;
        if ((parentId - 1) % SLOTS.activitiesPerDeal !== 0 || !base.isBaseDeal(deal)) return [];
        const contactIndex = Math.floor((deal - 1) / SLOTS.dealsPerContact);
        const dealIndex = (deal - 1) % SLOTS.dealsPerContact;
        return base.idsOfContact(space, contactIndex + 1, (slot) => slot === activitySlot(dealIndex));
      }
      default:
        return [];
    }
  }

  private noteSpec(): TableSpec<NoteStruct> {
    const base = this.base;
    return {
      struct: (id) => {
        const contactIndex = Math.floor((id - 1) / SLOTS.notesPerContact);
        const slot = (id - 1) % SLOTS.notesPerContact;
        const position = unit(base.seed, Tag.note, id, 1);
        if (slot < ACCOUNT_SLOT) {
          const times = base.contactTimes(contactIndex + 1);
          const created = clampToBase(times.created + 40 + position * (times.updated - times.created));
          return { reltype: 'Subscriber', relid: contactIndex + 1, created, updated: unit(base.seed, Tag.note, id, 2) < 0.7 ? created : clampToBase(created + 25) };
        }
        if (slot === ACCOUNT_SLOT) {
          const account = (contactIndex % base.accountCount) + 1;
          const times = base.accountTimes(account);
          const created = clampToBase(Math.max(times.created, base.contactTimes(contactIndex + 1).created) + position * 30 * DAY);
          return { reltype: 'CustomerAccount', relid: account, created, updated: created };
        }
        const dealIndex = Math.floor((slot - 3) / 2);
        const deal = contactIndex * SLOTS.dealsPerContact + dealIndex + 1;
        const times = base.dealTimes(deal);
        const created = clampToBase(times.created + 60 + position * (times.updated - times.created));
        if (slot === dealSlot(dealIndex)) return { reltype: 'Deal', relid: deal, created, updated: created };
        return { reltype: 'Activity', relid: (deal - 1) * SLOTS.activitiesPerDeal + 1, created, updated: created };
      },
      parents: (note) => [`${OWNER_TYPE[note.reltype]}:${note.relid}`],
      baseChildren: (parent, parentId) => this.baseChildren(parent, parentId),
      render: (id, note, ctx) => {
        const rng = new Rng(hash(base.seed, Tag.note, id, 3));
        const user = String(rng.range(1, USERS.length));
        return {
          relid: String(note.relid),
          reltype: note.reltype,
          userid: user,
          is_draft: rng.chance(0.03) ? '1' : '0',
          cdate: isoTime(note.created),
          mdate: isoTime(note.updated),
          note: rng.chance(0.01) ? longText(rng) : noteText(rng),
          links: links(ctx, 'notes', id, ['activities', 'user', 'mentions', 'notes', 'owner']),
          id: String(id),
          user,
          owner: { type: OWNER_TYPE[note.reltype], id: String(note.relid) },
        };
      },
    };
  }
}
