import { Option, type Command } from 'commander';
import { DEFAULT_DATA_DIR, DEFAULT_PORT } from '../../service/defaults.js';
import { runCli } from '../exit.js';
import type { ServeFlags } from '../serve.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run acsync as a service: a JSON API (OpenAPI at /openapi.json) for connectors, schedules and runs')
    .option('--port <n>', 'port to listen on', String(DEFAULT_PORT))
    .option('--host <address>', 'address to listen on; beyond 127.0.0.1 a bearer token is required', '127.0.0.1')
    .option('--data-dir <dir>', 'the service folder: embedded database, master key, default DuckDB copies', DEFAULT_DATA_DIR)
    .option('--queue <url>', 'postgres://… to share connectors and runs with other serve and worker processes (runs then go to `acsync worker`; env ACSYNC_QUEUE)')
    .option('--token-file <file>', 'file holding the bearer token the API requires (or env ACSYNC_API_TOKEN)')
    .option('--webhook <url>', "receives every connector's failed and partial runs, and its recoveries")
    .option('--concurrency <n>', 'runs at once in this process (runs of one account never overlap)', '2')
    .addOption(new Option('--rate <n>', 'requests per second (above 5 only for a simulator on this machine)').hideHelp())
    .option('--log-format <format>', 'text or json', 'text')
    .action(async (flags: ServeFlags) => {
      process.exitCode = await runCli(flags.logFormat, async (logger) => (await import('../serve.js')).runServe(flags, logger));
    });
}
