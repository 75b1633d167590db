/** `acsync singer`: the work behind the command declared in ./commands/singer.ts. */
import { ConfigError } from '../core/errors.js';
import { JsonLineWriter } from '../protocols/message-sink.js';
import { SingerSink, defaultStreams, parseSingerCatalog, parseSingerState, singerCatalog, type SingerState } from '../protocols/singer.js';
import { eventLogLine, parseSourceConfig, readJsonFile, runEngine, type ProtocolEnvironment } from '../protocols/source.js';
import { EXIT, exitCodeOf, reportError } from './exit.js';
import { createLogger } from './log.js';

export interface SingerFlags {
  config?: string;
  discover?: boolean;
  catalog?: string;
  properties?: string;
  state?: string;
}

/** The `singer` command: resolves to the exit code (0 every stream synced; 1 failed; 2 bad input; 3 some streams failed). */
export async function runSinger(flags: SingerFlags, environment: ProtocolEnvironment): Promise<number> {
  const logger = createLogger('text', (line) => environment.stderr.write(line));
  const out = new JsonLineWriter(environment.stdout);
  try {
    if (flags.discover) {
      // The catalog needs no request: a config is read if given (runners pass one) but not required to be complete.
      if (flags.config) readJsonFile(flags.config, 'config');
      await out.document(singerCatalog());
      return EXIT.ok;
    }
    if (!flags.config) throw new ConfigError('--config is required: a JSON file with the url and key of the account');
    const config = parseSourceConfig(readJsonFile(flags.config, 'config'));
    const warn = (message: string) => logger.warn(message);
    const catalogFile = flags.catalog ?? flags.properties;
    const streams = catalogFile ? parseSingerCatalog(readJsonFile(catalogFile, 'catalog'), warn) : defaultStreams();
    const stored: SingerState = flags.state
      ? parseSingerState(readJsonFile(flags.state, 'state'), warn)
      : { states: new Map(), bookmarks: new Map(), versions: new Map() };
    if (streams.length === 0) {
      logger.warn('the catalog selects no stream; nothing to sync');
      return EXIT.ok;
    }

    const selection = streams.map(({ table, mode }) => ({ table, mode }));
    const sink = new SingerSink(out, streams, stored.states, stored);
    logger.info(`syncing ${streams.length} streams from ${config.baseUrl}`);
    const result = await runEngine({
      config,
      destination: sink,
      selection,
      environment,
      onEvent: (event) => {
        const line = eventLogLine(event);
        if (line) logger.log(line.level, line.message);
      },
    });
    const { run } = result;
    const records = run.tables.reduce((sum, t) => sum + t.rows, 0);
    logger.info(`${run.status}: ${records} records in ${result.seconds.toFixed(1)} s, ${result.requests} requests`);
    return exitCodeOf(run.status);
  } catch (error) {
    return reportError(error, logger);
  }
}
