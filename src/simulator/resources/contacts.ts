/**
 * Contacts: one dense row per contact, created in id order across the base period. Their children live in
 * their own modules (custom-field values, tags, list memberships, account links, deals, notes, tasks).
 */
import { DenseSpace } from '../layout.js';
import { Rng, Tag, hash } from '../random.js';
import { Table, type TableSpec } from '../table.js';
import { DOMAINS, FIRST_NAMES, LAST_NAMES, ORG_NAMES } from '../text.js';
import { ZERO_DATE, ZERO_DATETIME, isoTime, localDate, localTime, utcTime } from '../time.js';
import type { BaseAccount, Times } from './base.js';
import type { AccountContactStruct } from './accounts.js';
import { ipv4, links } from './shared.js';

export type ContactStruct = Times;

export interface ContactNames {
  first: string;
  last: string;
  /** ASCII forms, for e-mail addresses. */
  firstAscii: string;
  lastAscii: string;
}

const CONTACT_LINKS = [
  'bounceLogs', 'contactAutomations', 'contactData', 'contactGoals', 'contactLists', 'contactLogs', 'contactTags',
  'contactDeals', 'deals', 'fieldValues', 'geoIps', 'notes', 'organization', 'plusAppend', 'trackingLogs',
  'scoreValues', 'accountContacts', 'automationEntryCounts',
];

export class ContactTables {
  readonly contacts: Table<ContactStruct>;

  constructor(
    private readonly base: BaseAccount,
    private readonly accountContacts: Table<AccountContactStruct>,
  ) {
    this.contacts = new Table('contacts', new DenseSpace(base.contactCount), this.contactSpec());
  }

  /** A contact's base names (2 % have no first name, 3 % no last name). */
  names(id: number): ContactNames {
    const rng = new Rng(hash(this.base.seed, Tag.contact, id, 1));
    const [first, firstAscii] = rng.pick(FIRST_NAMES);
    const [last, lastAscii] = rng.pick(LAST_NAMES);
    const roll = rng.next();
    return { first: roll < 0.02 ? '' : first, last: roll > 0.97 ? '' : last, firstAscii, lastAscii };
  }

  private contactSpec(): TableSpec<ContactStruct> {
    const base = this.base;
    return {
      struct: (id) => base.contactTimes(id),
      time: (key, _id, contact) => (key === 'udate' ? contact.updated : key === 'cdate' ? contact.created : undefined),
      render: (id, contact, ctx) => {
        const rng = new Rng(hash(base.seed, Tag.contact, id, 2));
        const names = this.names(id);
        const domain = rng.pick(DOMAINS);
        const noEmail = rng.chance(0.005);
        const bounced = rng.chance(0.03);
        const { created, updated } = contact;
        const adate = rng.chance(0.7) ? isoTime(created + rng.next() * (updated - created)) : null;
        const isoUtc = rng.chance(0.1);
        return {
          cdate: isoTime(created),
          email: noEmail ? '' : `${names.firstAscii}.${names.lastAscii}${id}@${domain}`,
          phone: rng.chance(0.25) ? '' : `+55 11 9${rng.range(1000, 9999)}-${rng.range(1000, 9999)}`,
          firstName: names.first,
          lastName: names.last,
          orgid: '0',
          orgname: rng.chance(0.5) ? rng.pick(ORG_NAMES) : '',
          segmentio_id: '',
          bounced_hard: bounced ? '1' : '0',
          bounced_soft: rng.chance(0.05) ? String(rng.range(1, 3)) : '0',
          bounced_date: bounced ? localDate(created) : ZERO_DATE,
          ip: rng.chance(0.3) ? '0' : ipv4(rng),
          ua: rng.chance(0.2) ? 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "quoted"' : '',
          hash: rng.hex(32),
          socialdata_lastcheck: ZERO_DATETIME,
          email_local: '',
          email_domain: noEmail ? '' : domain,
          sentcnt: String(rng.int(60)),
          rating_tstamp: rng.chance(0.6) ? localDate(updated) : ZERO_DATE,
          gravatar: rng.chance(0.3) ? '1' : '0',
          deleted: '0',
          anonymized: '0',
          adate,
          udate: isoTime(updated),
          edate: rng.chance(0.6) ? isoTime(created + rng.next() * (updated - created)) : null,
          deleted_at: ZERO_DATETIME,
          created_utc_timestamp: utcTime(created),
          // Some rows carry the UTC timestamp in ISO form with the account's offset (same instant).
          updated_utc_timestamp: isoUtc ? isoTime(updated) : utcTime(updated),
          created_timestamp: localTime(created),
          updated_timestamp: localTime(updated),
          created_by: null,
          updated_by: null,
          email_empty: noEmail,
          mpp_tracking: rng.chance(0.2) ? '1' : '0',
          scoreValues: [],
          accountContacts: this.accountContacts.children('contact', id).map(String),
          links: links(ctx, 'contacts', id, CONTACT_LINKS),
          id: String(id),
          organization: null,
        };
      },
    };
  }
}
