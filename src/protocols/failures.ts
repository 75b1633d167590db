/**
 * How the protocol faces tell a failure: whether the user fixes it (config, key, permissions), and Airbyte's error
 * TRACE message. Apart from the rest of the protocols (the engine, zod) so that the CLI answers a usage error of
 * `acsync airbyte` with a TRACE without loading them.
 */
import { ApiError, ConfigError } from '../core/errors.js';
import { redact } from '../core/secrets.js';

export type FailureType = 'config_error' | 'system_error';

export function isConfigProblem(error: unknown): boolean {
  if (error instanceof ConfigError) return true;
  return error instanceof ApiError && ['auth', 'permission', 'not_found', 'redirect', 'bad_request'].includes(error.kind);
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An error TRACE: what went wrong for people (`message`) and for the logs (`internal_message`, the stack), secrets masked. */
export function errorTraceMessage(message: string, error: unknown, options: { stream?: string; failureType?: FailureType } = {}): unknown {
  const failureType = options.failureType ?? (isConfigProblem(error) ? 'config_error' : 'system_error');
  return {
    type: 'TRACE',
    trace: {
      type: 'ERROR',
      emitted_at: Date.now(),
      error: {
        message: redact(message),
        internal_message: redact(errorText(error)),
        ...(error instanceof Error && error.stack && { stack_trace: redact(error.stack) }),
        failure_type: failureType,
        ...(options.stream && { stream_descriptor: { name: options.stream } }),
      },
    },
  };
}
