/**
 * Every default a run starts from, in one place: the CLI, the config file, Singer, Airbyte and the benchmarks
 * read them here instead of writing their own.
 */

/**
 * The API's limit: 5 requests per second per account, shared by every integration the account runs
 * (docs/activecampaign-api.md, section 5). Only a simulator on this machine may be read faster.
 */
export const MAX_REQUESTS_PER_SECOND = 5;
/**
 * Just under the limit: the limiter's algorithm is not documented, so acsync paces at 4.8/s and the request
 * budget also keeps at most 5 starts within any second (plus a margin for network jitter), which a strict
 * sliding window of 5/s accepts.
 */
export const DEFAULT_REQUESTS_PER_SECOND = 4.8;

/**
 * Longest a request waits on the API's throttling (all its Retry-After waits together). A longer wait ends
 * the request with ApiError 'throttled' and the time to retry, so the run stops cleanly and resumes later.
 */
export const DEFAULT_MAX_WAIT_SECONDS = 600;

/** Re-read window before an incremental cursor: the update filter may compare by day (docs/tables.md 1.6). */
export const DEFAULT_OVERLAP_HOURS = 24;

/**
 * A table read per changed parent (deals_activities) lists only the parents whose own date is later than its
 * previous cursor less this margin: it covers a machine clock minutes off the API's (a full pass's cursor is this
 * machine's start time) and a write stamped before it became visible, and costs one list per parent changed in it.
 */
export const CHANGED_PARENT_MARGIN_SECONDS = 300;
/**
 * Parents a pass lists inside that margin are remembered with their date, so the next pass skips them while their
 * date is unchanged; at most this many (a bulk update beyond it is listed again: the state stays small).
 */
export const LISTED_PARENTS_REMEMBERED = 10_000;

/** A table's batch is committed, with its checkpoint, at this many rows or this long after its last commit. */
export const DEFAULT_BATCH_ROWS = 2000;
export const DEFAULT_BATCH_SECONDS = 2;

/** Offset pages requested ahead of the one being read, per stream, where the total is known. */
export const DEFAULT_PREFETCH = 4;

/**
 * Heap in use (MB) past which a sync asks V8 for a full collection (engine/heap.ts): the pages a run holds at
 * once are a few tens of MB, and without it V8 lets their garbage grow the heap several times larger. At 24
 * rather than 40 the peak RSS is 6-17 MB lower at 10,000-30,000 contacts, for no measurable CPU.
 */
export const HEAP_CEILING_MB = 24;

/** Where `sync` writes when no destination is given: the embedded DuckDB file. */
export const DEFAULT_DEST = 'duckdb:activecampaign.duckdb';
