/**
 * One sync run: every planned stream runs at once under the account's shared request budget; each page is
 * split into the rows of the tables it feeds, typed, batched and committed together with the checkpoint that
 * says how far the stream got, so a crash resumes where it stopped.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Endpoint, ReplicationMode, TableDef } from '../catalog/index.js';
import { columnName } from '../catalog/index.js';
import type { ActiveCampaignClient } from '../activecampaign/client.js';
import { ApiError } from '../core/errors.js';
import { DistinctIds } from '../activecampaign/distinct-ids.js';
import { readPages, type Page } from '../activecampaign/pages.js';
import type {
  Destination,
  JoinedRefresh,
  RunRecord,
  RunTableRecord,
  StreamPosition,
  TableState,
  TableWriter,
  TypedRow,
} from '../core/contract.js';
import { DEFAULT_BATCH_ROWS, DEFAULT_BATCH_SECONDS, DEFAULT_PREFETCH, HEAP_CEILING_MB } from '../core/defaults.js';
import { CursorTracker, completesCopy, type TableSelection } from './cursor.js';
import { joinedColumns, readJoinedList } from './joined-refresh.js';
import { HeapCeiling } from './heap.js';
import { planStreams, type StreamPlan, type TablePlan } from './plan.js';
import { MAX_ROUNDS, QUIET_ROUNDS, SEAM_ROWS, SeamWatch } from './seams.js';
import { planAroundSideloads, probeSideloads, sideloadProblem, sideloadUse, type SideloadUse } from './sideloads.js';
import { parentsChangedSince, parentsToRemember, passStartOnApiClock, readChildrenOfParents } from './per-parent.js';
import { recordOffset, rowConverter, typeValue, type ConversionIssue, type TypingContext } from './typing.js';

export interface SyncOptions {
  readonly client: ActiveCampaignClient;
  readonly destination: Destination;
  readonly selection: readonly TableSelection[];
  /** The account's identity, stored with every state (engine/run.ts `accountId`). */
  readonly account?: string;
  /** The states the run starts from (engine/run.ts adds `start_date`); read from the destination when absent. */
  readonly states?: ReadonlyMap<string, TableState>;
  /** IANA zone of the account, when the user gives one (docs/tables.md 1.5). */
  readonly timeZone: string | null;
  /** The account's UTC offset in minutes, from `openAccount` (engine/run.ts): types naive timestamps when no zone is set. */
  readonly accountOffsetMinutes: number;
  /** Overlap re-read before an incremental cursor, seconds. */
  readonly overlapSeconds: number;
  /** Commit a table's batch once it holds this many rows, or this many seconds after its last commit. */
  readonly batchRows?: number;
  readonly batchSeconds?: number;
  /** Offset pages requested ahead per stream. */
  readonly prefetch?: number;
  readonly onEvent?: (event: SyncEvent) => void;
  readonly signal?: AbortSignal;
}

export type SyncEvent =
  | { type: 'run-start'; runId: string; streams: readonly StreamPlan[] }
  | { type: 'table-progress'; table: string; rows: number; pages: number; scanned: number; total: number | undefined }
  | { type: 'table-done'; table: string; record: RunTableRecord; permission?: string }
  | { type: 'warning'; table?: string; message: string }
  /** A wait longer than a few seconds begins (the API asked to slow down, a backoff): why, and until when. */
  | { type: 'waiting'; message: string; untilMs: number };

export interface SyncResult {
  readonly run: RunRecord;
  /** The API asked to wait beyond the ceiling: the run stopped, and may resume after this time (epoch ms). */
  readonly retryAt?: number;
  readonly requests: number;
  readonly throttled: number;
  readonly retries: number;
}

export async function sync(options: SyncOptions): Promise<SyncResult> {
  const { client, destination, signal } = options;
  const emit = options.onEvent ?? (() => undefined);
  const runId = `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${randomUUID().slice(0, 8)}`;
  const startedAt = new Date().toISOString();

  const accountOffset = options.accountOffsetMinutes;
  // Every request in flight listens to the run's signal; dozens at once are expected, not a leak.
  if (signal) setMaxListeners(256, signal);
  const states = options.states ?? (await destination.readState());
  // Tables whose refresh interval has not passed are left out of this run (engine/cursor.ts `refreshNotDue`).
  const selection = options.selection.filter((s) => s.notDueUntil === undefined);
  // Tables that read a sideload are checked on one page first; a failing one moves to a documented list.
  const sideloads = selection.some((s) => sideloadUse(s.table, s.mode))
    ? planAroundSideloads(selection, await probeSideloads(client, selection, signal))
    : { selection: [...selection], warnings: [], failed: [] };
  for (const warning of sideloads.warnings) emit({ type: 'warning', ...warning });
  const streams = planStreams(sideloads.selection, states, {
    overlapSeconds: options.overlapSeconds,
    accountTime: { timeZone: options.timeZone, offsetMinutes: accountOffset },
  });
  emit({ type: 'run-start', runId, streams });

  const records = new Map<string, RunTableRecord>();
  for (const { table, mode, notDueUntil } of options.selection) {
    if (notDueUntil === undefined) continue;
    const lastFull = states.get(table.name)?.lastFullAt ?? '';
    const hours = Math.round((Date.parse(notDueUntil) - Date.parse(lastFull)) / 36_000) / 100;
    const minute = (iso: string) => iso.slice(0, 16).replace('T', ' ');
    const reason = `not read: its last full pass (${minute(lastFull)} UTC) is younger than its refresh interval (${hours} h); next read after ${minute(notDueUntil)} UTC`;
    const record: RunTableRecord = { table: table.name, mode, status: 'skipped', rows: 0, requests: 0, conversionErrors: 0, error: reason, notDueUntil };
    records.set(table.name, record);
    emit({ type: 'table-done', table: table.name, record });
  }
  for (const { table, mode, message } of sideloads.failed) {
    const record: RunTableRecord = { table: table.name, mode, status: 'failed', rows: 0, requests: 0, conversionErrors: 0, error: message };
    records.set(table.name, record);
    emit({ type: 'table-done', table: table.name, record });
  }
  const running = (): RunRecord => ({ runId, startedAt, endedAt: null, status: 'running', tables: [...records.values()] });
  await destination.recordRun(running());

  const context: RunContext = {
    runId,
    account: options.account,
    startedAt,
    client,
    destination,
    states,
    timeZone: options.timeZone,
    accountOffset,
    overlapSeconds: options.overlapSeconds,
    batchRows: options.batchRows ?? DEFAULT_BATCH_ROWS,
    batchMs: (options.batchSeconds ?? DEFAULT_BATCH_SECONDS) * 1000,
    prefetch: options.prefetch ?? DEFAULT_PREFETCH,
    emit,
    signal,
    parentCollectors: new Map(),
    parentFeeds: new Map(),
    heap: new HeapCeiling(HEAP_CEILING_MB * 1024 * 1024),
  };

  // Per-parent streams wait for the rows of their parent endpoint when another stream of this run reads it.
  for (const stream of streams) {
    if (!stream.perParent) continue;
    const parent = streams.find((s) => !s.perParent && s.endpoint.path === stream.perParent?.path);
    if (!parent) continue;
    const rows = context.parentCollectors.get(parent.id) ?? deferred<Record<string, unknown>[] | null>();
    context.parentCollectors.set(parent.id, rows);
    context.parentFeeds.set(stream.id, rows);
  }

  const fallbacks: TableDef[] = [];
  const runAll = (planned: readonly StreamPlan[]) =>
    Promise.all(
      planned.map((stream) =>
        runStream(stream, context).then((results) => {
          for (const result of results) {
            records.set(result.record.table, result.record);
            if (result.fallback) fallbacks.push(result.fallback);
          }
        }),
      ),
    );
  await runAll(streams);
  // Tables whose per-parent lists failed their check are read in full, now (engine/per-parent.ts).
  if (fallbacks.length > 0 && !signal?.aborted) {
    await runAll(planStreams(fallbacks.map((table) => ({ table, mode: 'full' as const })), states, {
      overlapSeconds: options.overlapSeconds,
      accountTime: { timeZone: options.timeZone, offsetMinutes: accountOffset },
    }));
  }

  const tables = options.selection.map((s) => records.get(s.table.name)).filter((r): r is RunTableRecord => !!r);
  // A table not due is neither a success nor a problem of this run.
  const read = tables.filter((t) => t.notDueUntil === undefined);
  const failed = read.filter((t) => t.status !== 'success').length;
  const status: RunRecord['status'] = signal?.aborted
    ? 'interrupted'
    : failed === 0 ? 'success' : failed === read.length ? 'failed' : 'partial';
  const run: RunRecord = { runId, startedAt, endedAt: new Date().toISOString(), status, tables };
  await destination.recordRun(run);
  return {
    run,
    ...(context.retryAt !== undefined && { retryAt: context.retryAt }),
    requests: client.stats.requests,
    throttled: client.stats.throttled,
    retries: client.stats.retries,
  };
}

interface RunContext {
  /** Set when the API asked to wait beyond the ceiling (ApiError `throttled`). */
  retryAt?: number;
  readonly runId: string;
  readonly account: string | undefined;
  readonly startedAt: string;
  readonly client: ActiveCampaignClient;
  readonly destination: Destination;
  readonly states: ReadonlyMap<string, TableState>;
  readonly timeZone: string | null;
  readonly accountOffset: number;
  /** Seconds an incremental stream re-reads before its cursor. */
  readonly overlapSeconds: number;
  readonly batchRows: number;
  readonly batchMs: number;
  readonly prefetch: number;
  readonly emit: (event: SyncEvent) => void;
  readonly signal: AbortSignal | undefined;
  /** Envelope rows of parent streams that a per-parent stream of this run needs (users_groups ← groups), by the
   * parent stream's id and by the per-parent stream's id. */
  readonly parentCollectors: Map<string, ParentRows>;
  readonly parentFeeds: Map<string, ParentRows>;
  /** Checked once a page: keeps the heap near what the run holds. */
  readonly heap: HeapCeiling;
}

interface StreamResult {
  readonly record: RunTableRecord;
  /** The table failed a check that a full read of its own list avoids: read it in full in this run. */
  readonly fallback?: TableDef;
}

/** The state of one table while its stream runs. */
class TableRun {
  readonly convert: ReturnType<typeof rowConverter>;
  /** Values of this page that could not be converted; counted, and a few kept as examples, per page. */
  readonly issues: ConversionIssue[] = [];
  conversionErrors = 0;
  readonly examples: ConversionIssue[] = [];
  /** The sideload this table's rows come from, checked on every page. */
  readonly sideload: SideloadUse | undefined;
  /** Why this table stopped taking rows this run (a page failed its check); nothing more is committed. */
  failure: string | undefined;
  /** The failure is one a full read of the table's own list avoids (a per-parent list failed its check). */
  fallback = false;
  /** Requests made for this table alone (per-parent lists), beyond its stream's. */
  ownRequests = 0;
  /** Rows the API cut down for lack of permission (catalog `source.truncated`). */
  truncatedRows = 0;
  /** Incremental-capable tables track their cursor whenever their rows come with the cursor's stream. */
  readonly cursorColumn;
  buffer: TypedRow[] = [];
  parentIds: number[] = [];
  rows = 0;
  pages = 0;
  lastCommit = Date.now();
  readonly cursor: CursorTracker;
  /** Tables read per changed parent: when this pass first began (a resumed pass keeps its crashed run's). */
  readonly passStartedAt: string | undefined;
  /** Tables read per changed parent: the parents this pass listed, with their dates (engine/per-parent.ts). */
  readonly listedParents = new Map<string, { readonly at: bigint; readonly written: string }>();
  writer!: TableWriter;

  constructor(
    readonly plan: TablePlan,
    stream: StreamPlan,
    readonly previous: TableState | undefined,
    readonly resume: boolean,
    readonly account: string | undefined,
    runStartedAt: string,
  ) {
    this.convert = rowConverter(plan.table);
    this.sideload = plan.rowsKey !== stream.endpoint.envelope ? sideloadUse(plan.table, plan.mode) : undefined;
    // A resumed pass keeps the largest cursor it had committed before the crash.
    this.cursor = new CursorTracker(resume ? previous?.inProgress?.maxCursor : undefined);
    // A pass resumed from a state that did not keep its start cannot know it: its cursor then stays where it was.
    if (plan.table.incremental?.perChangedParent) {
      this.passStartedAt = resume ? previous?.inProgress?.passStartedAt : runStartedAt;
    }
    const incremental = plan.table.incremental;
    this.cursorColumn =
      incremental && incremental.endpoint.path === stream.endpoint.path
        ? { name: columnName(incremental.cursor), type: 'timestamp' as const, source: incremental.cursor }
        : undefined;
  }

  get table(): TableDef {
    return this.plan.table;
  }

  get mode(): ReplicationMode {
    return this.plan.mode;
  }

  /** The state to store with a batch: where to resume, and the cursor so far. */
  state(stream: string, runId: string, position: StreamPosition | null): TableState {
    const previousCursor = this.previous?.cursor;
    const seen = this.cursor.seen;
    // Until the pass ends, the committed cursor stays the previous one: a crash must not skip unread changes.
    const base: TableState = {
      mode: this.mode,
      ...(this.account && { account: this.account }),
      ...(this.previous?.lastFullAt && { lastFullAt: this.previous.lastFullAt }),
      ...(previousCursor && { cursor: previousCursor }),
    };
    if (position === null) {
      const cursor = this.cursor.next(previousCursor);
      return { ...base, ...(cursor && { cursor }) };
    }
    return {
      ...base,
      inProgress: {
        runId,
        mode: this.mode,
        stream,
        position,
        ...(this.plan.since && { since: this.plan.since }),
        ...(seen && { maxCursor: seen }),
        ...(this.passStartedAt && { passStartedAt: this.passStartedAt }),
      },
    };
  }
}

async function runStream(stream: StreamPlan, ctx: RunContext): Promise<StreamResult[]> {
  const tables = stream.tables.map((plan) => {
    const previous = ctx.states.get(plan.table.name);
    const crashed = previous?.inProgress;
    // A crashed pass of the same mode is continued: its staging rows are kept and its position reused.
    const resume = !!crashed && crashed.mode === plan.mode;
    return new TableRun(plan, stream, previous, resume, ctx.account, ctx.startedAt);
  });
  const start = resumePosition(stream, tables);
  let requests = 0;
  let scanned = start?.rows ?? 0;
  let total: number | undefined;
  let position: StreamPosition = start ?? { rows: 0 };
  const parentCollector = ctx.parentCollectors.get(stream.id);
  const parentRows: Record<string, unknown>[] = [];

  try {
    for (const run of tables) run.writer = await ctx.destination.beginTable(run.table, run.mode, run.resume);

    const joins = new Map<string, Map<string, Record<string, unknown>>>();
    for (const run of tables) {
      const endpoint = run.plan.join?.endpoint;
      if (!endpoint || joins.has(endpoint.path)) continue;
      const byId = new Map<string, Record<string, unknown>>();
      for await (const page of readPages(ctx.client, endpoint, { prefetch: ctx.prefetch, signal: ctx.signal })) {
        requests++;
        for (const row of page.rows) byId.set(String(row.id), row);
      }
      joins.set(endpoint.path, byId);
    }

    /**
     * Splits a page into its tables' batches. When one table's batch is due, every table of the stream commits at
     * `at`, so the stream has one checkpoint and resumes from it (a protocol's STATE covers all its tables).
     */
    const take = async (page: Page, at: StreamPosition): Promise<void> => {
      ctx.heap.check();
      const pageOffset = (page.rows[0] ? recordOffset(page.rows[0]) : null) ?? ctx.accountOffset;
      let due = false;
      for (const run of tables) {
        if (run.plan.perChangedParent && !run.failure) {
          const children = await childrenOfPage(run, page, pageOffset, ctx);
          if (!children) continue;
          takeRows(run, children, pageOffset, joins, ctx);
        } else takeRows(run, page, pageOffset, joins, ctx);
        ctx.emit({ type: 'table-progress', table: run.table.name, rows: run.rows, pages: run.pages, scanned, total });
        if (run.failure) continue;
        due ||= run.buffer.length >= ctx.batchRows || Date.now() - run.lastCommit >= ctx.batchMs;
      }
      if (!due) return;
      for (const run of tables) if (!run.failure) await commit(run, stream.id, ctx, at);
    };

    const skipped = { parents: 0 };
    const seams = stream.endpoint.tiesOn && !stream.perParent ? new SeamWatch(stream.endpoint.tiesOn) : undefined;
    // Completeness: distinct ids of a whole read (not resumed, not per parent) against the API's announced total.
    const distinct = !start && !stream.perParent ? new DistinctIds() : undefined;
    let announced: number | undefined;
    const joinedRequests = { count: 0 };
    for await (const page of pagesOf(stream, ctx, start, skipped, seams ? SEAM_ROWS : 0)) {
      requests++;
      if (page.total !== undefined) total = page.total;
      if (page.announcedTotal !== undefined) announced = page.announcedTotal;
      if (distinct) for (const row of page.rows) distinct.add(row.id as string | number);
      scanned += page.rows.length;
      position = page.position;
      if (parentCollector) parentRows.push(...page.rows);
      seams?.observe(page);
      await take(page, position);
    }
    if (seams) requests += await rereadSeams(seams, stream, ctx, () => total, (page) => take(page, position));

    // A resumed parent stream skipped its first pages: the per-parent stream then reads the parents itself.
    parentCollector?.resolve(start ? null : parentRows);

    for (const run of tables) {
      // Copied columns of rows this pass did not re-read (contacts_tags: the tag's) are refreshed with the finish.
      const refresh = run.failure ? undefined : await joinedRefresh(run, ctx, joinedRequests);
      // A table whose page failed a check is never published: its last committed batch stands.
      if (run.failure) {
        await run.writer.abort();
        continue;
      }
      if (run.buffer.length > 0 || run.parentIds.length > 0) await commit(run, stream.id, ctx, position);
      const state = run.state(stream.id, ctx.runId, null);
      const full = run.mode === 'full' || completesCopy(run.previous, run.plan.since);
      // A table read per changed parent moves its cursor to when its pass began, not to the latest parent date it saw:
      // a parent changed during the pass after its page was read has an earlier date than a later page's parents, and
      // the next pass lists only parents changed after the cursor less a margin (engine/per-parent.ts).
      const began = run.passStartedAt === undefined ? undefined : passStartOnApiClock(run.passStartedAt, ctx.client.serverClockOffsetMs, ctx.overlapSeconds);
      if (began?.warning) ctx.emit({ type: 'warning', table: run.table.name, message: began.warning });
      const cursor = run.table.incremental?.perChangedParent
        ? (began && (!run.previous?.cursor || run.previous.cursor < began.at) ? began.at : run.previous?.cursor)
        : state.cursor;
      const { cursor: _seen, ...rest } = state;
      const listed = run.plan.perChangedParent ? parentsToRemember(run.listedParents, cursor) : undefined;
      const finished: TableState = { ...rest, ...(cursor && { cursor }), ...(listed && { listedParents: listed }) };
      await run.writer.finish(full ? { ...finished, lastFullAt: ctx.startedAt } : finished, refresh);
    }
    requests += joinedRequests.count;
    if (skipped.parents > 0) {
      const what = stream.endpoint.path.replace('{id}', '…');
      ctx.emit({ type: 'warning', message: `${what}: ${skipped.parents} parents answered 404 (deleted meanwhile, or hidden from the key) and were skipped` });
    }
    const seen = distinct && (seams ? seams.distinct : distinct.size);
    if (announced !== undefined && seen !== undefined && seen < announced) {
      // A total too high is harmless; one the pages cannot reach after every check above is worth a look.
      ctx.emit({ type: 'warning', message: `${stream.endpoint.path}: read ${seen} distinct rows but the API announced ${announced}` });
    }
    return tables.map((run) => {
      if (run.conversionErrors > 0) {
        const examples = run.examples.map((e) => `${e.column}=${JSON.stringify(e.value)}`.slice(0, 60)).join(', ');
        ctx.emit({
          type: 'warning',
          table: run.table.name,
          message: `${run.conversionErrors} values did not fit their column's type and were stored as NULL (e.g. ${examples})`,
        });
      }
      const truncated = run.table.source.truncated;
      if (truncated && run.truncatedRows > 0) {
        ctx.emit({ type: 'warning', table: run.table.name, message: `${run.truncatedRows} ${truncated.hint}` });
      }
      if (run.failure && run.fallback) {
        ctx.emit({ type: 'warning', table: run.table.name, message: `${run.failure}; read in full from ${run.table.source.endpoint.path} instead` });
        return { record: tableRecord(run, 'failed', requests, run.failure), fallback: run.table };
      }
      const record = run.failure ? tableRecord(run, 'failed', requests, run.failure) : tableRecord(run, 'success', requests);
      ctx.emit({ type: 'table-done', table: run.table.name, record });
      return { record };
    });
  } catch (error) {
    parentCollector?.reject(error);
    if (error instanceof ApiError && error.kind === 'throttled' && error.retryAt !== undefined) {
      ctx.retryAt = Math.max(ctx.retryAt ?? 0, error.retryAt);
    }
    const denied = error instanceof ApiError && error.kind === 'permission';
    const message = errorMessage(error, stream.endpoint, denied);
    const results: StreamResult[] = [];
    for (const run of tables) {
      await run.writer?.abort().catch(() => undefined);
      const status = ctx.signal?.aborted ? 'interrupted' : denied ? 'skipped' : 'failed';
      const record = tableRecord(run, status, requests, message);
      ctx.emit({ type: 'table-done', table: run.table.name, record, ...(denied && { permission: stream.endpoint.permission }) });
      results.push({ record });
    }
    return results;
  }
}

/**
 * The refresh of a table's copied columns its finish applies (./joined-refresh.ts), or undefined when it has
 * none. A list failing its checks, or its read failing, fails the table: `run.failure` says why.
 */
async function joinedRefresh(run: TableRun, ctx: RunContext, requests: { count: number }): Promise<JoinedRefresh | undefined> {
  const joined = joinedColumns(run.table, run.mode);
  if (!joined) return undefined;
  try {
    const list = await readJoinedList(ctx.client, run.table, joined, {
      timeZone: ctx.timeZone, offsetMinutes: ctx.accountOffset, prefetch: ctx.prefetch, signal: ctx.signal, requests,
    });
    run.conversionErrors += list.issues.length;
    for (const issue of list.issues) if (run.examples.length < 3) run.examples.push(issue);
    if (list.shortfall) ctx.emit({ type: 'warning', table: run.table.name, message: list.shortfall });
    return list.refresh;
  } catch (error) {
    if (ctx.signal?.aborted) throw error;
    if (error instanceof ApiError && error.kind === 'throttled' && error.retryAt !== undefined) {
      ctx.retryAt = Math.max(ctx.retryAt ?? 0, error.retryAt);
    }
    const message = error instanceof Error ? error.message : String(error);
    run.failure = `${joined.endpoint.path}: ${message}; the columns copied from it were not refreshed and the pass was not published (the next sync tries again)`;
    return undefined;
  }
}

/**
 * Re-reads the two pages around each suspect seam (./seams.ts) until no new row appears for QUIET_ROUNDS
 * rounds, or the stream holds as many distinct rows as the API announced. Returns the requests made.
 */
async function rereadSeams(
  seams: SeamWatch,
  stream: StreamPlan,
  ctx: RunContext,
  total: () => number | undefined,
  take: (page: Page) => Promise<void>,
): Promise<number> {
  let requests = 0;
  const complete = () => {
    const announced = total();
    return announced !== undefined && seams.distinct >= announced;
  };
  for (const offsets of seams.seams) {
    let quiet = 0;
    for (let round = 0; round < MAX_ROUNDS && quiet < QUIET_ROUNDS && !complete(); round++) {
      let fresh = 0;
      for (const offset of offsets) {
        const options = { params: stream.params, prefetch: 0, start: { offset, rows: 0 }, ...(ctx.signal && { signal: ctx.signal }) };
        for await (const page of readPages(ctx.client, stream.endpoint, options)) {
          requests++;
          fresh += seams.add(page.rows);
          await take(page);
          break;
        }
      }
      quiet = fresh === 0 ? quiet + 1 : 0;
    }
  }
  if (seams.seams.length > 0) {
    const announced = total();
    const shortfall = announced !== undefined && seams.distinct < announced ? `, ${announced - seams.distinct} fewer than the API announced` : '';
    ctx.emit({
      type: 'warning',
      message: `${stream.endpoint.path}: at ${seams.seams.length} page seams the rows shifted between requests (ties in ${stream.endpoint.tiesOn ?? ''}, or rows removed meanwhile); re-read them with ${requests} requests until no new row appeared (${seams.distinct} distinct rows${shortfall})`,
    });
  }
  return requests;
}

/** The position a stream resumes from: the earliest committed position of its tables, if all can resume. */
function resumePosition(stream: StreamPlan, tables: readonly TableRun[]): StreamPosition | undefined {
  if (stream.perParent) return undefined;
  const positions: StreamPosition[] = [];
  for (const run of tables) {
    const inProgress = run.previous?.inProgress;
    if (!run.resume || !inProgress || inProgress.stream !== stream.id) return undefined;
    positions.push(inProgress.position);
  }
  positions.sort((a, b) => (a.offset ?? a.lastId ?? 0) - (b.offset ?? b.lastId ?? 0));
  return positions[0];
}

/** Pages of a stream; per-parent streams walk the parent ids first. */
async function* pagesOf(
  stream: StreamPlan,
  ctx: RunContext,
  start: StreamPosition | undefined,
  skipped: { parents: number },
  overlap: number,
): AsyncGenerator<Page> {
  const common = { params: stream.params, prefetch: ctx.prefetch, signal: ctx.signal, overlap };
  if (!stream.perParent) {
    yield* readPages(ctx.client, stream.endpoint, { ...common, ...(start && { start }) });
    return;
  }
  let parents = (await ctx.parentFeeds.get(stream.id)?.promise) ?? null;
  if (!parents) {
    parents = [];
    for await (const page of readPages(ctx.client, stream.perParent, { prefetch: ctx.prefetch, signal: ctx.signal })) {
      parents.push(...page.rows);
    }
  }
  for (const parent of parents) {
    try {
      yield* readPages(ctx.client, stream.endpoint, { ...common, pathParams: { id: String(parent.id) } });
    } catch (error) {
      // A parent deleted since it was listed, or one the key may not open: skipped, counted, said at the end.
      if (!(error instanceof ApiError && error.kind === 'not_found')) throw error;
      skipped.parents++;
    }
  }
}

/**
 * The page a table reading per-parent lists takes: the parent rows of the stream's page changed since the table's
 * pass started from, with their children (engine/per-parent.ts), or null when a list failed its check (the table
 * then stops taking rows and is read in full after the stream). Parents left out keep their children.
 */
async function childrenOfPage(run: TableRun, page: Page, pageOffset: number, ctx: RunContext): Promise<Page | null> {
  const endpoint = run.plan.perChangedParent as Endpoint;
  const column = run.cursorColumn;
  const context: TypingContext = { timeZone: ctx.timeZone, offsetMinutes: pageOffset };
  const dateOf = (parent: Record<string, unknown>) => {
    const written = column && parent[column.source];
    const at = column && typeValue(column, written, context);
    return typeof at === 'bigint' && typeof written === 'string' ? { at, written } : undefined;
  };
  // Only a pass at rest remembers what it listed (a resumed pass lists again what its crashed run had listed).
  const remembered = (!run.resume && run.previous?.listedParents) || {};
  const parents = parentsChangedSince(page.rows, run.plan.since, dateOf, remembered);
  const read = await readChildrenOfParents(ctx.client, endpoint, run.plan.parentKey ?? '', parents, ctx.signal);
  // Remembered: the parents listed now, and those skipped for being listed before at the same date.
  const listedNow = new Set(parents);
  for (const parent of page.rows) {
    const date = dateOf(parent);
    if (date && (listedNow.has(parent) || remembered[String(parent.id)] === date.written)) run.listedParents.set(String(parent.id), date);
  }
  run.ownRequests += read.requests;
  if (read.problem) {
    run.failure = read.problem;
    run.fallback = true;
    run.buffer = [];
    run.parentIds = [];
    return null;
  }
  return { ...page, rows: parents, body: { [run.plan.rowsKey]: read.rows } };
}

/** Splits a page into one table's typed rows and adds them to its batch. */
function takeRows(
  run: TableRun,
  page: Page,
  pageOffset: number,
  joins: ReadonlyMap<string, ReadonlyMap<string, Record<string, unknown>>>,
  ctx: RunContext,
): void {
  const { plan } = run;
  if (run.failure) return;
  if (run.sideload) {
    const problem = sideloadProblem(page.body, page.rows, run.sideload);
    if (problem) {
      // Rows of this page and the batch not yet committed are dropped; committed batches passed their checks.
      run.failure = `${run.sideload.endpoint.path}: ${problem}; the table was not updated from it (the next sync checks again)`;
      run.buffer = [];
      run.parentIds = [];
      return;
    }
  }
  const raw = page.body[plan.rowsKey];
  const rows = Array.isArray(raw) ? (raw as Record<string, unknown>[]) : [];
  let joined: ReadonlyMap<string, Record<string, unknown>> | undefined;
  if (plan.join?.endpoint) joined = joins.get(plan.join.endpoint.path);
  else if (plan.join?.sideload) joined = indexById(page.body[plan.join.sideload]);

  const context: TypingContext = { timeZone: ctx.timeZone, offsetMinutes: pageOffset };
  const truncated = run.table.source.truncated;
  for (const record of rows) {
    if (plan.where && record[plan.where.key] !== plan.where.equals) continue;
    if (truncated && record[truncated.key] === truncated.equals) run.truncatedRows++;
    const other = plan.join ? (joined?.get(String(record[plan.join.on])) ?? null) : undefined;
    if (plan.reshape) run.buffer.push(run.convert(plan.reshape(record, other ?? null), context, run.issues));
    else run.buffer.push(run.convert(record, context, run.issues, other));
    run.rows++;
  }
  run.conversionErrors += run.issues.length;
  for (const issue of run.issues) {
    if (run.examples.length >= 3) break;
    if (!run.examples.some((e) => e.column === issue.column && e.value === issue.value)) run.examples.push(issue);
  }
  run.issues.length = 0;
  // Incremental children replace all rows of the parents on this page, so removed values disappear.
  if (plan.parentKey) for (const parent of page.rows) run.parentIds.push(Number(parent.id));
  // The cursor is read from the stream's own rows (the parent's, for children riding on it).
  if (run.cursorColumn) {
    for (const parent of page.rows) {
      const value = typeValue(run.cursorColumn, parent[run.cursorColumn.source], context);
      if (typeof value === 'bigint') run.cursor.observe(value);
    }
  }
  run.pages++;
}

async function commit(run: TableRun, stream: string, ctx: RunContext, position: StreamPosition): Promise<void> {
  const parentKey = run.plan.parentKey;
  const batch = {
    rows: run.buffer,
    ...(parentKey && run.parentIds.length > 0 && { replaceChildrenOf: { column: columnName(parentKey), ids: run.parentIds } }),
  };
  await run.writer.commit(batch, run.state(stream, ctx.runId, position));
  run.buffer = [];
  run.parentIds = [];
  run.lastCommit = Date.now();
}

function tableRecord(run: TableRun, status: RunTableRecord['status'], requests: number, error?: string): RunTableRecord {
  return {
    table: run.table.name,
    mode: run.mode,
    status,
    rows: run.rows,
    requests: requests + run.ownRequests,
    conversionErrors: run.conversionErrors,
    ...(error && { error }),
  };
}

function errorMessage(error: unknown, endpoint: Endpoint, denied: boolean): string {
  if (denied) {
    return `the key may not read ${endpoint.path}: grant the "${endpoint.permission}" permission to the user's group (ActiveCampaign: Settings → Users → Groups → Permissions)`;
  }
  return error instanceof Error ? error.message : String(error);
}

function indexById(value: unknown): Map<string, Record<string, unknown>> {
  const byId = new Map<string, Record<string, unknown>>();
  if (Array.isArray(value)) for (const row of value as Record<string, unknown>[]) byId.set(String(row.id), row);
  return byId;
}

/** The envelope rows of a parent stream, or null when this run did not read them all. */
type ParentRows = Deferred<Record<string, unknown>[] | null>;

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
