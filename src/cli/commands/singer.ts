import type { Command } from 'commander';
import { withInterruption } from '../exit.js';
import type { SingerFlags } from '../singer.js';

export function registerSinger(program: Command): void {
  program
    .command('singer')
    .description('run as a Singer tap (Meltano): SCHEMA, RECORD, STATE and ACTIVATE_VERSION messages on stdout, logs on stderr')
    .option('--config <file>', 'JSON config: url and key (or api_url and api_key); optional timezone, start_date, requests_per_second')
    .option('--discover', 'print the catalog of the 33 streams')
    .option('--catalog <file>', 'catalog selecting streams, replication methods and columns (default: every stream in its default method)')
    .option('--properties <file>', 'the same as --catalog, for runners that pass it under this name')
    .option('--state <file>', 'state to resume from: the value of the last STATE message of a previous run')
    .action(async (flags: SingerFlags) => {
      const { runSinger } = await import('../singer.js');
      process.exitCode = await withInterruption((signal) =>
        runSinger(flags, { stdout: process.stdout, stderr: process.stderr, signal }),
      );
    });
}
