/**
 * The service's two halves meet here. The queue half (./queue/) owns the database the service lives in and the
 * job model: schedules, runs waiting and running, workers, leases, one sync per account at a time. The API half
 * (./api/) owns connectors, run records, secrets, webhooks and what a run does. Each half reads only this file of
 * the other.
 */

/**
 * The database the service keeps its connectors, runs and jobs in: a real PostgreSQL (`--queue postgres://…`),
 * shared by any number of `serve` and `worker` processes, or the embedded one in the data folder.
 */
export interface ServiceDb {
  query<R extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (db: ServiceDb) => Promise<T>): Promise<T>;
}

/** When a connector's runs are due: every N minutes, or a five-field cron expression (UTC). */
export type Schedule = { readonly everyMinutes: number } | { readonly cron: string };

/** Why a run was started. A full refresh reads every table whole whatever its mode. */
export type RunKind = 'scheduled' | 'manual' | 'full_refresh';

/** A run as a worker receives it. */
export interface RunJob {
  /** The job's id; the API half uses it as the run's id. */
  readonly id: string;
  readonly connectorId: string;
  readonly kind: RunKind;
  /**
   * How often this job has been started before (0 the first time): above 0 after a worker was killed or
   * stopped mid-run, when the run resumes from the destination's checkpoint.
   */
  readonly attempt: number;
}

/** What the worker asks of the API half for each job: sync the connector, record the run. */
export type RunJobHandler = (job: RunJob, signal: AbortSignal) => Promise<void>;

export interface JobQueue {
  /**
   * Sets or clears (null: paused or no schedule) a connector's schedule. `account` names the ActiveCampaign
   * account (the API URL's host and port): runs of one account never overlap, whichever connector they belong
   * to. A schedule fires once per due time however many `serve` processes run.
   */
  setSchedule(connectorId: string, account: string, schedule: Schedule | null): Promise<void>;
  /** Queues a run now; resolves to its job id. A connector with a run queued or running gets no second one. */
  enqueue(connectorId: string, account: string, kind: RunKind): Promise<string>;
  /** Cancels a queued job, or aborts a running one (its worker's signal fires); false if it had already ended. */
  cancel(jobId: string): Promise<boolean>;
  /** Forgets a deleted connector's schedule and queued jobs. */
  remove(connectorId: string): Promise<void>;
  /** Takes jobs and runs them with `handler` until `stop`. */
  work(handler: RunJobHandler, options?: { readonly concurrency?: number }): Promise<void>;
  /**
   * Stops taking jobs. Graceful (SIGTERM): running handlers are aborted, their jobs handed back to the queue to
   * resume elsewhere. Either way the returned promise resolves once nothing runs.
   */
  stop(): Promise<void>;
}
