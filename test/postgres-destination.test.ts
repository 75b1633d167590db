/**
 * The PostgreSQL destination against a real server (test/support/postgres.ts: a throwaway cluster, or a
 * fresh database on ACSYNC_TEST_PG_URL), started once for this file. Every test works in a schema of its
 * own, so tests never see each other's tables.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../src/core/errors.js';
import { TABLES} from '../src/catalog/index.js';
import { openDestination } from '../src/destinations/index.js';
import { PostgresDestination } from '../src/destinations/postgres.js';
import { copyDate, copyTextValue, copyTimestamp } from '../src/destinations/postgres-copy.js';
import { parsePostgresUri, postgresOptionsFromEnv } from '../src/destinations/postgres-options.js';
import type { PostgresOptions } from '../src/destinations/postgres-options.js';
import { stagingName } from '../src/destinations/sql.js';
import type { TableState, TypedRow, TypedValue } from '../src/core/contract.js';
import { destinationContract } from './destination-contract.js';
import { startPostgres } from './support/postgres.js';
import type { TestPostgres } from './support/postgres.js';
import { readPostgresRowCount, readPostgresRuns, readPostgresTable, withPostgres } from './support/read-postgres.js';
import { table } from './support/catalog.js';

let server: TestPostgres;
let schemaCounter = 0;

before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

function newSchema(): string {
  return `t${process.pid}_${++schemaCounter}`;
}

/** The server's URI with `?schema=`. */
function uriFor(schema: string): string {
  const url = new URL(server.url);
  url.searchParams.set('schema', schema);
  return url.toString();
}

function destinationFor(schema: string, extra: Partial<PostgresOptions> = {}): PostgresDestination {
  return new PostgresDestination({ ...parsePostgresUri(uriFor(schema), {}), ...extra });
}

async function withDestination<T>(schema: string, work: (destination: PostgresDestination) => Promise<T>): Promise<T> {
  const destination = destinationFor(schema);
  await destination.open();
  try {
    return await work(destination);
  } finally {
    await destination.close();
  }
}

async function query(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return withPostgres(server.url, async (client) => (await client.query(sql, params)).rows as Record<string, unknown>[]);
}

const contacts = table('contacts');

/** A contacts row: id, email and the rest NULL. */
function contact(id: number, email = `c${id}@example.com`): TypedRow {
  return contacts.columns.map((c) => (c.name === 'id' ? id : c.name === 'email' ? email : null));
}

function fullState(runId: string, rows: number): TableState {
  return { mode: 'full', inProgress: { runId, mode: 'full', stream: '/contacts', position: { offset: rows, rows } } };
}

async function ids(schema: string, name = 'contacts'): Promise<number[]> {
  return (await readPostgresTable(server.url, contacts, schema, name)).map((row) => row[0] as number);
}

destinationContract('PostgreSQL', {
  async create() {
    const schema = newSchema();
    return {
      destination: () => destinationFor(schema),
      readTable: (t) => readPostgresTable(server.url, t, schema),
      readStagingRowCount: (t) => readPostgresRowCount(server.url, stagingName(t), schema),
      readRuns: () => readPostgresRuns(server.url, schema),
      uri: uriFor(schema),
      cleanup: async () => {
        await query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      },
    };
  },
});

describe('PostgreSQL layout', () => {
  test('every catalog table and its staging copy: catalog column order, PostgreSQL types, primary key, comments', async () => {
    // A schema name that needs quoting, created by open().
    const schema = `Acsync "odd" ${newSchema()}`;
    await withDestination(schema, async (destination) => {
      for (const t of TABLES) await (await destination.beginTable(t, 'full', false)).abort();
    });
    const expectedType = { float: 'double precision', text: 'text', timestamp: 'timestamp without time zone', date: 'date', boolean: 'boolean' };
    for (const t of TABLES) {
      for (const name of [t.name, stagingName(t)]) {
        const columns = await query(`SELECT column_name, data_type FROM information_schema.columns
          WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, [schema, name]);
        assert.deepEqual(columns, t.columns.map((c) => ({ column_name: c.name, data_type: expectedType[c.type] })), name);
        const key = await query(`SELECT array_agg(a.attname::text ORDER BY k.ord) AS key FROM pg_index i
          CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
          WHERE i.indrelid = to_regclass($1) AND i.indisprimary`, [`"${schema.replaceAll('"', '""')}"."${name}"`]);
        assert.deepEqual(key, [{ key: [...t.primaryKey] }], name);
      }
    }
    const comments = await query(`SELECT obj_description(c.oid, 'pg_class') AS table_comment,
        col_description(c.oid, (SELECT attnum FROM pg_attribute WHERE attrelid = c.oid AND attname = 'email')) AS email_comment
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'contacts'`, [schema]);
    assert.deepEqual(comments, [{ table_comment: contacts.description, email_comment: 'Contact email address' }]);
    const bookkeeping = await query(`SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema = $1 AND table_name IN ('_acsync_state', '_acsync_runs') ORDER BY table_name, ordinal_position`, [schema]);
    assert.deepEqual(bookkeeping.map((r) => `${String(r.table_name)}.${String(r.column_name)} ${String(r.data_type)}`), [
      '_acsync_runs.run_id text', '_acsync_runs.started_at timestamp without time zone',
      '_acsync_runs.ended_at timestamp without time zone', '_acsync_runs.status text', '_acsync_runs.tables jsonb',
      '_acsync_state.table_name text', '_acsync_state.state jsonb', '_acsync_state.updated_at timestamp without time zone',
    ]);
    await query(`DROP SCHEMA "${schema.replaceAll('"', '""')}" CASCADE`);
  });

  test('full passes swap staging in again and again: the key is named <table>_pkey, grants and comments carry over', async () => {
    const schema = newSchema();
    const role = `reader_${schema}`;
    await query(`CREATE ROLE "${role}"`);
    try {
      for (let pass = 1; pass <= 3; pass++) {
        await withDestination(schema, async (destination) => {
          const writer = await destination.beginTable(contacts, 'full', false);
          await writer.commit({ rows: [contact(pass), contact(pass + 10)] }, fullState(`r${pass}`, 2));
          await writer.finish({ mode: 'full' });
        });
        if (pass === 1) await query(`GRANT SELECT ON "${schema}".contacts TO "${role}"`);
        assert.deepEqual(await ids(schema), [pass, pass + 10]);
      }
      const [row] = await query(`SELECT (SELECT conname FROM pg_constraint WHERE conrelid = c.oid AND contype = 'p') AS key,
          has_table_privilege($2, c.oid, 'SELECT') AS readable, obj_description(c.oid, 'pg_class') AS comment
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'contacts'`,
      [schema, role]);
      assert.deepEqual(row, { key: 'contacts_pkey', readable: true, comment: contacts.description });
    } finally {
      await query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await query(`DROP ROLE "${role}"`);
    }
  });

  test('a view on a table survives full passes: the rows are replaced in place instead of the table', async () => {
    const schema = newSchema();
    await withDestination(schema, async (destination) => {
      const writer = await destination.beginTable(contacts, 'full', false);
      await writer.commit({ rows: [contact(1)] }, fullState('r1', 1));
      await writer.finish({ mode: 'full' });
    });
    await query(`CREATE VIEW "${schema}".emails AS SELECT id, email FROM "${schema}".contacts`);
    await withDestination(schema, async (destination) => {
      const writer = await destination.beginTable(contacts, 'full', false);
      await writer.commit({ rows: [contact(2), contact(3)] }, fullState('r2', 2));
      await writer.finish({ mode: 'full', lastFullAt: '2024-03-01T00:00:00.000Z' });
      assert.deepEqual((await destination.readState()).get('contacts'), { mode: 'full', lastFullAt: '2024-03-01T00:00:00.000Z' });
    });
    assert.deepEqual(await query(`SELECT id, email FROM "${schema}".emails ORDER BY id`),
      [{ id: 2, email: 'c2@example.com' }, { id: 3, email: 'c3@example.com' }]);
    assert.equal(await readPostgresRowCount(server.url, stagingName(contacts), schema), null);
    await query(`DROP SCHEMA "${schema}" CASCADE`);
  });

  test('readers see the previous copy while a full pass commits, and the new one after finish', async () => {
    const schema = newSchema();
    await withDestination(schema, async (destination) => {
      const first = await destination.beginTable(contacts, 'full', false);
      await first.commit({ rows: [contact(1), contact(2)] }, fullState('r1', 2));
      await first.finish({ mode: 'full' });
      const second = await destination.beginTable(contacts, 'full', false);
      await second.commit({ rows: [contact(5)] }, fullState('r2', 1));
      assert.deepEqual(await ids(schema), [1, 2]);
      await second.commit({ rows: [contact(6)] }, fullState('r2', 2));
      assert.deepEqual(await ids(schema), [1, 2]);
      await second.finish({ mode: 'full' });
      assert.deepEqual(await ids(schema), [5, 6]);
    });
    await query(`DROP SCHEMA "${schema}" CASCADE`);
  });

  test('a live table of another shape is refused in incremental mode and rebuilt by a full pass', async () => {
    const schema = newSchema();
    await query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".contacts (id double precision PRIMARY KEY, email text)`);
    await withDestination(schema, async (destination) => {
      await assert.rejects(destination.beginTable(contacts, 'incremental', false),
        /table contacts in PostgreSQL .* does not have the columns and key acsync writes; run it once in full mode/);
      const writer = await destination.beginTable(contacts, 'full', false);
      await writer.commit({ rows: [contact(1)] }, fullState('r', 1));
      await writer.finish({ mode: 'full' });
      const next = await destination.beginTable(contacts, 'incremental', false);
      await next.commit({ rows: [contact(2)] }, { mode: 'incremental' });
      await next.finish({ mode: 'incremental' });
    });
    assert.deepEqual(await ids(schema), [1, 2]);
    await query(`DROP SCHEMA "${schema}" CASCADE`);
  });

  test('state is jsonb that SQL can read; runs store their times as UTC', async () => {
    const schema = newSchema();
    await withDestination(schema, async (destination) => {
      const writer = await destination.beginTable(contacts, 'incremental', false);
      await writer.commit({ rows: [contact(1)] }, { mode: 'incremental', cursor: '2024-03-01T19:02:11.000Z' });
      await destination.recordRun({ runId: 'a', startedAt: '2024-03-01T10:00:00.250-03:00', endedAt: null, status: 'running', tables: [] });
    });
    assert.deepEqual(await query(`SELECT state->>'cursor' AS cursor FROM "${schema}"._acsync_state WHERE table_name = 'contacts'`),
      [{ cursor: '2024-03-01T19:02:11.000Z' }]);
    assert.deepEqual(await query(`SELECT to_char(started_at, 'YYYY-MM-DD HH24:MI:SS.MS') AS started FROM "${schema}"._acsync_runs`),
      [{ started: '2024-03-01 13:00:00.250' }]);
    await query(`DROP SCHEMA "${schema}" CASCADE`);
  });
});

describe('PostgreSQL values', () => {
  test('COPY text escapes backslash, tab, newline and carriage return, and drops U+0000', () => {
    assert.equal(copyTextValue('plain 😀'), 'plain 😀');
    assert.equal(copyTextValue('a\\b\tc\nd\re\u0000f'), 'a\\\\b\\tc\\nd\\re' + 'f');
    assert.equal(copyTextValue('\\N'), '\\\\N');
  });

  test('timestamps and dates are written with six fractional digits, BC years and years past 9999', () => {
    assert.equal(copyTimestamp(0n), '1970-01-01 00:00:00.000000');
    assert.equal(copyTimestamp(-1n), '1969-12-31 23:59:59.999999');
    assert.equal(copyTimestamp(1_700_000_000_123_456n), '2023-11-14 22:13:20.123456');
    assert.equal(copyTimestamp(-62_135_596_800_000_001n), '0001-12-31 23:59:59.999999 BC');
    assert.equal(copyTimestamp(253_402_300_800_000_000n), '10000-01-01 00:00:00.000000');
    assert.equal(copyDate(0), '1970-01-01');
    assert.equal(copyDate(-719_163), '0001-12-31 BC');
    assert.equal(copyDate(11_016), '2000-02-29');
  });

  test('values PostgreSQL alone can hold round-trip: BC and far-future times, infinities, -0; U+0000 is dropped', async () => {
    const schema = newSchema();
    const column = (name: string) => contacts.columns.findIndex((c) => c.name === name);
    const row = (id: number, values: Record<string, TypedValue>): TypedRow => {
      const r = contact(id);
      for (const [name, value] of Object.entries(values)) r[column(name)] = value;
      return r;
    };
    const rows = [
      row(1, { cdate: -62_167_219_200_000_000n, bounced_date: -719_528, sentcnt: Infinity, email: 'nul\u0000byte' }),
      row(2, { cdate: -188_000_000_000_000_000n, bounced_date: -2_000_000, sentcnt: -Infinity }),
      row(3, { cdate: 600_000_000_000_000_000n, bounced_date: 3_000_000, sentcnt: -0 }),
    ];
    await withDestination(schema, async (destination) => {
      const writer = await destination.beginTable(contacts, 'incremental', false);
      await writer.commit({ rows }, { mode: 'incremental' });
      await writer.finish({ mode: 'incremental' });
    });
    const read = await readPostgresTable(server.url, contacts, schema);
    const expected = rows.map((r) => [...r]);
    expected[0]![column('email')] = 'nulbyte';
    assert.deepEqual(read, expected);
    assert.ok(Object.is(read[2]![column('sentcnt')], -0));
    const [years] = await query(`SELECT array_agg(to_char(cdate, 'YYYY-MM-DD BC') ORDER BY id) AS years FROM "${schema}".contacts`);
    assert.deepEqual(years, { years: ['0001-01-01 BC', '3989-07-08 BC', '20983-03-30 AD'] });
    await query(`DROP SCHEMA "${schema}" CASCADE`);
  });
});

describe('PostgreSQL URIs', () => {
  test('a URI gives host, port, user, password, database and schema; the description hides the password', () => {
    const options = parsePostgresUri('postgresql://ana%40corp:p%40ss%2Fw:rd@db.example.com:6543/ac%20data?schema=raw&sslmode=require', {});
    assert.deepEqual(options, {
      host: 'db.example.com', port: 6543, user: 'ana@corp', password: 'p@ss/w:rd', database: 'ac data', schema: 'raw',
      sslMode: 'require', connectTimeoutSeconds: 10,
    });
    const destination = new PostgresDestination(options);
    assert.equal(destination.description, 'PostgreSQL ana@corp@db.example.com:6543/ac data, schema raw');
    assert.ok(!destination.description.includes('p@ss'));
  });

  test('what the URI leaves out comes from the PG* variables, then the defaults', () => {
    const env = { PGHOST: '/run/postgresql', PGPORT: '5433', PGUSER: 'etl', PGPASSWORD: 'secret', PGDATABASE: 'warehouse' };
    assert.deepEqual(parsePostgresUri('postgres://db.internal', env), {
      host: 'db.internal', port: 5433, user: 'etl', password: 'secret', database: 'warehouse', schema: 'public',
      sslMode: 'prefer', connectTimeoutSeconds: 10,
    });
    assert.deepEqual(postgresOptionsFromEnv(env), {
      host: '/run/postgresql', port: 5433, user: 'etl', password: 'secret', database: 'warehouse', schema: 'public',
      sslMode: 'prefer', connectTimeoutSeconds: 10,
    });
    const defaults = parsePostgresUri('postgres://[::1]/', { PGUSER: 'me' });
    assert.deepEqual([defaults.host, defaults.port, defaults.user, defaults.database, defaults.password], ['::1', 5432, 'me', 'me', undefined]);
    assert.equal(new PostgresDestination(defaults).description, 'PostgreSQL me@[::1]:5432/me, schema public');
    assert.equal(new PostgresDestination(postgresOptionsFromEnv(env)).description,
      'PostgreSQL etl@/run/postgresql/.s.PGSQL.5433/warehouse, schema public');
  });

  test('openDestination takes postgres://, postgresql:// and the bare word postgres', async () => {
    for (const uri of ['postgres://u:pw@h:1/d', 'postgresql://u:pw@h:1/d?schema=s', 'postgres']) {
      assert.ok((await openDestination(uri)) instanceof PostgresDestination, uri);
    }
    assert.equal((await openDestination('postgres://u:pw@h:1/d?schema=s')).description, 'PostgreSQL u@h:1/d, schema s');
  });

  test('bad URIs are ConfigErrors that never show the password', async () => {
    const cases: [string, RegExp][] = [
      ['postgres://u:topsecret@h/d?scheme=x', /unknown parameter "scheme" in the PostgreSQL URI; supported: schema, sslmode/],
      ['postgres://u:topsecret@h:99999/d', /not a valid PostgreSQL URI|port "99999" is not a port number/],
      ['postgres://u:topsecret@h/d?sslmode=sometimes', /unknown sslmode "sometimes"/],
      ['postgres://u:topsecret@h/d?schema=', /the schema name "" must have 1 to 63 bytes/],
      ['postgress://u:topsecret@h/d', /unsupported destination "postgress:\/\/u:\*\*\*@h\/d"/],
    ];
    for (const [uri, pattern] of cases) {
      await assert.rejects(openDestination(uri), (error: Error) => {
        assert.ok(error instanceof ConfigError, uri);
        assert.match(error.message, pattern);
        assert.ok(!error.message.includes('topsecret'), error.message);
        return true;
      });
    }
  });
});

describe('PostgreSQL connection problems', () => {
  /** The one-line ConfigError `open()` fails with. */
  async function openError(options: PostgresOptions): Promise<string> {
    const destination = new PostgresDestination(options);
    try {
      await destination.open();
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.message.split('\n').length, 1);
      return error.message;
    } finally {
      await destination.close();
    }
    assert.fail('open() succeeded');
  }

  const base = () => parsePostgresUri(server.url, {});

  test('no server listening: connection refused, naming host and port', async () => {
    const options = { ...base(), port: 1 };
    assert.equal(await openError(options),
      `cannot connect to PostgreSQL at 127.0.0.1:1 (database "${options.database}"): connection refused; is the server running and listening there? check --dest (postgres://user[:password]@host[:port]/database[?schema=name])`);
  });

  test('a missing database says how to create it', async () => {
    const options = { ...base(), database: 'no_such_db' };
    assert.equal(await openError(options),
      `database "no_such_db" does not exist on PostgreSQL at 127.0.0.1:${options.port}; create it (createdb -h 127.0.0.1 -p ${options.port} -U ${options.user} no_such_db) or name another in --dest`);
  });

  test('sslmode=require against a server without SSL says so; the default (prefer) falls back to a plain connection', async () => {
    const options = { ...base(), sslMode: 'require' as const };
    assert.equal(await openError(options),
      `PostgreSQL at 127.0.0.1:${options.port} does not accept SSL connections; remove sslmode=require from --dest`);
    const preferred = new PostgresDestination({ ...base(), sslMode: 'prefer', schema: newSchema() });
    await preferred.open();
    await preferred.close();
  });

  test('a wrong or missing password is an authentication error that does not print it', async (t) => {
    const options = base();
    if (!options.password) {
      t.skip('the test server does not ask for passwords');
      return;
    }
    const wrong = await openError({ ...options, password: 'wrong-password-123' });
    assert.equal(wrong, `PostgreSQL at 127.0.0.1:${options.port} rejected the password of user "${options.user}" (database "${options.database}"); check the user and password in --dest or PGPASSWORD`);
    const { password: _password, ...withoutPassword } = options;
    const saved = process.env.PGPASSWORD;
    delete process.env.PGPASSWORD;
    try {
      assert.match(await openError(withoutPassword), /asks for a password for user "postgres": put it in --dest/);
    } finally {
      if (saved !== undefined) process.env.PGPASSWORD = saved;
    }
  });

  test('a second acsync on the same schema is refused; another schema is fine', async () => {
    const schema = newSchema();
    await withDestination(schema, async () => {
      const message = await openError({ ...parsePostgresUri(uriFor(schema), {}), lockWaitMs: 200 });
      assert.match(message, new RegExp(`another acsync process is writing to the schema "${schema}" of database "[^"]+" on 127\\.0\\.0\\.1:\\d+; wait for it to finish`));
      await withDestination(newSchema(), async (other) => {
        assert.equal((await other.readState()).size, 0);
      });
    });
    await withDestination(schema, async (again) => {
      assert.equal((await again.readState()).size, 0);
    });
  });

  test('a user who may not create the schema gets a ConfigError naming the fix', async () => {
    const role = `limited_${process.pid}`;
    // A new role may connect (PUBLIC may) but not create schemas (PUBLIC may not).
    await query(`CREATE ROLE "${role}" LOGIN PASSWORD 'limited-pw'`);
    try {
      const options = { ...parsePostgresUri(server.url, {}), user: role, password: 'limited-pw', schema: newSchema() };
      assert.match(await openError(options),
        new RegExp(`user "${role}" may not create the schema "${options.schema}" of database "[^"]+" on 127\\.0\\.0\\.1:\\d+: create it`));
    } finally {
      await query(`DROP ROLE "${role}"`);
    }
  });

  test('a connection lost mid-run fails the next commit with a clear error, and close() returns', async () => {
    const schema = newSchema();
    const destination = destinationFor(schema);
    await destination.open();
    const writer = await destination.beginTable(contacts, 'incremental', false);
    await writer.commit({ rows: [contact(1)] }, { mode: 'incremental' });
    await query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'acsync' AND datname = current_database() AND pid <> pg_backend_pid()`);
    await assert.rejects(writer.commit({ rows: [contact(2)] }, { mode: 'incremental' }),
      /terminat|connection/i);
    await destination.close();
    assert.deepEqual(await ids(schema), [1]);
    await query(`DROP SCHEMA "${schema}" CASCADE`);
  });
});
