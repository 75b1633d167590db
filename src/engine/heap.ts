/**
 * Keeps the JavaScript heap near what a run really holds. Pages parsed ahead of their commit live long
 * enough to reach V8's old generation, which V8 lets fill with their garbage up to several times the live
 * size before it collects (measured: 75 MB used for 20 MB live at 10,000 contacts). A full collection once the
 * heap passes a ceiling keeps the peak near the live size, for a few milliseconds per collection.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;

/** V8's full collection, exposed to this process on first use; null if this Node refuses. */
function collector(): (() => void) | null {
  if (collect !== undefined) return collect;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    collect = typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    collect = null;
  }
  return collect;
}

export class HeapCeiling {
  /** Heap in use after the last collection this ceiling made. */
  private floor = 0;
  /** Collections made so far. */
  collections = 0;

  constructor(private readonly ceilingBytes: number) {}

  /**
   * Collects if the heap in use has passed the ceiling and grown by half the ceiling since the last collection:
   * a live set larger than the ceiling is then not collected again and again.
   */
  check(): void {
    const used = getHeapStatistics().used_heap_size;
    if (used < Math.max(this.ceilingBytes, this.floor + this.ceilingBytes / 2)) return;
    const gc = collector();
    if (!gc) return;
    gc();
    this.collections += 1;
    this.floor = getHeapStatistics().used_heap_size;
  }
}
