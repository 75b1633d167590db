/**
 * Opens the service's database and job queue: on the PostgreSQL server of `queue` (`postgres://…`), shared by
 * any number of `serve` and `worker` processes on any machines, or, without it, embedded in `dataDir` (PGlite,
 * PostgreSQL in this process: nothing to install, the same job model, one process).
 */
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { isPostgresUrl } from '../../destinations/uri-kind.js';
import type { JobQueue, ServiceDb } from '../jobs.js';
import { inProcessAccountLocks, postgresAccountLocks } from './account-locks.js';
import { openEmbeddedDb, openPostgresDb, type OpenDb } from './database.js';
import { DEFAULT_QUEUE_TIMING, type QueueTiming } from '../defaults.js';
import { PgBossJobQueue } from './job-queue.js';

export { DEFAULT_QUEUE_TIMING, type QueueTiming } from '../defaults.js';

export interface ServiceOptions {
  /** A PostgreSQL URL (`postgres://…`); without it the database is embedded in `dataDir`. */
  readonly queue?: string | undefined;
  /** The service's folder; the embedded database lives in its `db` folder. */
  readonly dataDir: string;
  /** Whether this process queues the runs of due schedules (default true; each due time fires once anyway). */
  readonly scheduler?: boolean | undefined;
  /** Leases, polling and waits; short ones in tests. */
  readonly timing?: Partial<QueueTiming> | undefined;
  /** Errors outside any run (a lost connection while polling, a failed schedule tick); the queue carries on. */
  readonly onError?: ((error: Error) => void) | undefined;
}

export interface Service {
  readonly db: ServiceDb;
  readonly jobs: JobQueue;
  /** Stops the queue (running jobs are handed back) and closes the database. */
  close(): Promise<void>;
}

/** The folder of the embedded database inside the service's data folder. */
export function embeddedDbDirectory(dataDir: string): string {
  return join(dataDir, 'db');
}

export async function openService(options: ServiceOptions): Promise<Service> {
  const timing: QueueTiming = { ...DEFAULT_QUEUE_TIMING, ...options.timing };
  if (options.queue !== undefined && !isPostgresUrl(options.queue)) {
    throw new ConfigError('the queue must be a PostgreSQL URL (postgres://user:password@host:port/database)');
  }
  const db: OpenDb = options.queue !== undefined ? openPostgresDb(options.queue) : await openEmbeddedDb(embeddedDbDirectory(options.dataDir));
  let jobs: PgBossJobQueue;
  try {
    const locks = options.queue !== undefined ? postgresAccountLocks(options.queue) : inProcessAccountLocks();
    jobs = await PgBossJobQueue.start(db, locks, timing, { onError: options.onError });
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
  if (options.scheduler ?? true) jobs.startScheduler();
  let closing: Promise<void> | null = null;
  return {
    db,
    jobs,
    close() {
      closing ??= (async () => {
        try {
          await jobs.close();
        } finally {
          await db.close();
        }
      })();
      return closing;
    },
  };
}
