/**
 * The PostgreSQL destination's options: from a `postgres://` URI (libpq's form, plus `?schema=`) or from the
 * PG* environment variables alone, with libpq's defaults for what both leave out.
 */
import { userInfo } from 'node:os';
import { ConfigError } from '../core/errors.js';
import { redactUri } from '../core/secrets.js';

/** PostgreSQL silently truncates longer identifiers (NAMEDATALEN - 1 bytes). */
export const MAX_IDENTIFIER_BYTES = 63;
const DEFAULT_PORT = 5432;
const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

export interface PostgresOptions {
  /** Host name or address, or a directory holding the server's Unix socket (starts with `/`). */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Absent: the `pg` driver falls back to PGPASSWORD, then ~/.pgpass. */
  readonly password?: string;
  readonly database: string;
  readonly schema: string;
  /**
   * As libpq's sslmode: `prefer` (the default) and `allow` try TLS without verifying the certificate and
   * fall back to a plain connection when the server has no TLS; `require` insists on TLS; `verify-ca` and
   * `verify-full` also verify the server's certificate against the system's CAs.
   */
  readonly sslMode: SslMode;
  readonly connectTimeoutSeconds: number;
  /** How long `open` waits for another process's writer lock on the schema; default 5 s. */
  readonly lockWaitMs?: number;
}

type Environment = Readonly<Record<string, string | undefined>>;

const URI_PARAMETERS = ['schema', 'sslmode', 'host', 'port', 'user', 'password', 'dbname', 'connect_timeout'];
export const URI_FORM = 'postgres://user[:password]@host[:port]/database[?schema=name]';

/**
 * Options from a `postgres://` or `postgresql://` URI (libpq's URI form). What the URI leaves out comes
 * from the PG* environment variables as libpq takes them, then from libpq's defaults.
 */
export function parsePostgresUri(uri: string, env: Environment = process.env): PostgresOptions {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ConfigError(`"${redactUri(uri)}" is not a valid PostgreSQL URI; use ${URI_FORM}`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`"${redactUri(uri)}" is not a PostgreSQL URI; use ${URI_FORM}`);
  }
  const decode = (part: string, what: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new ConfigError(`the ${what} in the PostgreSQL URI is not valid percent-encoding; use ${URI_FORM}`);
    }
  };
  const parameters = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    if (!URI_PARAMETERS.includes(key)) {
      throw new ConfigError(`unknown parameter "${key}" in the PostgreSQL URI; supported: ${URI_PARAMETERS.join(', ')}`);
    }
    parameters.set(key, value);
  }
  const database = decode(url.pathname.replace(/^\//, ''), 'database');
  if (database.includes('/')) throw new ConfigError(`the PostgreSQL URI names the database "${database}"; use ${URI_FORM}`);
  return resolveOptions({
    host: parameters.get('host') ?? (url.hostname ? decode(url.hostname.replace(/^\[(.*)\]$/, '$1'), 'host') : undefined),
    port: parameters.get('port') ?? (url.port || undefined),
    user: parameters.get('user') ?? (url.username ? decode(url.username, 'user') : undefined),
    password: parameters.get('password') ?? (url.password ? decode(url.password, 'password') : undefined),
    database: parameters.get('dbname') ?? (database || undefined),
    schema: parameters.get('schema'),
    sslMode: parameters.get('sslmode'),
    connectTimeout: parameters.get('connect_timeout'),
  }, env);
}

/** Options of a `postgres` destination: its URL, or the PG* environment alone for the bare word `postgres`. */
export function postgresOptionsOf(target: string, env: Environment = process.env): PostgresOptions {
  return /:\/\//.test(target) ? parsePostgresUri(target, env) : postgresOptionsFromEnv(env);
}

/** Options from the PG* environment variables alone (the bare destination `postgres`). */
export function postgresOptionsFromEnv(env: Environment = process.env): PostgresOptions {
  return resolveOptions({}, env);
}

function resolveOptions(given: {
  host?: string; port?: string; user?: string; password?: string; database?: string; schema?: string;
  sslMode?: string; connectTimeout?: string;
}, env: Environment): PostgresOptions {
  const host = given.host || env.PGHOST || 'localhost';
  const portText = given.port || env.PGPORT || String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new ConfigError(`PostgreSQL port "${portText}" is not a port number (1-65535)`);
  }
  const user = given.user || env.PGUSER || userInfo().username;
  const database = given.database || env.PGDATABASE || user;
  const schema = given.schema ?? 'public';
  if (schema === '' || Buffer.byteLength(schema) > MAX_IDENTIFIER_BYTES) {
    throw new ConfigError(`the schema name "${schema}" must have 1 to ${MAX_IDENTIFIER_BYTES} bytes: set ?schema=<name>`);
  }
  const sslMode = (given.sslMode || env.PGSSLMODE || 'prefer') as SslMode;
  if (!SSL_MODES.includes(sslMode)) {
    throw new ConfigError(`unknown sslmode "${sslMode}"; use one of ${SSL_MODES.join(', ')}`);
  }
  const timeoutText = given.connectTimeout || env.PGCONNECT_TIMEOUT || String(DEFAULT_CONNECT_TIMEOUT_SECONDS);
  const connectTimeoutSeconds = Number(timeoutText);
  if (!/^\d+$/.test(timeoutText)) throw new ConfigError(`connect_timeout "${timeoutText}" is not a number of seconds`);
  const password = given.password ?? env.PGPASSWORD;
  return {
    host, port, user, database, schema, sslMode, connectTimeoutSeconds,
    ...(password !== undefined && password !== '' && { password }),
  };
}

/** Where the server is, for messages: `host:port`, or the socket file for a socket directory. */
export function serverAddress(options: PostgresOptions): string {
  if (options.host.startsWith('/')) return `${options.host}/.s.PGSQL.${options.port}`;
  return options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
}
