/**
 * Deterministic hashing for the simulator: every generated value is a pure function of (seed, resource, id,
 * field), so records can be rebuilt on demand instead of being held in memory.
 */

/** murmur3's 32-bit finaliser: a fast bijection with good avalanche. */
export function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function fold(h: number, x: number): number {
  // Numbers above 2^31 (large seeds) are folded in two halves so no bits are lost.
  const low = x | 0;
  const high = x >= -2147483648 && x < 4294967296 ? 0 : Math.floor(x / 4294967296) | 0;
  return mix32((h ^ Math.imul(low, 0x9e3779b1)) + Math.imul(high, 0x7f4a7c15) + 0x632be5ab);
}

/** Hash of up to five integers, as an unsigned 32-bit value. */
export function hash(a: number, b: number, c = 0, d = 0, e = 0): number {
  return fold(fold(fold(fold(fold(0x2545f491, a), b), c), d), e);
}

/** FNV-1a of a string, finalised. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return mix32(h);
}

/** Hash mapped to [0, 1). */
export function unit(a: number, b: number, c = 0, d = 0, e = 0): number {
  return hash(a, b, c, d, e) / 4294967296;
}

/** A small sequential generator (mulberry32) for the many values of one record. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += (((this.next() * 4294967296) >>> 0).toString(16)).padStart(8, '0');
    return out.slice(0, length);
  }
}

/** Resource tags: one number per generated resource or field so their hashes never collide. */
export const Tag = {
  contact: 1,
  contactTime: 2,
  fieldValue: 3,
  contactTag: 4,
  contactList: 5,
  accountContact: 6,
  account: 7,
  accountField: 8,
  deal: 9,
  dealTime: 10,
  activity: 11,
  dealField: 12,
  contactDeal: 13,
  note: 14,
  task: 15,
  presence: 16,
  restricted: 17,
  mutation: 18,
  fault: 19,
  tagSlot: 20,
  listSlot: 21,
  dealPipeline: 22,
  activityCount: 23,
  taskDone: 24,
  missingParent: 25,
  cdateTies: 26,
} as const;
