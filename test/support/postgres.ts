/**
 * A PostgreSQL server for tests. With ACSYNC_TEST_PG_URL set (a server where the tests may create
 * databases), each call creates a fresh database there and `stop()` drops it. Otherwise each call starts a
 * throwaway cluster from the Debian `postgresql` package's binaries (/usr/lib/postgresql/<version>/bin):
 * initdb into a temporary directory, then pg_ctl start on a free 127.0.0.1 port with the socket in that
 * directory, fsync off unless asked, password (SCRAM) authentication over TCP so that wrong passwords can be tested.
 * As root the server runs as user `postgres` (PostgreSQL refuses to run as root).
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface TestPostgres {
  /** `postgres://user:password@127.0.0.1:port/database` of a database the tests own. */
  readonly url: string;
  stop(): Promise<void>;
}

const POSTGRES_ROOT = '/usr/lib/postgresql';

/**
 * `durable`: keep fsync and synchronous commit on in a throwaway cluster (benchmarks); tests leave them
 * off for speed, which changes nothing they check since the server itself is never killed.
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<TestPostgres> {
  const external = process.env.ACSYNC_TEST_PG_URL;
  return external ? freshDatabase(external) : throwawayCluster(options.durable ?? false);
}

/** A database of its own on the server of `serverUrl`, dropped by `stop()`. */
async function freshDatabase(serverUrl: string): Promise<TestPostgres> {
  const name = `acsync_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    stop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** The bin directory of the newest installed PostgreSQL server. */
function serverBinaries(): string {
  const versions = existsSync(POSTGRES_ROOT) ? readdirSync(POSTGRES_ROOT) : [];
  const usable = versions
    .filter((version) => existsSync(join(POSTGRES_ROOT, version, 'bin', 'initdb')) && existsSync(join(POSTGRES_ROOT, version, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  if (usable.length === 0) {
    throw new Error(`no PostgreSQL server binaries (initdb, pg_ctl) under ${POSTGRES_ROOT}/*/bin: install the Debian package postgresql (apt-get install postgresql), or set ACSYNC_TEST_PG_URL to a server where the tests may create databases`);
  }
  return join(POSTGRES_ROOT, usable[0]!, 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

async function throwawayCluster(durable: boolean): Promise<TestPostgres> {
  const bin = serverBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'acsync-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const passwordFile = join(dir, 'password');
  const password = randomBytes(12).toString('hex');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });

  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    let ids: number[];
    try {
      ids = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, 'postgres'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()));
    } catch {
      rmSync(dir, { recursive: true, force: true });
      throw new Error('PostgreSQL refuses to run as root and there is no user postgres to run it as: install the Debian package postgresql (it creates the user), or set ACSYNC_TEST_PG_URL');
    }
    const [uid, gid] = ids as [number, number];
    chownSync(dir, uid, gid);
    chownSync(passwordFile, uid, gid);
  }
  /** Runs a server program, as user postgres when we are root; cwd is the cluster directory (readable by it). */
  const server = (program: string, args: readonly string[]) => (asRoot
    ? run('runuser', ['-u', 'postgres', '--', join(bin, program), ...args], { cwd: dir })
    : run(join(bin, program), [...args], { cwd: dir }));
  const logTail = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : '');

  let started = false;
  const stopSync = () => {
    if (!started) return;
    try {
      const args = [join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'];
      if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', ...args], { cwd: dir, stdio: 'ignore' });
      else execFileSync(args[0]!, args.slice(1), { cwd: dir, stdio: 'ignore' });
    } catch {
      // Already stopped.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A test file that fails before stop() must not leave a server behind.
  process.on('exit', stopSync);

  try {
    await server('initdb', ['-D', data, '-U', 'postgres', `--pwfile=${passwordFile}`, '--auth-local=trust',
      '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync']);
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const settings = [`-c listen_addresses=127.0.0.1`, `-c port=${port}`, `-c unix_socket_directories=${dir}`,
        '-c max_connections=40',
        ...(durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c shared_buffers=32MB']),
      ].join(' ');
      try {
        await server('pg_ctl', ['-D', data, '-l', log, '-o', settings, '-w', '-t', '60', 'start']);
        started = true;
        break;
      } catch (error) {
        // Another process may have taken the port between the probe and the start.
        if (attempt >= 3) throw new Error(`pg_ctl start failed: ${(error as Error).message}\n${logTail()}`);
      }
    }
    return {
      url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
      async stop() {
        process.off('exit', stopSync);
        try {
          await server('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    stopSync();
    process.off('exit', stopSync);
    throw error;
  }
}
