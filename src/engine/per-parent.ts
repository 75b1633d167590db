/**
 * Children read per changed parent (deals_activities): for each parent row on a page of the parent's updated-since
 * stream, its documented per-parent list (`/deals/{id}/dealActivities`), so a later run reads the changed deals'
 * activities instead of every activity of the account.
 *
 * The reference does not say what such a list answers for a parent it hides or a path parameter it ignores, so
 * every list is checked: a 404 or a refusal for a parent the stream has just listed, or a row naming another
 * parent, fails the check, and the table is read in full instead in the same run (engine/sync.ts), never upserted
 * from a failed list.
 *
 * The parent's stream re-reads a day-long overlap before its cursor (the API's `filters[updated_after]` may compare
 * by day), but each parent's own date compares exactly: only parents changed after the table's previous cursor, less
 * a short margin (core/defaults.ts), are listed; the others' children were read by an earlier pass and stay. Inside
 * the margin, a parent the last pass listed at the same date is not listed again.
 */
import type { ActiveCampaignClient } from '../activecampaign/client.js';
import { readPages } from '../activecampaign/pages.js';
import type { Endpoint } from '../catalog/index.js';
import { CHANGED_PARENT_MARGIN_SECONDS, LISTED_PARENTS_REMEMBERED } from '../core/defaults.js';
import { ApiError } from '../core/errors.js';

/** The earliest parent date (microseconds since the epoch) a pass starting from `since` lists; null: every parent. */
export function changedParentBound(since: string | undefined, marginSeconds = CHANGED_PARENT_MARGIN_SECONDS): bigint | null {
  const sinceMs = since === undefined ? NaN : Date.parse(since);
  return Number.isNaN(sinceMs) ? null : BigInt(sinceMs - marginSeconds * 1000) * 1000n;
}

/**
 * The parents to list this pass: those whose date (`changedAt`, microseconds since the epoch) is later than
 * `since` less the margin, except those the last pass listed at the very same date (`listed`, by id: the date as
 * the API wrote it; a parent changed again within that same second of its listing is caught by the periodic full
 * pass); every parent without a `since` (a first pass) and any whose date cannot be read.
 */
export function parentsChangedSince(
  parents: readonly Record<string, unknown>[],
  since: string | undefined,
  changedAt: (parent: Record<string, unknown>) => { readonly at: bigint; readonly written: string } | undefined,
  listed: Readonly<Record<string, string>> = {},
): Record<string, unknown>[] {
  const bound = changedParentBound(since);
  if (bound === null) return [...parents];
  return parents.filter((parent) => {
    const date = changedAt(parent);
    return date === undefined || (date.at > bound && listed[String(parent.id)] !== date.written);
  });
}

/**
 * What a pass that started at `cursor` remembers of the parents it listed (id → date as written, with the date
 * typed): those the next pass would list again by date alone, at most LISTED_PARENTS_REMEMBERED of them.
 */
export function parentsToRemember(
  listed: ReadonlyMap<string, { readonly at: bigint; readonly written: string }>,
  cursor: string | undefined,
): Record<string, string> | undefined {
  const bound = changedParentBound(cursor);
  if (bound === null) return undefined;
  const kept = [...listed].filter(([, date]) => date.at > bound);
  if (kept.length === 0 || kept.length > LISTED_PARENTS_REMEMBERED) return undefined;
  return Object.fromEntries(kept.map(([id, date]) => [id, date.written]));
}

/** Clocks this close are taken as agreeing: far below the margin, and above what the `Date` header can resolve. */
const AGREEING_CLOCKS_MS = 5000;

/**
 * When a pass began (this machine's clock, ISO UTC) as the API's clock read it then (`offsetMs`, the client's
 * `serverClockOffsetMs`): the parents' dates are the API's, and the margin is minutes, so a machine clock that is
 * off by more must not move the cursor past parents the API dated before it. Without the API's clock (its answers
 * carried no `Date` header), the pass start less the stream's overlap, with a warning: the next pass then lists
 * every parent its stream re-reads, as before this cursor existed.
 */
export function passStartOnApiClock(began: string, offsetMs: number | undefined, overlapSeconds: number): { at: string; warning?: string } {
  const ms = Date.parse(began);
  // The header has whole seconds and the answer its latency: an offset that small is clocks that agree.
  if (offsetMs !== undefined) return { at: Math.abs(offsetMs) < AGREEING_CLOCKS_MS ? began : new Date(ms + offsetMs).toISOString() };
  return {
    at: new Date(ms - overlapSeconds * 1000).toISOString(),
    warning: 'the API\'s answers carry no Date header, so this pass\'s start cannot be read on the API\'s clock: the next run lists the children of every parent changed within the overlap again',
  };
}

export interface ChildrenOfParents {
  /** The children of every parent, in the parents' order. */
  readonly rows: Record<string, unknown>[];
  readonly requests: number;
  /** Why the lists cannot be trusted, or null. */
  readonly problem: string | null;
}

/** Reads the per-parent list of each parent (requests run side by side under the account's budget) and checks it. */
export async function readChildrenOfParents(
  client: ActiveCampaignClient,
  endpoint: Endpoint,
  parentKey: string,
  parents: readonly Record<string, unknown>[],
  signal: AbortSignal | undefined,
): Promise<ChildrenOfParents> {
  let requests = 0;
  const lists = await Promise.all(
    parents.map(async (parent) => {
      const id = String(parent.id);
      const rows: Record<string, unknown>[] = [];
      try {
        for await (const page of readPages(client, endpoint, { pathParams: { id }, prefetch: 0, ...(signal && { signal }) })) {
          requests++;
          // Checked page by page: a list that ignores the id would otherwise be read to its end for every parent.
          const stranger = page.rows.find((row) => String(row[parentKey]) !== id);
          if (stranger) {
            return { id, rows, problem: `answered for parent ${id} a row of ${parentKey} ${String(stranger[parentKey])} (the id in the path was ignored)` };
          }
          rows.push(...page.rows);
        }
      } catch (error) {
        // A parent the list will not show (a deal in a pipeline the key may not manage, say) must not fail the
        // parent's own stream: the table falls back to its full list, which the key may read.
        if (!(error instanceof ApiError && (error.kind === 'not_found' || error.kind === 'permission'))) throw error;
        requests++;
        const answer = error.kind === 'not_found' ? '404' : 'a permission error';
        return { id, rows, problem: `answered ${answer} for parent ${id}, which the same run has just listed` };
      }
      return { id, rows, problem: null };
    }),
  );
  const failed = lists.find((list) => list.problem !== null);
  return {
    rows: lists.flatMap((list) => list.rows),
    requests,
    problem: failed ? `${endpoint.path} ${failed.problem}` : null,
  };
}
