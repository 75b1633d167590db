/**
 * The service's defaults, in a module of their own so that the CLI can name them in its help without loading the
 * service (its web framework, queue library and embedded database).
 */

export const DEFAULT_PORT = 8321;
export const DEFAULT_DATA_DIR = 'acsync-service';

/** Leases, polling and waits of the job queue; tests shorten them. */
export interface QueueTiming {
  /** How long a job stays its worker's without a heartbeat: after a kill -9, the run is taken again after this. */
  readonly leaseSeconds: number;
  /** How often an idle worker looks for a job. */
  readonly pollSeconds: number;
  /** How long a job whose account is busy waits before a worker tries it again. */
  readonly busyRetrySeconds: number;
  /** How often this process looks for due schedules. */
  readonly scheduleTickSeconds: number;
}

export const DEFAULT_QUEUE_TIMING: QueueTiming = { leaseSeconds: 60, pollSeconds: 2, busyRetrySeconds: 5, scheduleTickSeconds: 10 };
