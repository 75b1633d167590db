/**
 * Unstable order among equal sort keys, as a database sorting without a tiebreaker gives it: a page of an
 * ordered sequence whose runs of equal keys come back in a different order on every request.
 */
import { Rng } from './random.js';

/**
 * The page [offset, offset + limit) of a sequence sorted by `key` (position → id by `at`), each run of equal
 * keys that touches the page shuffled with `seed`. Runs are read whole, so a run crossing the page's edges is
 * shuffled as one: the ids a page shows are not those the neighbouring page's request will leave out.
 */
export function pageWithShuffledTies(
  at: (position: number) => number,
  total: number,
  offset: number,
  limit: number,
  key: (id: number) => number | undefined,
  seed: number,
): number[] {
  if (offset >= total || limit <= 0) return [];
  const end = Math.min(total, offset + limit);
  let start = offset;
  const firstKey = key(at(offset));
  while (start > 0 && key(at(start - 1)) === firstKey) start--;
  let stop = end;
  const lastKey = key(at(end - 1));
  while (stop < total && key(at(stop)) === lastKey) stop++;
  const ids: number[] = [];
  const keys: (number | undefined)[] = [];
  for (let position = start; position < stop; position++) {
    const id = at(position);
    ids.push(id);
    keys.push(key(id));
  }
  const rng = new Rng(seed);
  for (let runStart = 0; runStart < ids.length;) {
    let runEnd = runStart + 1;
    while (runEnd < ids.length && keys[runEnd] === keys[runStart]) runEnd++;
    // Fisher–Yates over the run.
    for (let i = runEnd - 1; i > runStart; i--) {
      const j = runStart + rng.int(i - runStart + 1);
      [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
    }
    runStart = runEnd;
  }
  return ids.slice(offset - start, end - start);
}
