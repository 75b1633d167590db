/**
 * Contact custom fields: the values (`/fieldValues`, one slot per field in a contact's group) and the fixed
 * definitions (`/fields`), their options and relations.
 */
import {
  CONTACT_FIELDS, CONTACT_FIELD_COUNT, FIELD_OPTIONS, FIELD_REL_ID_BASE, optionIdsOfField, renderField, renderFieldOption, renderFieldRel,
} from '../fixed.js';
import { SlotSpace } from '../layout.js';
import { Rng, Tag, hash } from '../random.js';
import { Table, type TableSpec } from '../table.js';
import { noteText } from '../text.js';
import { BASE_END, BASE_START, isoTime } from '../time.js';
import { SLOTS, type BaseAccount } from './base.js';
import { JOB_TITLES, clampToBase, fixedTable, links } from './shared.js';

export interface FieldValueStruct {
  contact: number;
  field: number;
  created: number;
  updated: number;
}

export class ContactFieldTables {
  readonly fieldValues: Table<FieldValueStruct>;
  readonly fields: Table<null>;
  readonly fieldOptions: Table<null>;
  readonly fieldRels: Table<null>;

  constructor(private readonly base: BaseAccount) {
    this.fieldValues = new Table('fieldValues', new SlotSpace(base.contactCount, SLOTS.fieldValues, (group) =>
      base.presenceMask(group, Tag.fieldValue, SLOTS.fieldValues, 1 / 3)), this.fieldValueSpec());
    this.fields = fixedTable('fields', CONTACT_FIELD_COUNT, 1, renderField);
    this.fieldOptions = fixedTable('fieldOptions', FIELD_OPTIONS.length, 1, renderFieldOption, (parent, field) =>
      (parent === 'field' ? optionIdsOfField(field) : []));
    this.fieldRels = fixedTable('fieldRels', CONTACT_FIELD_COUNT, FIELD_REL_ID_BASE + 1, renderFieldRel, (parent, field) =>
      (parent === 'field' && field >= 1 && field <= CONTACT_FIELD_COUNT ? [FIELD_REL_ID_BASE + field] : []));
  }

  /** A value of the field's type: `||`-joined for listbox and checkbox fields; mutations pick another variant. */
  value(id: number, field: number, variant = 0): string {
    const rng = new Rng(hash(this.base.seed, Tag.fieldValue, id, variant));
    const definition = CONTACT_FIELDS[field - 1] as (typeof CONTACT_FIELDS)[number];
    const options = definition.options ?? [];
    switch (definition.type) {
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

  private fieldValueSpec(): TableSpec<FieldValueStruct> {
    const base = this.base;
    return {
      struct: (id) => {
        const contactIndex = Math.floor((id - 1) / SLOTS.fieldValues);
        const field = ((id - 1) % SLOTS.fieldValues) + 1;
        const times = base.contactTimes(contactIndex + 1);
        const created = clampToBase(times.created + field);
        return { contact: contactIndex + 1, field, created, updated: Math.max(created, times.updated) };
      },
      parents: (value) => [`contact:${value.contact}`],
      baseChildren: (parent, contact) => (parent === 'contact' ? base.idsOfContact(this.fieldValues.rows.base as SlotSpace, contact) : []),
      render: (id, value, ctx) => ({
        contact: String(value.contact),
        field: String(value.field),
        value: this.value(id, value.field),
        cdate: isoTime(value.created),
        udate: isoTime(value.updated),
        created_by: null,
        updated_by: null,
        links: links(ctx, 'fieldValues', id, ['owner', 'field']),
        id: String(id),
        owner: String(value.contact),
      }),
    };
  }
}
