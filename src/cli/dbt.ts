import { writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { TABLES } from '../catalog/index.js';
import { DEFAULT_DEST } from '../core/defaults.js';
import { ConfigError } from '../core/errors.js';
import { redactUri } from '../core/secrets.js';
import { dbtSources, type SourceLocation } from '../dbt/sources.js';
import { destinationKind } from '../destinations/kinds.js';
import { parsePostgresUri, postgresOptionsFromEnv } from '../destinations/postgres-options.js';
import { loadConfigFile } from './config.js';
import { runCli } from './exit.js';

interface DbtFlags {
  dest?: string;
  config?: string;
  out?: string;
}

/** Writes the dbt sources of the copy at a destination (the same --dest, ACSYNC_DEST or config file as sync). */
export function registerDbt(program: Command): void {
  program
    .command('dbt')
    .description('write dbt sources (sources.yml) for the copy: tables, columns, descriptions, key and relationship tests')
    .option('--dest <uri>', `the destination the copy is in (default: as sync: env ACSYNC_DEST, the config file, ${DEFAULT_DEST})`)
    .option('--config <file>', 'JSON config file (default: ./acsync.json if present)')
    .option('--out <file>', 'write to this file instead of stdout (e.g. models/sources.yml)')
    .action(async (flags: DbtFlags) => {
      process.exitCode = await runCli('text', async () => {
        const dest = flags.dest ?? process.env.ACSYNC_DEST ?? loadConfigFile(flags.config).dest ?? DEFAULT_DEST;
        const text = dbtSources(TABLES, sourceLocation(dest));
        if (flags.out === undefined) process.stdout.write(text);
        else await writeFile(flags.out, text);
        return 0;
      });
    });
}

/** Where dbt reads the tables of the copy at `dest` (its profile connects to that database). */
export function sourceLocation(dest: string): SourceLocation {
  const named = destinationKind(dest);
  switch (named?.kind) {
    // dbt-duckdb names an attached file's catalog after the file.
    case 'duckdb': return { database: basename(named.target, extname(named.target)), schema: 'main' };
    case 'postgres': {
      const options = /:\/\//.test(named.target) ? parsePostgresUri(named.target) : postgresOptionsFromEnv();
      return { database: options.database, schema: options.schema };
    }
    case 'parquet':
    case 's3': return {
      schema: 'main',
      note: `The tables are the views that the lake's _acsync/views.sql creates over its current files: run it in the dbt-duckdb session (e.g. in on-run-start).`,
    };
    case undefined: throw new ConfigError(`unsupported destination "${redactUri(dest)}": use duckdb:<file>, parquet:<dir>, s3://<bucket>/<prefix> or postgres://…`);
  }
}
