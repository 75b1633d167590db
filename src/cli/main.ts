import { Command, CommanderError } from 'commander';
import { VERSION } from '../core/version.js';
import { registerAirbyte } from './airbyte.js';
import { registerCheck } from './check.js';
import { registerDemo } from './demo.js';
import { registerDiscover } from './discover.js';
import { registerErd } from './erd.js';
import { registerQuery } from './query.js';
import { registerServe } from './serve.js';
import { registerSimulate } from './simulate.js';
import { registerSinger } from './singer.js';
import { registerSync } from './sync.js';
import { registerWorker } from './worker.js';

/** Builds the `acsync` program; each command lives in its own module and registers itself here. */
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
  registerErd(program);
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
