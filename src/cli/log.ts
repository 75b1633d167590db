/**
 * Log lines for people (text) or machines (one JSON object a line), always on stderr so stdout stays free for
 * results and protocol messages. Registered secrets (core/secrets.ts) are masked in everything written.
 */
import { ConfigError } from '../core/errors.js';
import { redact } from '../core/secrets.js';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'info' | 'warn' | 'error';

export interface Logger {
  readonly format: LogFormat;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(format: LogFormat, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const log = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
    if (format === 'json') {
      write(redact(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })) + '\n');
    } else {
      const prefix = level === 'info' ? '' : `${level}: `;
      write(redact(`${prefix}${message}`) + '\n');
    }
  };
  return {
    format,
    log,
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
  };
}

export function parseLogFormat(value: string | undefined): LogFormat {
  if (value === undefined || value === 'text') return 'text';
  if (value === 'json') return 'json';
  throw new ConfigError(`--log-format must be text or json (got "${value}")`);
}
