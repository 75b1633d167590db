/**
 * Accounts (companies), their links to contacts, their custom-field values and definitions. A contact's group
 * has two account-contact slots (at most one used); contacts c, c+A, c+2A… share account ((c-1) mod A)+1.
 */
import { ACCOUNT_FIELDS, USERS, renderCustomFieldMeta } from '../fixed.js';
import { DenseSpace, SlotSpace } from '../layout.js';
import { Rng, Tag, hash } from '../random.js';
import { Table, type Rec, type TableSpec } from '../table.js';
import { CITIES, DOMAINS, ORG_NAMES } from '../text.js';
import { isoTime, localTime } from '../time.js';
import { SLOTS, type BaseAccount, type Times } from './base.js';
import type { DealStruct } from './deals.js';
import { JOB_TITLES, clampToBase, customFieldValue, fixedTable, links } from './shared.js';

export type AccountStruct = Times;

export interface AccountContactStruct {
  contact: number;
  account: number;
  created: number;
}

export interface AccountFieldStruct {
  account: number;
  field: number;
  created: number;
  updated: number;
}

export class AccountTables {
  readonly accounts: Table<AccountStruct>;
  readonly accountContacts: Table<AccountContactStruct>;
  readonly accountCustomFieldData: Table<AccountFieldStruct>;
  readonly accountCustomFieldMeta: Table<null>;

  constructor(
    private readonly base: BaseAccount,
    private readonly deals: Table<DealStruct>,
  ) {
    this.accounts = new Table('accounts', new DenseSpace(base.accountCount), this.accountSpec());
    this.accountContacts = new Table('accountContacts', base.accountContactSpace, this.accountContactSpec());
    this.accountCustomFieldData = new Table('accountCustomFieldData', new SlotSpace(base.accountCount, SLOTS.accountFields, (group) =>
      base.presenceMask(group, Tag.accountField, SLOTS.accountFields, 0.6)), this.accountFieldSpec());
    this.accountCustomFieldMeta = fixedTable('accountCustomFieldMeta', ACCOUNT_FIELDS.length, 1, (id, ctx) => renderCustomFieldMeta(id, ctx, 'account'));
  }

  private accountSpec(): TableSpec<AccountStruct> {
    const base = this.base;
    return {
      struct: (id) => base.accountTimes(id),
      render: (id, account, ctx) => {
        const rng = new Rng(hash(base.seed, Tag.account, id, 2));
        const org = ORG_NAMES[(id - 1) % ORG_NAMES.length] as string;
        return {
          name: id <= ORG_NAMES.length ? org : `${org} ${rng.pick(CITIES)} #${id}`,
          accountUrl: rng.chance(0.3) ? null : `https://${rng.pick(DOMAINS)}`,
          owner: String(rng.range(1, USERS.length)),
          createdTimestamp: isoTime(account.created),
          updatedTimestamp: isoTime(account.updated),
          // Counts are sent only with `count_deals=true`.
          contactCount: ctx.countDeals ? String(this.accountContacts.children('account', id).length) : '0',
          dealCount: ctx.countDeals ? String(this.deals.children('account', id).length) : '0',
          links: links(ctx, 'accounts', id, ['notes', 'accountCustomFieldData', 'accountContacts']),
          id: String(id),
        };
      },
    };
  }

  private accountContactSpec(): TableSpec<AccountContactStruct> {
    const base = this.base;
    return {
      struct: (id) => {
        const contact = Math.floor((id - 1) / SLOTS.accountContacts) + 1;
        const account = ((contact - 1) % base.accountCount) + 1;
        return { contact, account, created: clampToBase(Math.max(base.contactTimes(contact).created, base.accountTimes(account).created) + 290) };
      },
      parents: (link) => [`contact:${link.contact}`, `account:${link.account}`],
      baseChildren: (parent, parentId) => {
        if (parent === 'contact') return base.idsOfContact(base.accountContactSpace, parentId);
        if (parent === 'account') return base.contactsOfAccount(parentId).flatMap((contact) => base.idsOfContact(base.accountContactSpace, contact));
        return [];
      },
      render: (id, link, ctx) => ({
        account: String(link.account),
        contact: String(link.contact),
        jobTitle: new Rng(hash(base.seed, Tag.accountContact, id)).pick(JOB_TITLES),
        createdTimestamp: isoTime(link.created),
        updatedTimestamp: isoTime(link.created),
        links: links(ctx, 'accountContacts', id, ['account', 'contact']),
        id: String(id),
      }),
    };
  }

  private accountFieldSpec(): TableSpec<AccountFieldStruct> {
    const base = this.base;
    return {
      struct: (id) => {
        const account = Math.floor((id - 1) / SLOTS.accountFields) + 1;
        const field = ((id - 1) % SLOTS.accountFields) + 1;
        const times = base.accountTimes(account);
        const created = clampToBase(times.created + 30 + field);
        return { account, field, created, updated: Math.max(created, times.updated) };
      },
      parents: (value) => [`account:${value.account}`],
      baseChildren: (parent, parentId) =>
        parent === 'account' && parentId >= 1 && parentId <= base.accountCount ? (this.accountCustomFieldData.rows.base as SlotSpace).idsOfGroup(parentId - 1) : [],
      render: (id, value, ctx) => {
        const field = ACCOUNT_FIELDS[value.field - 1] as (typeof ACCOUNT_FIELDS)[number];
        const out: Rec = {
          id: String(id),
          accountCustomFieldMetumId: value.field,
          accountId: value.account,
          customFieldId: value.field,
          createdTimestamp: localTime(value.created),
          updatedTimestamp: localTime(value.updated),
          fieldValue: customFieldValue(base.seed, id, Tag.accountField, field.type, field.options),
        };
        if (field.type === 'currency') out.fieldCurrency = field.currency;
        out.links = {
          account: `${ctx.api}/accountCustomFieldData/${id}/account`,
          accountCustomFieldMetum: `${ctx.api}/accountCustomFieldData/${id}/accountCustomFieldMetum`,
        };
        return out;
      },
    };
  }
}
