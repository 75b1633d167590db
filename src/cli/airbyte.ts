/** `acsync airbyte`: the work behind the command declared in ./commands/airbyte.ts. */
import { ConfigError } from '../core/errors.js';
import { AIRBYTE_OPERATIONS } from '../protocols/airbyte-operations.js';
import {
  AirbyteSink,
  catalogMessage,
  checkConnection,
  connectionStatusMessage,
  errorTraceMessage,
  logMessage,
  parseAirbyteState,
  parseConfiguredCatalog,
  specMessage,
  type LogLevel,
} from '../protocols/airbyte.js';
import { JsonLineWriter } from '../protocols/message-sink.js';
import {
  errorText,
  eventLogLine,
  isConfigProblem,
  parseSourceConfig,
  readJsonFile,
  runEngine,
  type ProtocolEnvironment,
  type SourceConfig,
} from '../protocols/source.js';
import type { TableState } from '../core/contract.js';
import { redact } from '../core/secrets.js';
import { EXIT } from './exit.js';

export interface AirbyteFlags {
  config?: string;
  catalog?: string;
  state?: string;
}

// Airbyte reads the outcome from the messages; the exit code only says whether the operation itself failed.

/** One Airbyte operation; resolves to the exit code. Every failure is reported as a TRACE message first. */
export async function runAirbyte(operation: string, flags: AirbyteFlags, environment: ProtocolEnvironment): Promise<number> {
  const out = new JsonLineWriter(environment.stdout);
  const log = (level: LogLevel, message: string) => {
    out.send([logMessage(level, redact(message))]).catch(() => undefined);
  };
  try {
    switch (operation) {
      case 'spec':
        await out.send([specMessage()]);
        return EXIT.ok;
      case 'check':
        return await check(flags, environment, out);
      case 'discover':
        loadConfig(flags);
        await out.send([catalogMessage()]);
        return EXIT.ok;
      case 'read':
        return await read(flags, environment, out, log);
      default:
        throw new ConfigError(`unknown operation "${operation}": use ${AIRBYTE_OPERATIONS.join(', ')}`);
    }
  } catch (error) {
    const message = redact(errorText(error));
    await out.send([errorTraceMessage(message, error)]).catch(() => undefined);
    return EXIT.failed;
  }
}

function loadConfig(flags: AirbyteFlags): SourceConfig {
  if (!flags.config) throw new ConfigError('--config is required: a JSON file with the url and key of the account');
  return parseSourceConfig(readJsonFile(flags.config, 'config'));
}

/** A check the user can act on (bad config, key or permissions) is a FAILED status, not a failed operation. */
async function check(flags: AirbyteFlags, environment: ProtocolEnvironment, out: JsonLineWriter): Promise<number> {
  let result;
  try {
    result = await checkConnection(loadConfig(flags), environment);
  } catch (error) {
    if (!isConfigProblem(error)) throw error;
    result = { succeeded: false, message: errorText(error) };
  }
  await out.send([connectionStatusMessage(result.succeeded ? 'SUCCEEDED' : 'FAILED', redact(result.message))]);
  return EXIT.ok;
}

async function read(
  flags: AirbyteFlags,
  environment: ProtocolEnvironment,
  out: JsonLineWriter,
  log: (level: LogLevel, message: string) => void,
): Promise<number> {
  const config = loadConfig(flags);
  if (!flags.catalog) throw new ConfigError('read needs --catalog: the configured catalog');
  const streams = parseConfiguredCatalog(readJsonFile(flags.catalog, 'catalog'));
  const stored: Map<string, TableState> = flags.state
    ? parseAirbyteState(readJsonFile(flags.state, 'state'), (message) => log('WARN', message))
    : new Map();
  if (streams.length === 0) {
    log('WARN', 'the configured catalog has no stream; nothing to read');
    return EXIT.ok;
  }
  const selection = streams.map(({ table, mode }) => ({ table, mode }));
  const sink = new AirbyteSink(out, streams, stored);
  log('INFO', `reading ${streams.length} streams from ${config.baseUrl}`);
  const result = await runEngine({
    config,
    destination: sink,
    selection,
    environment,
    onEvent: (event) => {
      const line = eventLogLine(event);
      if (line) log(line.level === 'info' ? 'INFO' : line.level === 'warn' ? 'WARN' : 'ERROR', line.message);
    },
  });
  const failed = result.run.tables.filter((t) => t.status !== 'success');
  const traces = failed.map((t) => {
    const reason = redact(t.error ?? t.status);
    // A skipped stream is one the key may not read: the user grants the permission.
    return errorTraceMessage(`${t.table}: ${reason}`, new Error(reason), {
      stream: t.table,
      failureType: t.status === 'skipped' ? 'config_error' : 'system_error',
    });
  });
  await out.send(traces);
  const records = result.run.tables.reduce((sum, t) => sum + t.rows, 0);
  log('INFO', `${result.run.status}: ${records} records, ${result.requests} requests`);
  return failed.length === 0 ? EXIT.ok : EXIT.failed;
}
