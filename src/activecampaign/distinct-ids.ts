/** Ids per block: 2^16 bits, 8 KiB. */
const BLOCK_BITS = 1 << 16;
const BLOCK_WORDS = BLOCK_BITS / 32;

/**
 * The distinct record ids of one stream, for completeness checks: how many distinct rows arrived (`size`) and
 * how often an id came again (`duplicates`). About one bit per id up to the largest id: the ids are split into
 * blocks of 65,536, and a block's bitset (8 KiB) exists once one of its ids has been seen, so a million dense
 * ids cost about 128 KiB, and a few huge ids a few blocks.
 *
 * ActiveCampaign ids are decimal strings ("17") or JSON numbers (17); both name the same id. Anything else
 * (not a non-negative safe integer in canonical form: "017", "abc", -1, 1.5) is kept, as its text, in an
 * ordinary Set.
 */
export class DistinctIds {
  private readonly blocks = new Map<number, Uint32Array>();
  private readonly others = new Set<string>();
  private count = 0;
  private repeated = 0;

  /** Records `id`; true when it had not been seen before. */
  add(id: string | number): boolean {
    const n = numericId(id);
    if (n === undefined) {
      const key = `${typeof id}:${String(id)}`;
      if (this.others.has(key)) return this.repeat();
      this.others.add(key);
      this.count += 1;
      return true;
    }
    const blockIndex = Math.floor(n / BLOCK_BITS);
    const bit = n - blockIndex * BLOCK_BITS;
    let block = this.blocks.get(blockIndex);
    if (block === undefined) {
      block = new Uint32Array(BLOCK_WORDS);
      this.blocks.set(blockIndex, block);
    }
    const word = bit >>> 5;
    const mask = 1 << (bit & 31);
    const current = block[word] as number;
    if ((current & mask) !== 0) return this.repeat();
    block[word] = current | mask;
    this.count += 1;
    return true;
  }

  has(id: string | number): boolean {
    const n = numericId(id);
    if (n === undefined) return this.others.has(`${typeof id}:${String(id)}`);
    const blockIndex = Math.floor(n / BLOCK_BITS);
    const block = this.blocks.get(blockIndex);
    if (block === undefined) return false;
    const bit = n - blockIndex * BLOCK_BITS;
    return ((block[bit >>> 5] as number) & (1 << (bit & 31))) !== 0;
  }

  /** Distinct ids seen. */
  get size(): number {
    return this.count;
  }

  /** Calls of `add` with an id already seen. */
  get duplicates(): number {
    return this.repeated;
  }

  /** Bytes held by the bitsets (the Set of other ids not counted). */
  get bytes(): number {
    return this.blocks.size * BLOCK_WORDS * 4;
  }

  private repeat(): false {
    this.repeated += 1;
    return false;
  }
}

/** The id as a non-negative safe integer, from a number or a canonical decimal string. */
function numericId(id: string | number): number | undefined {
  if (typeof id === 'number') return Number.isSafeInteger(id) && id >= 0 ? id : undefined;
  if (typeof id !== 'string' || !/^(0|[1-9]\d{0,15})$/.test(id)) return undefined;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : undefined;
}
