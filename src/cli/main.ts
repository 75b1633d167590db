import { Command, CommanderError } from 'commander';
import { VERSION } from '../core/version.js';
import { registerAirbyte } from './commands/airbyte.js';
import { registerCheck } from './commands/check.js';
import { registerDbt } from './commands/dbt.js';
import { registerDemo } from './commands/demo.js';
import { registerDiscover } from './commands/discover.js';
import { registerErd } from './commands/erd.js';
import { registerQuery } from './commands/query.js';
import { registerRuns } from './commands/runs.js';
import { registerServe } from './commands/serve.js';
import { registerSimulate } from './commands/simulate.js';
import { registerSinger } from './commands/singer.js';
import { registerStatus } from './commands/status.js';
import { registerSync } from './commands/sync.js';
import { registerWorker } from './commands/worker.js';

/**
 * Builds the `acsync` program, one line per command. A command's module under ./commands/ declares its options
 * and imports the module that does its work (./<command>.ts) only when it runs, so `--version`, `--help` and a
 * command's `--help` load no destination, protocol or renderer (test/startup-modules.test.ts checks it).
 */
export function buildProgram(): Command {
  const program = new Command('acsync')
    .description('Replicate an ActiveCampaign account into DuckDB, PostgreSQL or a Parquet lake.')
    .version(VERSION)
    .showHelpAfterError('(run acsync --help for usage)')
    .exitOverride();
  registerSync(program);
  registerDiscover(program);
  registerCheck(program);
  registerDemo(program);
  registerQuery(program);
  registerRuns(program);
  registerStatus(program);
  registerErd(program);
  registerDbt(program);
  registerSimulate(program);
  registerSinger(program);
  registerAirbyte(program);
  registerServe(program);
  registerWorker(program);
  return program;
}

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  // A reader that stops early (`acsync query … | head`) closes the pipe: stop quietly, as Unix tools do.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    });
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    // Help and version end with code 0; any other commander error is a usage error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
}
