/**
 * Lists and list memberships (`/contactLists`: three slots per contact, 80 % active, 15 % unsubscribed).
 */
import { CAMPAIGN_COUNT, LIST_COUNT, renderList } from '../fixed.js';
import { SlotSpace } from '../layout.js';
import { Rng, Tag, hash } from '../random.js';
import { Table, type TableSpec } from '../table.js';
import { DAY, isoTime, localTime } from '../time.js';
import { SLOTS, type BaseAccount } from './base.js';
import type { ContactTables } from './contacts.js';
import { clampToBase, fixedTable, ipv4, links } from './shared.js';

export interface MembershipStruct {
  contact: number;
  list: number;
  created: number;
}

const MEMBERSHIP_LINKS = ['automation', 'list', 'contact', 'form', 'autosyncLog', 'campaign', 'unsubscribeAutomation', 'message'];

export class ListTables {
  readonly lists: Table<null>;
  readonly contactLists: Table<MembershipStruct>;

  constructor(
    private readonly base: BaseAccount,
    private readonly contacts: ContactTables,
  ) {
    this.lists = fixedTable('lists', LIST_COUNT, 1, renderList);
    this.contactLists = new Table('contactLists', new SlotSpace(base.contactCount, SLOTS.contactLists, (group) =>
      base.presenceMask(group, Tag.contactList, SLOTS.contactLists, 0.5)), this.membershipSpec());
  }

  /** A contact's memberships are consecutive lists from a random start. */
  private baseListOf(id: number): number {
    const contactIndex = Math.floor((id - 1) / SLOTS.contactLists);
    const slot = (id - 1) % SLOTS.contactLists;
    return ((hash(this.base.seed, Tag.listSlot, contactIndex) + slot) % LIST_COUNT) + 1;
  }

  private membershipSpec(): TableSpec<MembershipStruct> {
    const base = this.base;
    return {
      struct: (id) => {
        const contactIndex = Math.floor((id - 1) / SLOTS.contactLists);
        const slot = (id - 1) % SLOTS.contactLists;
        return { contact: contactIndex + 1, list: this.baseListOf(id), created: clampToBase(base.contactTimes(contactIndex + 1).created + 1 + slot * 60) };
      },
      parents: (membership) => [`contact:${membership.contact}`],
      baseChildren: (parent, contact) => (parent === 'contact' ? base.idsOfContact(this.contactLists.rows.base as SlotSpace, contact) : []),
      render: (id, membership, ctx) => {
        const rng = new Rng(hash(base.seed, Tag.contactList, id));
        const roll = rng.next();
        const status = roll < 0.8 ? '1' : roll < 0.95 ? '2' : roll < 0.98 ? '0' : '3';
        const unsubscribed = status === '2';
        const left = unsubscribed ? clampToBase(membership.created + rng.range(1, 300) * DAY) : membership.created;
        const viaCampaign = unsubscribed && rng.chance(0.5) ? rng.range(1, CAMPAIGN_COUNT) : 0;
        const names = this.contacts.names(membership.contact);
        const ip = rng.chance(0.4) ? '0' : ipv4(rng);
        return {
          contact: String(membership.contact),
          list: String(membership.list),
          form: rng.chance(0.5) ? null : String(rng.range(1, 4)),
          seriesid: '0',
          sdate: isoTime(membership.created),
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
          created_timestamp: localTime(membership.created),
          updated_timestamp: localTime(left),
          created_by: null,
          updated_by: null,
          unsubscribeAutomation: null,
          links: links(ctx, 'contactLists', id, MEMBERSHIP_LINKS),
          id: String(id),
          automation: null,
        };
      },
    };
  }
}
