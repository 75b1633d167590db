import { Option, type Command } from 'commander';
import { DEFAULT_DEST, MAX_REQUESTS_PER_SECOND } from '../../core/defaults.js';
import type { SyncFlags } from '../config.js';
import { runCli } from '../exit.js';

export function connectionOptions(command: Command): Command {
  return command
    .option('--url <url>', 'API URL from ActiveCampaign Settings → Developer (env ACTIVECAMPAIGN_URL)')
    .option('--key <key>', 'API key from the same page (env ACTIVECAMPAIGN_KEY); never printed')
    .option('--config <file>', 'JSON config file (default: ./acsync.json if present)')
    .option('--log-format <format>', 'text or json', 'text');
}

export function registerSync(program: Command): void {
  connectionOptions(
    program
      .command('sync')
      .description('replicate the account into the destination (incremental where possible)')
      .option('--dest <uri>', `destination (default ${DEFAULT_DEST}; env ACSYNC_DEST)`)
      .option('--tables <list>', 'only these tables (comma-separated)')
      .option('--exclude <list>', 'every table but these')
      .option('--mode <list>', 'per-table mode, e.g. contacts=incremental,deals=full')
      .option('--full-refresh <tables>', 'force a full pass on these incremental tables, or "all"')
      .option('--refresh-every <list>', 'read tables read whole at most every N hours: N for all of them, or table=N,… (default: every run)')
      .option('--timezone <zone>', 'account time zone (IANA, e.g. America/Sao_Paulo) for naive timestamps')
      .option('--rate <n>', `requests per second, at most ${MAX_REQUESTS_PER_SECOND} (the API limit per account; no cap for a local simulator)`)
      .option('--overlap-hours <n>', 'hours re-read before the incremental cursor (default 24)')
      .option('--max-wait <seconds>', 'longest wait the API may ask for before the run stops, resumable (default 600)')
      .addOption(new Option('--batch-rows <n>', 'rows per committed batch (checkpoint granularity)').hideHelp()),
  ).action(async (flags: SyncFlags & { logFormat?: string }) => {
    process.exitCode = await runCli(flags.logFormat, async (logger) =>
      (await import('../sync.js')).runSync(flags, logger, process.stderr.isTTY === true),
    );
  });
}
