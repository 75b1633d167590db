/**
 * One simulated resource: its row set (arithmetic base layout plus an overlay of changes) and how a row is
 * rendered. A row is a pure function of its id and a small structure (parent ids, creation time); changed
 * rows carry a patch of the keys a mutation rewrote.
 */
import { RowSet, type BaseSpace } from './layout.js';
import { parseApiTime } from './time.js';

export type Rec = Record<string, unknown>;

/** The kinds of parent a row can hang under (`contact:12` names one parent). */
export type ParentKind = 'contact' | 'account' | 'deal' | 'activity' | 'group' | 'field' | 'pipeline' | 'campaign' | 'user';

/** Per-request rendering context. */
export interface RenderContext {
  /** `http://<Host>/api/3`, the prefix of absolute `links`. */
  readonly api: string;
  /** `count_deals=true` on `/accounts`. */
  readonly countDeals: boolean;
  /** Seed of this request's unstable orders (tied `cdate`s); absent for the oracle. */
  readonly requestSeed?: number;
}

export interface TableSpec<S> {
  /** Structure of a base row (only called for ids the base layout marks present). */
  struct(id: number): S;
  render(id: number, struct: S, ctx: RenderContext): Rec;
  /** True when render() applies the row's patch itself (patches hold internal state, not API keys). */
  ownsPatch?: boolean;
  /** Last step after patches (permission-truncated deals). */
  finalize?(record: Rec, id: number, struct: S): Rec;
  /** Parent keys such as `contact:12`, to find inserted rows by parent. */
  parents?(struct: S): readonly string[];
  /** Base ids under a parent, by arithmetic, ascending (deleted ones included; the table drops them). */
  baseChildren?(parent: ParentKind, parentId: number): number[];
  /** Epoch seconds of a timestamp key without rendering the row (filters and orders on big tables). */
  time?(key: string, id: number, struct: S): number | undefined;
}

export class Table<S = unknown> {
  readonly rows: RowSet;
  private readonly patches = new Map<number, Rec>();
  private readonly insertedStructs = new Map<number, S>();
  private readonly insertedByParent = new Map<string, number[]>();

  constructor(
    readonly key: string,
    base: BaseSpace,
    private readonly spec: TableSpec<S>,
  ) {
    this.rows = new RowSet(base);
  }

  struct(id: number): S {
    return this.insertedStructs.get(id) ?? this.spec.struct(id);
  }

  /** The row as the list endpoint serves it. */
  record(id: number, ctx: RenderContext): Rec {
    const record = this.fullRecord(id, ctx);
    return this.spec.finalize ? this.spec.finalize(record, id, this.struct(id)) : record;
  }

  /** The row before permission truncation (filters and orders see the real values). */
  fullRecord(id: number, ctx: RenderContext): Rec {
    const record = this.spec.render(id, this.struct(id), ctx);
    const patch = this.patches.get(id);
    if (patch && !this.spec.ownsPatch) Object.assign(record, patch);
    return record;
  }

  patch(id: number): Rec | undefined {
    return this.patches.get(id);
  }

  /** Epoch seconds of a timestamp key of a row, patches first. */
  time(id: number, key: string, ctx: RenderContext): number | undefined {
    const patch = this.patches.get(id);
    if (patch && key in patch) return parseApiTime(patch[key], key);
    const fast = this.spec.time?.(key, id, this.struct(id));
    if (fast !== undefined) return fast;
    return parseApiTime(this.record(id, ctx)[key], key);
  }

  insert(struct: S, patch?: Rec): number {
    const id = this.rows.add();
    this.insertedStructs.set(id, struct);
    for (const parent of this.spec.parents?.(struct) ?? []) {
      const list = this.insertedByParent.get(parent);
      if (list) list.push(id);
      else this.insertedByParent.set(parent, [id]);
    }
    if (patch) this.patches.set(id, { ...patch });
    return id;
  }

  update(id: number, patch: Rec): void {
    const existing = this.patches.get(id);
    if (existing) Object.assign(existing, patch);
    else this.patches.set(id, { ...patch });
  }

  remove(id: number): boolean {
    if (!this.rows.has(id)) return false;
    const struct = this.struct(id);
    this.rows.remove(id);
    this.patches.delete(id);
    if (this.insertedStructs.has(id)) {
      for (const parent of this.spec.parents?.(struct) ?? []) {
        const list = this.insertedByParent.get(parent);
        const at = list?.indexOf(id) ?? -1;
        if (list && at >= 0) list.splice(at, 1);
      }
      this.insertedStructs.delete(id);
    }
    return true;
  }

  /** Alive rows under a parent: base rows by arithmetic, then inserted ones. */
  children(parent: ParentKind, parentId: number): number[] {
    const out: number[] = [];
    for (const id of this.spec.baseChildren?.(parent, parentId) ?? []) if (this.rows.has(id)) out.push(id);
    const inserted = this.insertedUnder(`${parent}:${parentId}`);
    if (inserted.length > 0) out.push(...inserted);
    return out;
  }

  /** Inserted rows (alive) under a parent key. */
  insertedUnder(parent: string): readonly number[] {
    return this.insertedByParent.get(parent) ?? [];
  }

  /** Base rows and patched rows that changed (for counters kept as base value plus overlay delta). */
  patchedIds(): IterableIterator<number> {
    return this.patches.keys();
  }
}
