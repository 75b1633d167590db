/**
 * The job model over pg-boss, the same on a PostgreSQL server and on the embedded PGlite. pg-boss stores the jobs
 * and hands each to one worker (`FOR UPDATE SKIP LOCKED`); its supervisor turns a job whose lease ran out (its
 * worker was killed) back into a retry. This file adds what a sync needs on top:
 *
 * - a lease kept alive by a heartbeat, so that a long run is never taken while its worker lives, and a killed
 *   worker's run is taken again within one lease (plus one supervision interval);
 * - one run per account (./account-locks.ts); a job whose account is busy goes back to wait, not to fail;
 * - a graceful stop that aborts the handlers and puts their jobs back at once, to resume elsewhere;
 * - cancellation seen by the worker running the job, whichever process cancelled it;
 * - schedules (./schedules.ts).
 *
 * The state changes pg-boss has no call for (heartbeat, hand back, wait) are single UPDATEs on its job table.
 */
import PgBoss from 'pg-boss';
import type { JobQueue, RunJobHandler, RunKind, Schedule, ServiceDb } from '../jobs.js';
import type { AccountLocks } from './account-locks.js';
import { executorOf, type SqlExecutor } from './database.js';
import { nextDue, SCHEDULES_DDL, SCHEDULES_TABLE, scheduleOf, validateSchedule, type ScheduleRow } from './schedules.js';
import type { QueueTiming } from '../defaults.js';

/** pg-boss's tables live in a schema of their own, beside the service's. */
export const BOSS_SCHEMA = 'acsync_pgboss';
const QUEUE_NAME = 'acsync-runs';
const JOBS = `${BOSS_SCHEMA}.job`;

/** How often a job may be taken again after a lost lease before pg-boss gives up on it. */
const MAX_TAKEOVERS = 100;

interface JobData {
  readonly connectorId: string;
  readonly account: string;
  readonly kind: RunKind;
  /** The due time a scheduled run was queued for. */
  readonly due?: string;
}

interface Running {
  /** Aborted by a graceful stop, a cancel, a lost lease or a lost account lock. */
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

export interface QueueEvents {
  /** Something went wrong outside any handler (a poll, a heartbeat, a schedule tick); the queue carries on. */
  onError?: (error: Error) => void;
}

export class PgBossJobQueue implements JobQueue {
  readonly #db: ServiceDb;
  readonly #boss: PgBoss;
  readonly #locks: AccountLocks;
  readonly #timing: QueueTiming;
  readonly #onError: (error: Error) => void;
  readonly #running = new Map<string, Running>();
  #working: Promise<void> | null = null;
  #stopping = false;
  #wake: (() => void) | null = null;
  #scheduleTimer: NodeJS.Timeout | null = null;
  #ticking: Promise<void> | null = null;

  private constructor(db: ServiceDb, boss: PgBoss, locks: AccountLocks, timing: QueueTiming, events: QueueEvents) {
    this.#db = db;
    this.#boss = boss;
    this.#locks = locks;
    this.#timing = timing;
    this.#onError = events.onError ?? (() => {});
  }

  /** Creates pg-boss's and the schedules' tables if missing, and starts pg-boss's supervision. */
  static async start(db: ServiceDb & SqlExecutor, locks: AccountLocks, timing: QueueTiming, events: QueueEvents = {}): Promise<PgBossJobQueue> {
    const boss = new PgBoss({
      db,
      schema: BOSS_SCHEMA,
      migrate: true,
      supervise: true,
      schedule: false,
      // Expired leases are found by the supervisor: often enough that a killed worker's job waits about one lease.
      maintenanceIntervalSeconds: Math.max(1, Math.round(timing.leaseSeconds / 2)),
      monitorStateIntervalSeconds: 3600,
    });
    const queue = new PgBossJobQueue(db, boss, locks, timing, events);
    boss.on('error', (error: Error) => queue.#onError(error));
    await boss.start();
    await db.transaction(async (tx) => {
      // Two processes starting at once must not both create the schema.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('acsync queue schema', 0))`);
      await tx.query(SCHEDULES_DDL);
    });
    await boss.createQueue(QUEUE_NAME, { name: QUEUE_NAME, policy: 'standard' });
    return queue;
  }

  /** Looks for due schedules every `scheduleTickSeconds` until `close`. */
  startScheduler(): void {
    if (this.#scheduleTimer) return;
    const tick = () => {
      this.#ticking ??= this.fireDueSchedules().then(() => {}, (error: unknown) => this.#onError(asError(error))).finally(() => {
        this.#ticking = null;
      });
    };
    this.#scheduleTimer = setInterval(tick, this.#timing.scheduleTickSeconds * 1000);
    tick();
  }

  /** Queues a run for each schedule due now, once per due time across every process; resolves to how many. */
  async fireDueSchedules(): Promise<number> {
    return this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<ScheduleRow & { connector_id: string; account: string; next_due: Date; now: Date }>(
        `SELECT connector_id, account, every_minutes, cron, next_due, now() AS now FROM ${SCHEDULES_TABLE}
          WHERE next_due <= now() ORDER BY next_due LIMIT 100 FOR UPDATE SKIP LOCKED`,
      );
      for (const row of rows) {
        // A connector whose previous run is still queued or running skips this due time.
        await this.#enqueueIn(tx, row.connector_id, row.account, 'scheduled', row.next_due);
        await tx.query(`UPDATE ${SCHEDULES_TABLE} SET next_due = $2 WHERE connector_id = $1`, [
          row.connector_id, nextDue(scheduleOf(row), row.now, row.next_due),
        ]);
      }
      return rows.length;
    });
  }

  async setSchedule(connectorId: string, account: string, schedule: Schedule | null): Promise<void> {
    if (schedule === null) {
      await this.#db.query(`DELETE FROM ${SCHEDULES_TABLE} WHERE connector_id = $1`, [connectorId]);
      return;
    }
    validateSchedule(schedule);
    const everyMinutes = 'everyMinutes' in schedule ? schedule.everyMinutes : null;
    const cron = 'cron' in schedule ? schedule.cron.trim() : null;
    // An unchanged schedule keeps its next due time, so that saving a connector does not postpone its runs.
    await this.#db.query(
      `INSERT INTO ${SCHEDULES_TABLE} (connector_id, account, every_minutes, cron, next_due) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (connector_id) DO UPDATE SET account = EXCLUDED.account, every_minutes = EXCLUDED.every_minutes,
          cron = EXCLUDED.cron,
          next_due = CASE WHEN ${SCHEDULES_TABLE}.every_minutes IS NOT DISTINCT FROM EXCLUDED.every_minutes
            AND ${SCHEDULES_TABLE}.cron IS NOT DISTINCT FROM EXCLUDED.cron THEN ${SCHEDULES_TABLE}.next_due ELSE EXCLUDED.next_due END`,
      [connectorId, account, everyMinutes, cron, nextDue(schedule, new Date())],
    );
  }

  enqueue(connectorId: string, account: string, kind: RunKind): Promise<string> {
    return this.#db.transaction((tx) => this.#enqueueIn(tx, connectorId, account, kind));
  }

  /** Queues a run in `tx` unless the connector has one queued or running; resolves to the job's id either way. */
  async #enqueueIn(tx: ServiceDb, connectorId: string, account: string, kind: RunKind, due?: Date): Promise<string> {
    // Serialises enqueues of one connector across processes until the transaction ends.
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('acsync connector ' || $1, 0))`, [connectorId]);
    const { rows } = await tx.query<{ id: string }>(
      `SELECT id FROM ${JOBS} WHERE name = $1 AND singleton_key = $2 AND state < 'completed' ORDER BY created_on LIMIT 1`,
      [QUEUE_NAME, connectorId],
    );
    if (rows[0]) return rows[0].id;
    const data: JobData = { connectorId, account, kind, ...(due ? { due: due.toISOString() } : {}) };
    const id = await this.#boss.send(QUEUE_NAME, data as object, {
      db: executorOf(tx) as PgBoss.Db,
      singletonKey: connectorId,
      retryLimit: MAX_TAKEOVERS,
      retryDelay: 0,
      // Until its worker's first heartbeat sets the real lease.
      expireInSeconds: Math.max(60, this.#timing.leaseSeconds),
    });
    if (!id) throw new Error(`pg-boss queued no job for connector ${connectorId}`);
    return id;
  }

  async cancel(jobId: string): Promise<boolean> {
    const { rows } = await this.#db.query(
      `UPDATE ${JOBS} SET state = 'cancelled', completed_on = now() WHERE name = $1 AND id = $2 AND state < 'completed' RETURNING id`,
      [QUEUE_NAME, jobId],
    );
    // A job running here stops now; one running elsewhere stops at its worker's next heartbeat.
    this.#running.get(jobId)?.controller.abort(new Error('the run was cancelled'));
    return rows.length > 0;
  }

  async remove(connectorId: string): Promise<void> {
    await this.setSchedule(connectorId, '', null);
    const { rows } = await this.#db.query<{ id: string }>(
      `UPDATE ${JOBS} SET state = 'cancelled', completed_on = now() WHERE name = $1 AND singleton_key = $2 AND state < 'completed' RETURNING id`,
      [QUEUE_NAME, connectorId],
    );
    for (const { id } of rows) this.#running.get(id)?.controller.abort(new Error('the connector was deleted'));
  }

  work(handler: RunJobHandler, options: { readonly concurrency?: number } = {}): Promise<void> {
    if (this.#working) throw new Error('this queue is already working');
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.#stopping = false;
    this.#working = this.#workLoop(handler, concurrency).finally(() => {
      this.#working = null;
    });
    return this.#working;
  }

  async #workLoop(handler: RunJobHandler, concurrency: number): Promise<void> {
    while (!this.#stopping) {
      if (this.#running.size >= concurrency) {
        await this.#sleep(Promise.race([...this.#running.values()].map((running) => running.done)), null);
        continue;
      }
      let job: PgBoss.JobWithMetadata<JobData> | undefined;
      try {
        [job] = await this.#boss.fetch<JobData>(QUEUE_NAME, { batchSize: 1, includeMetadata: true });
      } catch (error) {
        this.#onError(asError(error));
      }
      if (this.#stopping) {
        // Taken just as the stop came: straight back, untouched.
        if (job) await this.#handBack(job.id, { waitSeconds: 0, attempted: false }).catch((error: unknown) => this.#onError(asError(error)));
        break;
      }
      if (!job) {
        await this.#sleep(null, this.#timing.pollSeconds * 1000);
        continue;
      }
      this.#start(job, handler);
    }
    await Promise.all([...this.#running.values()].map((running) => running.done));
  }

  /** Waits for `until` or `ms`, or for `stop`. */
  async #sleep(until: Promise<unknown> | null, ms: number | null): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      ...(until ? [until] : []),
      ...(ms !== null ? [new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))] : []),
      new Promise<void>((resolve) => (this.#wake = resolve)),
    ]);
    clearTimeout(timer);
    this.#wake = null;
  }

  #start(job: PgBoss.JobWithMetadata<JobData>, handler: RunJobHandler): void {
    const controller = new AbortController();
    let settle!: () => void;
    const running: Running = { controller, done: new Promise<void>((resolve) => (settle = resolve)) };
    this.#running.set(job.id, running);
    this.#run(job, handler, running)
      .catch((error: unknown) => this.#onError(asError(error)))
      .finally(() => {
        this.#running.delete(job.id);
        settle();
      });
  }

  async #run(job: PgBoss.JobWithMetadata<JobData>, handler: RunJobHandler, running: Running): Promise<void> {
    // Claims the real lease at once: the job's own expiry is only a default until the first heartbeat.
    if (!(await this.#heartbeat(job.id))) return;
    const lock = await this.#locks.tryAcquire(job.data.account);
    if (!lock) {
      await this.#handBack(job.id, { waitSeconds: this.#timing.busyRetrySeconds, attempted: false });
      return;
    }
    const { controller } = running;
    const onLockLost = () => controller.abort(lock.lost.reason);
    lock.lost.addEventListener('abort', onLockLost);
    const heartbeat = setInterval(() => {
      this.#heartbeat(job.id).then(
        (held) => {
          // Cancelled (or, after a lost lease, no longer ours): the run stops.
          if (!held) controller.abort(new Error('the run was cancelled'));
        },
        (error: unknown) => this.#onError(asError(error)),
      );
    }, (this.#timing.leaseSeconds * 1000) / 3);
    try {
      let failure: Error | null = null;
      try {
        await handler({ id: job.id, connectorId: job.data.connectorId, kind: job.data.kind, attempt: job.retryCount }, controller.signal);
      } catch (error) {
        failure = asError(error);
      } finally {
        clearInterval(heartbeat);
        lock.lost.removeEventListener('abort', onLockLost);
      }
      // Stopped before its end (a graceful stop, a lost lease or lock): back to the queue to resume. A cancelled
      // job's state is final, and the hand-back leaves it so.
      if (controller.signal.aborted) await this.#handBack(job.id, { waitSeconds: 0, attempted: true });
      else if (failure) await this.#finish(job.id, 'failed', { message: failure.message });
      else await this.#finish(job.id, 'completed', null);
    } finally {
      // The job's state changes first: the account frees only once this run is recorded as over.
      await lock.release();
    }
  }

  /** Extends the job's lease to `leaseSeconds` from now; false when the job is no longer running (cancelled). */
  async #heartbeat(jobId: string): Promise<boolean> {
    const { rows } = await this.#db.query(
      `UPDATE ${JOBS} SET expire_in = (now() - started_on) + make_interval(secs => $3)
        WHERE name = $1 AND id = $2 AND state = 'active' RETURNING id`,
      [QUEUE_NAME, jobId, this.#timing.leaseSeconds],
    );
    return rows.length > 0;
  }

  /**
   * Puts a running job back to be taken again after `waitSeconds`. `attempted`: the handler ran, so the next
   * start counts as a resumption (pg-boss counts a start as a retry when `started_on` is set).
   */
  async #handBack(jobId: string, options: { waitSeconds: number; attempted: boolean }): Promise<void> {
    await this.#db.query(
      `UPDATE ${JOBS} SET state = 'retry', start_after = now() + make_interval(secs => $3),
          started_on = CASE WHEN $4::boolean THEN started_on ELSE NULL END
        WHERE name = $1 AND id = $2 AND state < 'completed'`,
      [QUEUE_NAME, jobId, options.waitSeconds, options.attempted],
    );
  }

  /** Records how a job ended, unless it was cancelled meanwhile. */
  async #finish(jobId: string, state: 'completed' | 'failed', output: object | null): Promise<void> {
    await this.#db.query(
      `UPDATE ${JOBS} SET state = $3::${BOSS_SCHEMA}.job_state, completed_on = now(), output = $4::jsonb
        WHERE name = $1 AND id = $2 AND state < 'completed'`,
      [QUEUE_NAME, jobId, state, output === null ? null : JSON.stringify(output)],
    );
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const running of this.#running.values()) running.controller.abort(new Error('the worker is stopping'));
    this.#wake?.();
    await this.#working;
  }

  /** Stops working and scheduling, and pg-boss's supervision. */
  async close(): Promise<void> {
    if (this.#scheduleTimer) clearInterval(this.#scheduleTimer);
    this.#scheduleTimer = null;
    await this.stop();
    await this.#ticking;
    await this.#boss.stop({ graceful: false, close: false, wait: true });
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
