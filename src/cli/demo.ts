/** `acsync demo`: the work behind the command declared in ./commands/demo.ts. */
import { resolve } from 'node:path';
import { DEFAULT_DEST, MAX_REQUESTS_PER_SECOND } from '../core/defaults.js';
import { startSimulator } from '../simulator/index.js';
import { parsePositiveNumber } from './config.js';
import { EXIT } from './exit.js';
import type { Logger } from './log.js';
import { runSync } from './sync.js';

export interface DemoFlags {
  dest?: string;
  contacts: string;
  unthrottled?: boolean;
}

export async function runDemo(flags: DemoFlags, logger: Logger): Promise<number> {
  const contacts = parsePositiveNumber(flags.contacts, '--contacts') ?? 1000;
  const simulator = await startSimulator({ contacts: Math.round(contacts), rateLimit: flags.unthrottled ? 0 : MAX_REQUESTS_PER_SECOND });
  logger.info(`simulated ActiveCampaign account (${Math.round(contacts)} contacts) at ${simulator.url}`);
  try {
    const dest = flags.dest ?? DEFAULT_DEST;
    const code = await runSync(
      { url: simulator.url, key: simulator.key, dest },
      logger,
      process.stderr.isTTY === true,
      flags.unthrottled ? { requestsPerSecond: 1000 } : {},
    );
    if (code !== EXIT.ok) return code;
    const file = dest.startsWith('duckdb:') ? resolve(dest.slice('duckdb:'.length)) : dest;
    process.stdout.write(
      [
        '',
        `Your copy is in ${file}. Three queries to try (acsync query runs them; so does the duckdb CLI):`,
        '',
        `  ./bin/acsync.js query "SELECT status, count(*) AS deals, sum(value) / 100 AS total FROM deals GROUP BY ALL ORDER BY 1"`,
        `  ./bin/acsync.js query "SELECT tag, count(*) AS contacts FROM contacts_tags GROUP BY tag ORDER BY 2 DESC LIMIT 10"`,
        `  ./bin/acsync.js query "SELECT l.name, count(*) AS members FROM lists_contacts lc JOIN lists l ON l.id = lc.list WHERE lc.status = 1 GROUP BY ALL ORDER BY 2 DESC"`,
        '',
      ].join('\n'),
    );
    return EXIT.ok;
  } finally {
    await simulator.close();
  }
}
