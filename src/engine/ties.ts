/**
 * Offset pages of an order that can tie (deals by `cdate`: a bulk import gives many deals one second) may overlap
 * and skip rows where a run of equal values crosses a page boundary: the API orders the ties differently from
 * one request to the next (docs/activecampaign-api.md section 2; `orders[id]` is not documented for deals). Such a
 * boundary shows itself: the last row of a page and the first of the next carry the same value. Only the pages
 * around it can have skipped rows; the engine re-reads them until no new row appears, or until the stream holds
 * as many distinct rows as the API announced.
 */
import { DistinctIds } from '../activecampaign/distinct-ids.js';
import type { Page } from '../activecampaign/pages.js';

/** Re-reads of the two pages around a boundary stop after this many rounds in a row bring no new row. */
export const QUIET_ROUNDS = 4;
/** …and after this many rounds in all. */
export const MAX_ROUNDS = 16;

export class TieWatch {
  /** Start offsets of pages whose first row ties with the previous page's last row. */
  readonly boundaries: number[] = [];
  private readonly ids = new DistinctIds();
  private previousEnd = -1;
  private previousValue: unknown;

  constructor(private readonly key: string) {}

  /** A page of the main pass, in order. Returns how many of its rows are new to the stream. */
  observe(page: Page): number {
    const end = page.position.offset ?? 0;
    const start = end - page.rows.length;
    const first = page.rows[0]?.[this.key];
    if (start === this.previousEnd && first !== undefined && first !== null && first === this.previousValue) {
      this.boundaries.push(start);
    }
    this.previousEnd = end;
    this.previousValue = page.rows[page.rows.length - 1]?.[this.key];
    return this.add(page.rows);
  }

  /** Rows read again; returns how many are new to the stream. */
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
