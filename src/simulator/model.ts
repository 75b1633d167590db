/**
 * The generated account: every table of the simulator, assembled from the resources in `resources/` (one
 * module per entity) on one base skeleton. Per 1000 contacts there are about 100 accounts, 400
 * account-contacts, 3000 field values, 1500 contact-tags, 1500 list memberships, 200 deals, 900 deal
 * activities, 600 deal custom-field values, 60 secondary contacts, 550 notes and 350 tasks.
 */
import { AccountTables, type AccountContactStruct, type AccountFieldStruct, type AccountStruct } from './resources/accounts.js';
import { BaseAccount } from './resources/base.js';
import { CampaignTables } from './resources/campaigns.js';
import { ContactFieldTables, type FieldValueStruct } from './resources/contact-fields.js';
import { ContactTables, type ContactNames, type ContactStruct } from './resources/contacts.js';
import {
  DealTables, isRestrictedPipeline, type ActivityStruct, type ContactDealStruct, type DealFieldStruct, type DealStruct,
} from './resources/deals.js';
import { ListTables, type MembershipStruct } from './resources/lists.js';
import { NoteTables, type NoteStruct } from './resources/notes.js';
import { PipelineTables } from './resources/pipelines.js';
import { ScoreTables } from './resources/scores.js';
import { TagTables, type ContactTagStruct } from './resources/tags.js';
import { TaskTables, type TaskStruct } from './resources/tasks.js';
import { UserTables } from './resources/users.js';
import type { Rec, RenderContext, Table } from './table.js';

export type { ParentKind } from './table.js';

export class Model {
  readonly base: BaseAccount;
  /** Bumped by every mutation batch; caches of filtered or sorted id lists key on it. */
  version = 0;
  /** Base deals share one `cdate` per bulk batch (behaviour switch `cdateTies`). */
  cdateTies = false;
  /** Changes to custom-field values bump their contact's `udate` or deal's `mdate` (switch `childChangesBumpParent`). */
  childChangesBumpParent = true;

  readonly contacts: Table<ContactStruct>;
  readonly fieldValues: Table<FieldValueStruct>;
  readonly contactTags: Table<ContactTagStruct>;
  readonly contactLists: Table<MembershipStruct>;
  readonly accounts: Table<AccountStruct>;
  readonly accountContacts: Table<AccountContactStruct>;
  readonly accountCustomFieldData: Table<AccountFieldStruct>;
  readonly deals: Table<DealStruct>;
  readonly dealActivities: Table<ActivityStruct>;
  readonly dealCustomFieldData: Table<DealFieldStruct>;
  readonly contactDeals: Table<ContactDealStruct>;
  readonly notes: Table<NoteStruct>;
  readonly dealTasks: Table<TaskStruct>;
  readonly users: Table<null>;
  readonly groups: Table<null>;
  readonly userGroups: Table<null>;
  readonly dealGroups: Table<null>;
  readonly dealStages: Table<null>;
  readonly tags: Table<null>;
  readonly lists: Table<null>;
  readonly fields: Table<null>;
  readonly fieldOptions: Table<null>;
  readonly fieldRels: Table<null>;
  readonly accountCustomFieldMeta: Table<null>;
  readonly dealCustomFieldMeta: Table<null>;
  readonly campaigns: Table<null>;
  readonly messages: Table<null>;
  readonly campaignMessages: Table<null>;
  readonly scores: Table<null>;
  readonly taskOutcomes: Table<null>;
  readonly dealTasktypes: Table<null>;
  readonly tasktypeOutcomeRels: Table<null>;

  /** Every table by its envelope key. */
  readonly tables = new Map<string, Table<unknown>>();

  private readonly contactData: ContactTables;
  private readonly contactFieldData: ContactFieldTables;
  private readonly dealData: DealTables;
  private readonly taskData: TaskTables;

  constructor(readonly seed: number, contactCount: number) {
    const base = (this.base = new BaseAccount(seed, contactCount));
    // Built in dependency order: deals render their next task, accounts count their deals, contacts list
    // their account links, memberships copy their contact's names.
    const tasks = (this.taskData = new TaskTables(base));
    const deals = (this.dealData = new DealTables(base, tasks, () => this.cdateTies));
    const accounts = new AccountTables(base, deals.deals);
    const contacts = (this.contactData = new ContactTables(base, accounts.accountContacts));
    const contactFields = (this.contactFieldData = new ContactFieldTables(base));
    const tags = new TagTables(base, () => this.version);
    const lists = new ListTables(base, contacts);
    const notes = new NoteTables(base);
    const users = new UserTables();
    const pipelines = new PipelineTables();
    const campaigns = new CampaignTables();
    const scores = new ScoreTables();

    this.contacts = contacts.contacts;
    this.fieldValues = contactFields.fieldValues;
    this.contactTags = tags.contactTags;
    this.contactLists = lists.contactLists;
    this.accounts = accounts.accounts;
    this.accountContacts = accounts.accountContacts;
    this.accountCustomFieldData = accounts.accountCustomFieldData;
    this.deals = deals.deals;
    this.dealActivities = deals.dealActivities;
    this.dealCustomFieldData = deals.dealCustomFieldData;
    this.contactDeals = deals.contactDeals;
    this.notes = notes.notes;
    this.dealTasks = tasks.dealTasks;
    this.users = users.users;
    this.groups = users.groups;
    this.userGroups = users.userGroups;
    this.dealGroups = pipelines.dealGroups;
    this.dealStages = pipelines.dealStages;
    this.tags = tags.tags;
    this.lists = lists.lists;
    this.fields = contactFields.fields;
    this.fieldOptions = contactFields.fieldOptions;
    this.fieldRels = contactFields.fieldRels;
    this.accountCustomFieldMeta = accounts.accountCustomFieldMeta;
    this.dealCustomFieldMeta = deals.dealCustomFieldMeta;
    this.campaigns = campaigns.campaigns;
    this.messages = campaigns.messages;
    this.campaignMessages = campaigns.campaignMessages;
    this.scores = scores.scores;
    this.taskOutcomes = tasks.taskOutcomes;
    this.dealTasktypes = tasks.dealTasktypes;
    this.tasktypeOutcomeRels = tasks.tasktypeOutcomeRels;

    for (const table of [
      this.contacts, this.fieldValues, this.contactTags, this.contactLists, this.accounts, this.accountContacts,
      this.accountCustomFieldData, this.deals, this.dealActivities, this.dealCustomFieldData, this.contactDeals,
      this.notes, this.dealTasks, this.users, this.groups, this.userGroups, this.dealGroups, this.dealStages, this.tags,
      this.lists, this.fields, this.fieldOptions, this.fieldRels, this.accountCustomFieldMeta, this.dealCustomFieldMeta,
      this.campaigns, this.messages, this.campaignMessages, this.scores, this.taskOutcomes, this.dealTasktypes,
      this.tasktypeOutcomeRels,
    ]) {
      this.tables.set(table.key, table);
    }
  }

  get contactCount(): number {
    return this.base.contactCount;
  }

  table(key: string): Table<unknown> | undefined {
    return this.tables.get(key);
  }

  contactNames(id: number): ContactNames {
    return this.contactData.names(id);
  }

  /** A contact custom-field value; mutations pass a new variant. */
  fieldValue(id: number, field: number, variant = 0): string {
    return this.contactFieldData.value(id, field, variant);
  }

  /** Status of a task (1 done, 0 open), patches first. */
  taskStatus(id: number): number {
    return this.taskData.status(id);
  }

  /** Currency (lower case) and value in cents of a deal, patches first. */
  dealMoney(id: number): { currency: string; value: number } {
    return this.dealData.money(id);
  }

  /** The `include=dealCustomFieldData` sideload shape of a deal custom-field value. */
  dealFieldSideload(id: number, ctx: RenderContext): Rec {
    return this.dealData.fieldSideload(id, ctx);
  }

  isRestrictedPipeline(pipeline: number): boolean {
    return isRestrictedPipeline(pipeline);
  }
}
