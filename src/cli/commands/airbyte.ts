import type { Command } from 'commander';
import { AIRBYTE_OPERATIONS } from '../../protocols/airbyte-operations.js';
import { errorTraceMessage } from '../../protocols/failures.js';
import type { AirbyteFlags } from '../airbyte.js';
import { withInterruption } from '../exit.js';

export function registerAirbyte(program: Command): void {
  program
    .command('airbyte')
    .description('run as an Airbyte source: Airbyte protocol messages on stdout')
    .argument('<operation>', AIRBYTE_OPERATIONS.join(', '))
    .option('--config <file>', 'JSON config: url and key; optional timezone, start_date, requests_per_second')
    .option('--catalog <file>', 'configured catalog (read)')
    .option('--state <file>', 'state to resume from (read): an array of per-stream state messages, or a legacy object')
    .configureOutput({
      // A usage error is also a TRACE, since Airbyte reads stdout.
      outputError: (text, write) => {
        write(text);
        const message = text.trim();
        process.stdout.write(`${JSON.stringify(errorTraceMessage(message, message, { failureType: 'config_error' }))}\n`);
      },
    })
    .action(async (operation: string, flags: AirbyteFlags) => {
      const { runAirbyte } = await import('../airbyte.js');
      process.exitCode = await withInterruption((signal) =>
        runAirbyte(operation, flags, { stdout: process.stdout, stderr: process.stderr, signal }),
      );
    });
}
