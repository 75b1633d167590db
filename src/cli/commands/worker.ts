import { Option, type Command } from 'commander';
import { DEFAULT_DATA_DIR, DEFAULT_QUEUE_TIMING } from '../../service/defaults.js';
import { runCli } from '../exit.js';
import type { WorkerFlags } from '../worker.js';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('take sync jobs from the service queue shared with acsync serve --queue, and run them')
    .option('--queue <url>', 'PostgreSQL URL of the service database, as given to acsync serve --queue (env ACSYNC_QUEUE)')
    .option('--concurrency <n>', 'syncs run at once, of different accounts (default 1)')
    .option('--data-dir <dir>', `the service folder holding its master.key, unless ACSYNC_MASTER_KEY is set as for acsync serve (default ${DEFAULT_DATA_DIR})`)
    .option('--lease <seconds>', `how long the job of a worker that died waits before another worker takes it (default ${DEFAULT_QUEUE_TIMING.leaseSeconds})`)
    .addOption(new Option('--poll <seconds>', 'how often an idle worker looks for a job').hideHelp())
    .addOption(new Option('--handler <module>', 'a module whose createRunJobHandler runs the jobs instead of the service runner (tests)').hideHelp())
    .addOption(new Option('--rate <n>', 'requests per second (above 5 only for a simulator on this machine)').hideHelp())
    .option('--log-format <format>', 'text or json', 'text')
    .action(async (flags: WorkerFlags) => {
      process.exitCode = await runCli(flags.logFormat, async (logger) => (await import('../worker.js')).runWorker(flags, logger));
    });
}
