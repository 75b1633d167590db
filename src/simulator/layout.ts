/**
 * Arithmetic id layouts. A table's base rows are either dense (ids 1..n) or slotted: `groups` parents with
 * `slots` (at most 31) child slots each, a slot being present when a bit of the group's mask is set. Slotted
 * ids are `group * slots + slot + 1`, so a parent finds its children and a child its parent by arithmetic.
 * Rank and select go through per-block prefix counts (computed once, lazily), so a page deep in a big table
 * costs a binary search and one block scan, never a scan from the start.
 */

export interface BaseSpace {
  /** Base ids lie in 1..maxId. */
  readonly maxId: number;
  present(id: number): boolean;
  count(): number;
  /** Number of present ids below `id`. */
  rank(id: number): number;
  /** The k-th (0-based) present id; k < count(). */
  select(k: number): number;
  /** Smallest present id >= id, or 0 when there is none. */
  nextPresent(id: number): number;
}

export class DenseSpace implements BaseSpace {
  readonly maxId: number;

  /** Ids first..first+size-1 (fixed tables number some of their ids from an offset). */
  constructor(
    readonly size: number,
    readonly first = 1,
  ) {
    this.maxId = first + size - 1;
  }

  present(id: number): boolean {
    return Number.isInteger(id) && id >= this.first && id <= this.maxId;
  }

  count(): number {
    return this.size;
  }

  rank(id: number): number {
    return Math.min(Math.max(Math.ceil(id) - this.first, 0), this.size);
  }

  select(k: number): number {
    return this.first + k;
  }

  nextPresent(id: number): number {
    const next = Math.max(this.first, Math.ceil(id));
    return next <= this.maxId ? next : 0;
  }
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Position of the k-th (0-based) set bit of mask. */
function selectBit(mask: number, k: number): number {
  let m = mask;
  for (let i = 0; i < k; i++) m &= m - 1;
  return 31 - Math.clz32(m & -m);
}

const GROUPS_PER_BLOCK = 256;

export class SlotSpace implements BaseSpace {
  readonly maxId: number;
  private prefix: Float64Array | undefined;

  /** `mask(group)` (0-based group) says which of the group's slots hold a row; it must be pure. */
  constructor(
    readonly groups: number,
    readonly slots: number,
    private readonly mask: (group: number) => number,
  ) {
    if (slots < 1 || slots > 31) throw new RangeError('slots must be in 1..31');
    this.maxId = groups * slots;
  }

  groupMask(group: number): number {
    return group >= 0 && group < this.groups ? this.mask(group) & ((1 << this.slots) - 1) : 0;
  }

  present(id: number): boolean {
    if (!Number.isInteger(id) || id < 1 || id > this.maxId) return false;
    const i = id - 1;
    const group = Math.floor(i / this.slots);
    return ((this.groupMask(group) >>> (i - group * this.slots)) & 1) === 1;
  }

  /** The present ids of one group, ascending. */
  idsOfGroup(group: number): number[] {
    const out: number[] = [];
    let m = this.groupMask(group);
    while (m !== 0) {
      const bit = 31 - Math.clz32(m & -m);
      out.push(group * this.slots + bit + 1);
      m &= m - 1;
    }
    return out;
  }

  private blocks(): Float64Array {
    if (this.prefix) return this.prefix;
    const blockCount = Math.ceil(this.groups / GROUPS_PER_BLOCK);
    const prefix = new Float64Array(blockCount + 1);
    let total = 0;
    for (let b = 0; b < blockCount; b++) {
      prefix[b] = total;
      const end = Math.min(this.groups, (b + 1) * GROUPS_PER_BLOCK);
      for (let g = b * GROUPS_PER_BLOCK; g < end; g++) total += popcount(this.groupMask(g));
    }
    prefix[blockCount] = total;
    this.prefix = prefix;
    return prefix;
  }

  count(): number {
    const prefix = this.blocks();
    return prefix[prefix.length - 1] as number;
  }

  rank(id: number): number {
    if (id <= 1) return 0;
    if (id > this.maxId) return this.count();
    const i = Math.ceil(id) - 1;
    const group = Math.floor(i / this.slots);
    const block = Math.floor(group / GROUPS_PER_BLOCK);
    let r = this.blocks()[block] as number;
    for (let g = block * GROUPS_PER_BLOCK; g < group; g++) r += popcount(this.groupMask(g));
    const bit = i - group * this.slots;
    return r + popcount(this.groupMask(group) & ((1 << bit) - 1));
  }

  select(k: number): number {
    const prefix = this.blocks();
    let lo = 0;
    let hi = prefix.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((prefix[mid] as number) <= k) lo = mid;
      else hi = mid - 1;
    }
    let remaining = k - (prefix[lo] as number);
    for (let g = lo * GROUPS_PER_BLOCK; g < this.groups; g++) {
      const m = this.groupMask(g);
      const c = popcount(m);
      if (remaining < c) return g * this.slots + selectBit(m, remaining) + 1;
      remaining -= c;
    }
    throw new RangeError(`select(${k}) beyond count`);
  }

  nextPresent(id: number): number {
    const start = Math.max(1, Math.ceil(id));
    if (start > this.maxId) return 0;
    let group = Math.floor((start - 1) / this.slots);
    let m = this.groupMask(group) & ~((1 << (start - 1 - group * this.slots)) - 1);
    while (m === 0) {
      group++;
      if (group >= this.groups) return 0;
      m = this.groupMask(group);
    }
    return group * this.slots + (31 - Math.clz32(m & -m)) + 1;
  }
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The rows of a table now: base ids minus deleted ones, plus inserted ids (all above the base range, in
 * insertion order, hence ascending). Memory is proportional to the number of changes only.
 */
export class RowSet {
  private readonly deleted: number[] = [];
  private readonly inserted: number[] = [];
  private next: number;

  constructor(readonly base: BaseSpace) {
    this.next = base.maxId + 1;
  }

  count(): number {
    return this.base.count() - this.deleted.length + this.inserted.length;
  }

  has(id: number): boolean {
    if (id <= this.base.maxId) {
      if (!this.base.present(id)) return false;
      const i = lowerBound(this.deleted, id);
      return this.deleted[i] !== id;
    }
    const i = lowerBound(this.inserted, id);
    return this.inserted[i] === id;
  }

  isInserted(id: number): boolean {
    return id > this.base.maxId && this.has(id);
  }

  /** Allocates the next id and adds it. */
  add(): number {
    const id = this.next++;
    this.inserted.push(id);
    return id;
  }

  /** Removes a row; false when it was not there. */
  remove(id: number): boolean {
    if (!this.has(id)) return false;
    if (id <= this.base.maxId) this.deleted.splice(lowerBound(this.deleted, id), 0, id);
    else this.inserted.splice(lowerBound(this.inserted, id), 1);
    return true;
  }

  deletedBaseIds(): readonly number[] {
    return this.deleted;
  }

  insertedIds(): readonly number[] {
    return this.inserted;
  }

  /** Number of rows with an id below `id`. */
  rank(id: number): number {
    if (id <= this.base.maxId + 1) return this.base.rank(id) - lowerBound(this.deleted, id);
    return this.base.count() - this.deleted.length + lowerBound(this.inserted, id);
  }

  /** The k-th (0-based) row in ascending id order, or 0 past the end. */
  select(k: number): number {
    if (k < 0) return 0;
    const baseRows = this.base.count() - this.deleted.length;
    if (k >= baseRows) return this.inserted[k - baseRows] ?? 0;
    // Least fixed point of d = |deleted <= select_base(k + d)|: the answer skips exactly d deleted ids.
    let d = 0;
    for (;;) {
      const candidate = this.base.select(k + d);
      const seen = lowerBound(this.deleted, candidate + 1);
      if (seen === d) return candidate;
      d = seen;
    }
  }

  /** Up to `limit` ids above `afterId`, ascending, that pass `accept`. */
  after(afterId: number, limit: number, accept?: (id: number) => boolean): number[] {
    const out: number[] = [];
    if (limit <= 0) return out;
    let di = lowerBound(this.deleted, afterId + 1);
    let id = afterId < this.base.maxId ? this.base.nextPresent(afterId + 1) : 0;
    while (id !== 0) {
      while (di < this.deleted.length && (this.deleted[di] as number) < id) di++;
      if (this.deleted[di] !== id && (!accept || accept(id))) {
        out.push(id);
        if (out.length >= limit) return out;
      }
      id = this.base.nextPresent(id + 1);
    }
    for (let i = lowerBound(this.inserted, afterId + 1); i < this.inserted.length; i++) {
      const insertedId = this.inserted[i] as number;
      if (!accept || accept(insertedId)) {
        out.push(insertedId);
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  /** Every id, ascending (for oracles and filter scans). */
  *all(): Generator<number> {
    let di = 0;
    for (let id = this.base.nextPresent(1); id !== 0; id = this.base.nextPresent(id + 1)) {
      while (di < this.deleted.length && (this.deleted[di] as number) < id) di++;
      if (this.deleted[di] !== id) yield id;
    }
    yield* this.inserted;
  }

  /** Calls fn for every id, ascending; faster than the generator for full scans. */
  forEach(fn: (id: number) => void): void {
    let di = 0;
    for (let id = this.base.nextPresent(1); id !== 0; id = this.base.nextPresent(id + 1)) {
      while (di < this.deleted.length && (this.deleted[di] as number) < id) di++;
      if (this.deleted[di] !== id) fn(id);
    }
    for (const id of this.inserted) fn(id);
  }
}

export { lowerBound };
