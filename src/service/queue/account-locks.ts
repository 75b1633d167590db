/**
 * One sync per ActiveCampaign account at a time, whichever connector and worker it belongs to. On PostgreSQL a
 * run holds a session advisory lock on a connection of its own for its whole duration: the server drops it when
 * that connection closes, so a worker killed with kill -9 frees its account without anyone's help, and a run
 * that outlives its job's lease still keeps a second worker out. The embedded database lives in one process, whose
 * single connection would take the same advisory lock twice (session locks are re-entrant), so there the
 * process keeps the set of busy accounts itself.
 */
import pg from 'pg';

export interface AccountLock {
  /** Fires when the lock can no longer be trusted (its connection dropped): the run must stop. */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export interface AccountLocks {
  /** The account's lock, or null when another run holds it. */
  tryAcquire(account: string): Promise<AccountLock | null>;
}

/** The advisory lock key of an account: a 64-bit hash of its name, in a namespace of acsync's own. */
const LOCK_KEY_SQL = `hashtextextended('acsync account ' || $1, 0)`;

export function postgresAccountLocks(url: string): AccountLocks {
  return {
    async tryAcquire(account) {
      const client = new pg.Client({ connectionString: url, application_name: 'acsync account lock' });
      const lost = new AbortController();
      let released = false;
      const onLost = (error?: Error) => {
        if (!released) lost.abort(error ?? new Error(`the connection holding the lock of account ${account} closed`));
      };
      client.on('error', onLost);
      client.on('end', () => onLost());
      await client.connect();
      try {
        const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_KEY_SQL}) AS locked`, [account]);
        if (!rows[0]?.locked) {
          released = true;
          await client.end();
          return null;
        }
      } catch (error) {
        released = true;
        await client.end().catch(() => {});
        throw error;
      }
      return {
        lost: lost.signal,
        async release() {
          if (released) return;
          released = true;
          // Closing the session releases its advisory locks.
          await client.end().catch(() => {});
        },
      };
    },
  };
}

export function inProcessAccountLocks(): AccountLocks {
  const busy = new Set<string>();
  return {
    tryAcquire(account) {
      if (busy.has(account)) return Promise.resolve(null);
      busy.add(account);
      let released = false;
      return Promise.resolve({
        lost: new AbortController().signal,
        release() {
          if (!released) busy.delete(account);
          released = true;
          return Promise.resolve();
        },
      });
    },
  };
}
