/**
 * The service's database, in its two flavours behind one `ServiceDb`: a PostgreSQL server over a `pg` pool, or the
 * embedded PGlite (PostgreSQL compiled to WASM, in this process) in the data folder. Both return the same shapes:
 * int8 and numeric as strings, timestamps as Dates, json as objects (pg's defaults, which PGlite is told to
 * follow for int8).
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { PGlite, types as pgliteTypes, type Transaction } from '@electric-sql/pglite';
import pg from 'pg';
import type { ServiceDb } from '../jobs.js';

type Row = Record<string, unknown>;

/** What pg-boss needs of a database: run one statement with parameters, or a script without. */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
}

/** A `ServiceDb` that also closes, and hands pg-boss its executor. */
export interface OpenDb extends ServiceDb, SqlExecutor {
  readonly flavour: 'postgres' | 'embedded';
  close(): Promise<void>;
}

/**
 * Claims `directory` for this process: PGlite lets a second process open the same folder and the two then
 * corrupt it, so a lock file holds the owner's pid. A lock whose process is gone (killed) is taken over.
 */
function lockDirectory(directory: string): () => void {
  // Beside the folder, not in it: PGlite's initdb wants the folder empty.
  const path = `${directory}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const owner = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(owner) && owner > 0 && processExists(owner)) {
      throw new Error(`the service folder ${directory} is in use by process ${owner} (another acsync serve?): stop it, or share a PostgreSQL database with --queue postgres://…`);
    }
    rmSync(path, { force: true });
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The embedded database in `directory` (created if missing). One process at a time may open it. */
export async function openEmbeddedDb(directory: string): Promise<OpenDb> {
  mkdirSync(directory, { recursive: true });
  const unlock = lockDirectory(directory);
  let lite: PGlite;
  try {
    lite = await PGlite.create({
      dataDir: directory,
      // pg returns int8 as a string (it may exceed 2^53); so does this flavour, so that callers see one shape.
      parsers: { [pgliteTypes.INT8]: (value: string) => value },
    });
  } catch (error) {
    unlock();
    throw error;
  }
  type Runner = Pick<Transaction, 'query' | 'exec'>;
  const run = async (runner: Runner, text: string, params?: readonly unknown[]) => {
    // Without parameters a text may hold several statements, as with pg's simple protocol; the last one's rows answer.
    if (!params || params.length === 0) {
      const results = await runner.exec(text);
      return { rows: (results.at(-1)?.rows ?? []) as Row[] };
    }
    const result = await runner.query(text, params as unknown[]);
    return { rows: result.rows as Row[] };
  };
  const over = (runner: Runner): ServiceDb => ({
    query: async <R extends object>(text: string, params?: readonly unknown[]) => ({ rows: (await run(runner, text, params)).rows as R[] }),
    // PGlite has one connection: a nested transaction would deadlock on its lock, so it joins the outer one.
    transaction: (work) => work(over(runner)),
  });
  return {
    flavour: 'embedded',
    query: async <R extends object>(text: string, params?: readonly unknown[]) => ({ rows: (await run(lite, text, params)).rows as R[] }),
    transaction: (work) => lite.transaction((tx) => work(over(tx))),
    executeSql: (text, values) => run(lite, text, values),
    async close() {
      try {
        await lite.close();
      } finally {
        unlock();
      }
    },
  };
}

/** A pool on the PostgreSQL server of `url`. */
export function openPostgresDb(url: string, options: { max?: number } = {}): OpenDb {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 4, application_name: 'acsync' });
  // An idle client whose server went away must not crash the process; the next query reports the error.
  pool.on('error', () => {});
  const over = (client: pg.PoolClient): ServiceDb => ({
    query: async <R extends object>(text: string, params?: readonly unknown[]) => ({ rows: rowsOf(await client.query(text, params as unknown[])) as R[] }),
    transaction: (work) => work(over(client)),
  });
  return {
    flavour: 'postgres',
    query: async <R extends object>(text: string, params?: readonly unknown[]) => ({ rows: rowsOf(await pool.query(text, params as unknown[])) as R[] }),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(over(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    executeSql: async (text, values) => ({ rows: rowsOf(await pool.query(text, values)) }),
    close: () => pool.end(),
  };
}

/** A script of several statements answers with one result each (pg's simple protocol): the last one's rows count. */
function rowsOf(result: pg.QueryResult | pg.QueryResult[]): Row[] {
  return (Array.isArray(result) ? result.at(-1)?.rows : result.rows) ?? [];
}

/** pg-boss's executor over a `ServiceDb` (inside a transaction, so that a job is queued with what it belongs to). */
export function executorOf(db: ServiceDb): SqlExecutor {
  return { executeSql: (text, values) => db.query(text, values) };
}
