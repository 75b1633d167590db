import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';

/** Builds the `acsync` program; each command lives in its own module and registers itself here. */
export function buildProgram(): Command {
  const program = new Command('acsync')
    .description('Replicate an ActiveCampaign account into DuckDB, PostgreSQL or a Parquet lake.')
    .version(VERSION)
    .showHelpAfterError('(run acsync --help for usage)')
    .exitOverride();
  return program;
}

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
}
