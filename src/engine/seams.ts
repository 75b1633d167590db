/**
 * Offset pages can overlap and skip rows in two ways the API does not rule out: an order that ties (deals by
 * `cdate`: a bulk import gives many deals one second, and the API orders the ties differently from one request
 * to the next; `orders[id]` is not documented for deals, docs/activecampaign-api.md section 2), and rows deleted
 * while the pages are read (every later row moves one place up, so one is never served). For an incremental
 * table a skipped row stays missing until its next change, so such a stream is read with pages that repeat the
 * last row of the page before (`SEAM_ROWS`), and each seam is checked:
 * - the repeated row must be the same row, else the rows shifted between the two requests;
 * - the row after it must not tie with it on the order's key, else a run of ties crosses the seam.
 * Only the two pages around a suspect seam can have skipped rows; the engine re-reads them until no new row
 * appears, or until the stream holds as many distinct rows as the API announced.
 */
import { DistinctIds } from '../activecampaign/distinct-ids.js';
import type { Page } from '../activecampaign/pages.js';

/** Rows each page repeats from the one before. */
export const SEAM_ROWS = 1;
/** Re-reads of the two pages around a seam stop after this many rounds in a row bring no new row. */
export const QUIET_ROUNDS = 4;
/** …and after this many rounds in all. */
export const MAX_ROUNDS = 16;

export class SeamWatch {
  /** Suspect seams: the start offsets of the two pages around each. */
  readonly seams: [before: number, after: number][] = [];
  private readonly ids = new DistinctIds();
  private previous: { start: number; end: number; lastId: unknown; lastValue: unknown } | undefined;

  constructor(private readonly key: string) {}

  /** A page of the main pass, in order. */
  observe(page: Page): void {
    const end = page.position.offset ?? 0;
    const start = end - page.rows.length;
    const previous = this.previous;
    if (previous && start === previous.end - SEAM_ROWS && page.rows.length > SEAM_ROWS) {
      const repeated = page.rows[SEAM_ROWS - 1];
      const next = page.rows[SEAM_ROWS]?.[this.key];
      const shifted = String(repeated?.id) !== String(previous.lastId);
      const tied = next !== undefined && next !== null && next === previous.lastValue;
      if (shifted || tied) this.seams.push([previous.start, start]);
    }
    const last = page.rows[page.rows.length - 1];
    this.previous = { start, end, lastId: last?.id, lastValue: last?.[this.key] };
    this.add(page.rows);
  }

  /** Rows read (again); returns how many are new to the stream. */
  add(rows: readonly Record<string, unknown>[]): number {
    let fresh = 0;
    for (const row of rows) if (this.ids.add(row.id as string | number)) fresh++;
    return fresh;
  }

  /** Distinct rows the stream has seen. */
  get distinct(): number {
    return this.ids.size;
  }
}
