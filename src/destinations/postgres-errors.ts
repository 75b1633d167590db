/**
 * PostgreSQL's errors as acsync acts on them: the SQLSTATE of a failed statement, and a failed connection
 * attempt as a one-line ConfigError naming the server and the fix.
 */
import { ConfigError } from '../core/errors.js';
import { URI_FORM, serverAddress, type PostgresOptions } from './postgres-options.js';

/** SQLSTATEs acted upon. */
export const UNIQUE_VIOLATION = '23505';
export const DEPENDENT_OBJECTS_STILL_EXIST = '2BP01';
export const INSUFFICIENT_PRIVILEGE = '42501';

/** The SQLSTATE of a failed statement (or a Node error code of a failed connection). */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A failed connection attempt as a one-line ConfigError naming the server and the fix; never the password. */
export function connectionError(options: PostgresOptions, error: unknown): ConfigError {
  const address = serverAddress(options);
  const { user, database } = options;
  const code = sqlState(error);
  let message = error instanceof Error ? error.message : String(error);
  if (options.password) message = message.split(options.password).join('***');
  message = message.split('\n')[0]!;
  const check = `check --dest (${URI_FORM})`;
  switch (code) {
    case 'ECONNREFUSED':
      return new ConfigError(`cannot connect to PostgreSQL at ${address} (database "${database}"): connection refused; is the server running and listening there? ${check}`);
    case 'ENOENT':
      return new ConfigError(`cannot connect to PostgreSQL (database "${database}"): no server socket ${address}; is the server running? ${check}`);
    case 'ENOTFOUND': case 'EAI_AGAIN':
      return new ConfigError(`cannot connect to PostgreSQL (database "${database}"): host ${options.host} not found; ${check}`);
    case 'ETIMEDOUT': case 'EHOSTUNREACH': case 'ENETUNREACH':
      return new ConfigError(`cannot connect to PostgreSQL at ${address} (database "${database}"): ${code === 'ETIMEDOUT' ? 'no answer' : 'unreachable'}; check the host, the port and the firewall`);
    case '28P01':
      return new ConfigError(`PostgreSQL at ${address} rejected the password of user "${user}" (database "${database}"); check the user and password in --dest or PGPASSWORD`);
    case '28000':
      if (/no encryption/i.test(message)) {
        return new ConfigError(`PostgreSQL at ${address} accepts user "${user}" only over SSL: add ?sslmode=require to --dest`);
      }
      return new ConfigError(`PostgreSQL at ${address} refused user "${user}" for database "${database}": ${message}; check the user in --dest and the server's pg_hba.conf`);
    case '3D000':
      return new ConfigError(`database "${database}" does not exist on PostgreSQL at ${address}; create it (createdb -h ${options.host} -p ${options.port} -U ${user} ${database}) or name another in --dest`);
    case INSUFFICIENT_PRIVILEGE:
      return new ConfigError(`user "${user}" may not connect to database "${database}" on PostgreSQL at ${address}: ${message}`);
    case '53300':
      return new ConfigError(`PostgreSQL at ${address} has too many connections; retry later or raise max_connections`);
    case '57P03':
      return new ConfigError(`PostgreSQL at ${address} is starting up or shutting down; retry in a moment`);
  }
  if (/password must be a string|no password (was )?(supplied|provided)/i.test(message)) {
    return new ConfigError(`PostgreSQL at ${address} asks for a password for user "${user}": put it in --dest (postgres://${user}:<password>@…) or set PGPASSWORD`);
  }
  if (/does not support SSL/i.test(message)) {
    return new ConfigError(`PostgreSQL at ${address} does not accept SSL connections; remove sslmode=${options.sslMode} from --dest`);
  }
  if (/timeout/i.test(message)) {
    return new ConfigError(`cannot connect to PostgreSQL at ${address} (database "${database}"): no answer within ${options.connectTimeoutSeconds} s; check the host, the port and the firewall`);
  }
  return new ConfigError(`cannot connect to PostgreSQL at ${address} (database "${database}", user "${user}"): ${message}`);
}
