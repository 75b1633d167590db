/**
 * Tasks (`/dealTasks`) on contacts and deals, and the fixed task types, outcomes and their relations. A
 * contact's group has three task slots: one for the contact, one for each of its two deal slots.
 */
import {
  TASKTYPE_OUTCOMES, TASKTYPE_OUTCOME_ID_BASE, TASK_OUTCOME_COUNT, TASK_TYPES, TASK_TYPE_COUNT, USERS,
  renderTaskOutcome, renderTaskType, renderTasktypeOutcomeRel,
} from '../fixed.js';
import { SlotSpace } from '../layout.js';
import { Rng, Tag, hash, unit } from '../random.js';
import { Table, type Rec, type TableSpec } from '../table.js';
import { TASK_TITLES, noteText } from '../text.js';
import { BASE_END, DAY, isoTime, localTime, utcTime } from '../time.js';
import { SLOTS, type BaseAccount } from './base.js';
import { clampToBase, fixedTable, links } from './shared.js';

export type TaskReltype = 'Subscriber' | 'Deal';

export interface TaskStruct {
  reltype: TaskReltype;
  relid: number;
  created: number;
}

export interface TaskTimes {
  due: number;
  end: number;
  done: number;
  /** Minutes, from the task type. */
  duration: number;
}

const TASK_LINKS = ['activities', 'automation', 'dealTasktype', 'doneAutomation', 'notes', 'owner', 'taskNotifications', 'user', 'assignee'];

export class TaskTables {
  readonly dealTasks: Table<TaskStruct>;
  readonly taskOutcomes: Table<null>;
  readonly dealTasktypes: Table<null>;
  readonly tasktypeOutcomeRels: Table<null>;

  constructor(private readonly base: BaseAccount) {
    this.dealTasks = new Table('dealTasks', new SlotSpace(base.contactCount, SLOTS.tasksPerContact, (group) => this.taskMask(group)), this.taskSpec());
    this.taskOutcomes = fixedTable('taskOutcomes', TASK_OUTCOME_COUNT, 1, renderTaskOutcome);
    this.dealTasktypes = fixedTable('dealTasktypes', TASK_TYPE_COUNT, 1, renderTaskType);
    this.tasktypeOutcomeRels = fixedTable('tasktypeOutcomeRels', TASKTYPE_OUTCOMES.length, TASKTYPE_OUTCOME_ID_BASE + 1, renderTasktypeOutcomeRel);
  }

  /** Status of a task (1 done, 0 open), patches first. */
  status(id: number): number {
    const patch = this.dealTasks.patch(id);
    if (patch && typeof patch.status === 'number') return patch.status;
    return unit(this.base.seed, Tag.taskDone, id) < 0.55 ? 1 : 0;
  }

  times(id: number, task: TaskStruct): TaskTimes {
    const rng = new Rng(hash(this.base.seed, Tag.task, id, 7));
    const duration = (TASK_TYPES[rng.int(TASK_TYPE_COUNT)] as (typeof TASK_TYPES)[number]).duration;
    // Base tasks stay inside the base period; tasks inserted by mutations are due after their creation.
    const limit = (t: number): number => (task.created > BASE_END ? Math.floor(t) : clampToBase(t));
    const due = limit(task.created + rng.range(1, 14) * DAY + rng.range(0, 20) * 1800);
    return { due, end: limit(due + duration * 60), done: limit(due + rng.range(-3600, 3 * DAY)), duration };
  }

  /** The first open task of a deal, for `nexttaskid`/`nextTask`/`nextdate`; 0 when none. */
  nextTaskOf(dealId: number): number {
    for (const id of this.dealTasks.children('deal', dealId)) if (this.status(id) === 0) return id;
    return 0;
  }

  /** Slot 0: the contact's own task (15 %); slot 1 + j: a task of deal slot j, when that deal exists (50 %). */
  private taskMask(group: number): number {
    const seed = this.base.seed;
    let mask = unit(seed, Tag.presence, Tag.task, group, 0) < 0.15 ? 1 : 0;
    const deals = this.base.dealSpace.groupMask(group);
    for (let slot = 0; slot < SLOTS.dealsPerContact; slot++) {
      if (((deals >>> slot) & 1) === 1 && unit(seed, Tag.presence, Tag.task, group, 1 + slot) < 0.5) mask |= 1 << (1 + slot);
    }
    return mask;
  }

  private taskSpec(): TableSpec<TaskStruct> {
    const base = this.base;
    return {
      struct: (id) => {
        const contactIndex = Math.floor((id - 1) / SLOTS.tasksPerContact);
        const slot = (id - 1) % SLOTS.tasksPerContact;
        const position = unit(base.seed, Tag.task, id, 1);
        if (slot === 0) {
          const times = base.contactTimes(contactIndex + 1);
          return { reltype: 'Subscriber', relid: contactIndex + 1, created: clampToBase(times.created + 300 + position * (times.updated - times.created)) };
        }
        const deal = contactIndex * SLOTS.dealsPerContact + slot;
        const times = base.dealTimes(deal);
        return { reltype: 'Deal', relid: deal, created: clampToBase(times.created + 300 + position * (times.updated - times.created)) };
      },
      parents: (task) => [`${task.reltype === 'Deal' ? 'deal' : 'contact'}:${task.relid}`],
      baseChildren: (parent, parentId) => {
        if (parent === 'contact') return base.idsOfContact(this.dealTasks.rows.base as SlotSpace, parentId, (slot) => slot === 0);
        if (parent !== 'deal' || !base.isBaseDeal(parentId)) return [];
        const contactIndex = Math.floor((parentId - 1) / SLOTS.dealsPerContact);
        const dealSlot = (parentId - 1) % SLOTS.dealsPerContact;
        return base.idsOfContact(this.dealTasks.rows.base as SlotSpace, contactIndex + 1, (slot) => slot === 1 + dealSlot);
      },
      render: (id, task, ctx) => {
        const rng = new Rng(hash(base.seed, Tag.task, id, 3));
        const times = this.times(id, task);
        const status = this.status(id);
        const type = rng.range(1, TASK_TYPE_COUNT);
        const user = String(rng.range(1, USERS.length));
        const assignee = String(rng.range(1, USERS.length));
        const outcome = status === 1 && rng.chance(0.7) ? rng.range(1, TASK_OUTCOME_COUNT) : null;
        const done = status === 1 ? times.done : 0;
        const updated = status === 1 ? Math.max(done, task.created) : task.created;
        const out: Rec = {
          id: String(id),
          duedate: isoTime(times.due),
          edate: isoTime(times.end),
          duration: String(times.duration),
          status,
          title: rng.chance(0.1) ? null : rng.pick(TASK_TITLES),
          note: rng.chance(0.3) ? '' : noteText(rng),
          relid: String(task.relid),
          reltype: task.reltype,
          dealTasktype: String(type),
          cdate: isoTime(task.created),
          udate: isoTime(updated),
          donedate: status === 1 ? isoTime(done) : null,
          automation: null,
          doneAutomation: null,
          user,
          assignee,
          owner: { type: task.reltype === 'Deal' ? 'deal' : 'contact', id: String(task.relid) },
          outcomeId: outcome,
          outcomeInfo: outcome === null ? '' : rng.pick(['Asked for a follow-up in May', 'Ligou de volta', '']),
        };
        // The five keys the table contract infers are sent on some rows only (docs/tables.md 1.8).
        if (rng.chance(0.65)) {
          out.adate = isoTime(task.created + 60);
          out.created_timestamp = localTime(task.created);
          out.created_utc_timestamp = utcTime(task.created);
          out.done_by = status === 1 ? assignee : null;
          out.updated_utc_timestamp = utcTime(updated);
        }
        out.links = links(ctx, 'dealTasks', id, TASK_LINKS);
        return out;
      },
    };
  }
}
