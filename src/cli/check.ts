/** `acsync check`: the work behind the command declared in ./commands/check.ts. */
import { GRANT_HINT, checkAccess } from '../engine/access.js';
import { checkAssumptions } from '../engine/assumptions.js';
import { openAccount } from '../engine/run.js';
import { loadConfigFile, resolveConnection, selectTables, type SyncFlags } from './config.js';
import { EXIT } from './exit.js';
import type { Logger } from './log.js';

export async function runCheck(flags: SyncFlags, logger: Logger): Promise<number> {
  const file = loadConfigFile(flags.config, (message) => logger.warn(message));
  const connection = resolveConnection(flags, file);
  const tables = selectTables(flags.tables ?? file.tables, flags.exclude ?? file.exclude);
  const { client, user } = await openAccount(connection);
  logger.info(`credentials ok: ${connection.baseUrl} as ${String(user.username ?? user.email ?? user.id)}`);

  const access = await checkAccess(client, tables);
  const denied = access.filter((a) => !a.readable);
  // What a sync relies on beyond permissions, each ok or what a sync does instead.
  const assumptions = await checkAssumptions(client);
  if (logger.format === 'json') {
    process.stdout.write(JSON.stringify({ tables: access, assumptions }) + '\n');
  } else {
    const width = Math.max(...access.map((a) => a.table.length));
    const lines = access.map((a) =>
      a.readable ? `ok      ${a.table}` : `denied  ${a.table.padEnd(width)}  grant: ${a.permission}`,
    );
    lines.push('', ...assumptions.map((a) => (a.ok ? `ok      ${a.name}` : `warn    ${a.name}: ${a.instead ?? ''}`)));
    process.stdout.write(lines.join('\n') + '\n');
  }
  // Deals hidden by pipeline restrictions are readable, cut down: said, without failing the check.
  if (assumptions.some((a) => !a.ok && a.name.startsWith('every deal is visible'))) {
    logger.warn('some deals are hidden from the key by pipeline restrictions: see "every deal is visible" above');
  }
  if (denied.length === 0) {
    logger.info(`all ${access.length} tables readable`);
    return EXIT.ok;
  }
  const permissions = [...new Set(denied.map((a) => a.permission))].join(', ');
  logger.warn(`${denied.length} of ${access.length} tables denied; grant ${permissions}: ${GRANT_HINT}`, {
    denied: denied.map((a) => ({ table: a.table, permission: a.permission, reason: a.reason })),
  });
  return EXIT.partial;
}
