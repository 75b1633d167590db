/**
 * Tags: the fixed tag list (`/tags`, whose `subscriber_count` follows the changes) and the contact-tag
 * associations (`/contactTags`, four slots per contact, drawn among the contact-type tags).
 */
import { TAG_COUNT, renderTag } from '../fixed.js';
import { SlotSpace } from '../layout.js';
import { Tag, hash } from '../random.js';
import { Table, type TableSpec } from '../table.js';
import { isoTime, localTime } from '../time.js';
import { SLOTS, type BaseAccount } from './base.js';
import { clampToBase, fixedTable, links } from './shared.js';

export interface ContactTagStruct {
  contact: number;
  tag: number;
  created: number;
}

/** Contact tags are drawn among the contact-type tags (the last two are template tags). */
export const CONTACT_TAG_CHOICES = TAG_COUNT - 2;

export class TagTables {
  readonly tags: Table<null>;
  readonly contactTags: Table<ContactTagStruct>;
  private baseCounts: Int32Array | undefined;
  private counts: { version: number; counts: Int32Array } | undefined;

  /** `version()` is the account's change counter: the subscriber counts are recomputed when it moves. */
  constructor(
    private readonly base: BaseAccount,
    private readonly version: () => number,
  ) {
    this.contactTags = new Table('contactTags', new SlotSpace(base.contactCount, SLOTS.contactTags, (group) =>
      base.presenceMask(group, Tag.contactTag, SLOTS.contactTags, 0.375)), this.contactTagSpec());
    this.tags = fixedTable('tags', TAG_COUNT, 1, (id, ctx) => renderTag(id, ctx, this.subscriberCount(id)));
  }

  /** Contacts per tag: base counts (one scan, once) corrected by the overlay of changes. */
  subscriberCount(tag: number): number {
    const version = this.version();
    if (!this.counts || this.counts.version !== version) {
      if (!this.baseCounts) {
        const baseCounts = new Int32Array(TAG_COUNT + 1);
        const space = this.contactTags.rows.base;
        for (let id = space.nextPresent(1); id !== 0; id = space.nextPresent(id + 1)) {
          const tagId = this.baseTagOf(id);
          baseCounts[tagId] = (baseCounts[tagId] as number) + 1;
        }
        this.baseCounts = baseCounts;
      }
      const counts = Int32Array.from(this.baseCounts);
      for (const id of this.contactTags.rows.deletedBaseIds()) {
        const tagId = this.baseTagOf(id);
        counts[tagId] = (counts[tagId] as number) - 1;
      }
      for (const id of this.contactTags.rows.insertedIds()) {
        const tagId = this.contactTags.struct(id).tag;
        counts[tagId] = (counts[tagId] as number) + 1;
      }
      this.counts = { version, counts };
    }
    return this.counts.counts[tag] ?? 0;
  }

  /** A contact's tags walk the tag list from a random start with a random step, so they never repeat. */
  private baseTagOf(id: number): number {
    const contactIndex = Math.floor((id - 1) / SLOTS.contactTags);
    const slot = (id - 1) % SLOTS.contactTags;
    const start = hash(this.base.seed, Tag.tagSlot, contactIndex, 0) % CONTACT_TAG_CHOICES;
    const step = 1 + (hash(this.base.seed, Tag.tagSlot, contactIndex, 1) % 5);
    return ((start + slot * step) % CONTACT_TAG_CHOICES) + 1;
  }

  private contactTagSpec(): TableSpec<ContactTagStruct> {
    const base = this.base;
    return {
      struct: (id) => {
        const contactIndex = Math.floor((id - 1) / SLOTS.contactTags);
        const slot = (id - 1) % SLOTS.contactTags;
        return { contact: contactIndex + 1, tag: this.baseTagOf(id), created: clampToBase(base.contactTimes(contactIndex + 1).created + 2 + slot * 600) };
      },
      parents: (link) => [`contact:${link.contact}`],
      baseChildren: (parent, contact) => (parent === 'contact' ? base.idsOfContact(this.contactTags.rows.base as SlotSpace, contact) : []),
      render: (id, link, ctx) => ({
        contact: String(link.contact),
        tag: String(link.tag),
        cdate: isoTime(link.created),
        created_timestamp: localTime(link.created),
        updated_timestamp: localTime(link.created),
        created_by: null,
        updated_by: null,
        links: links(ctx, 'contactTags', id, ['tag', 'contact']),
        id: String(id),
      }),
    };
  }
}
