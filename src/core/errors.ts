/**
 * The error vocabulary every room shares: what the user must fix (ConfigError) and what the API did (ApiError).
 * The CLI, the protocols and the service turn them into exit codes, messages and protocol errors.
 */
/** Bad user input (the URL, the key, a setting): the message says what is wrong and how to fix it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type ApiErrorKind =
  | 'auth'
  | 'permission'
  | 'not_found'
  | 'bad_request'
  | 'redirect'
  | 'unavailable'
  | 'bad_response'
  /** The API asked to wait longer than acsync waits (`retryAt` says until when): stop cleanly, resume later. */
  | 'throttled';

/** A request ActiveCampaign did not answer usefully. The message never contains the API key. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly kind: ApiErrorKind;
  /** HTTP status of the last response, absent when none arrived (timeouts, resets). */
  readonly status?: number;
  /** Path below `/api/3`, without the query string. */
  readonly path: string;
  /** Kind 'throttled': when the API allows requests again (epoch milliseconds). */
  readonly retryAt?: number;

  constructor(kind: ApiErrorKind, message: string, path: string, status?: number, retryAt?: number) {
    super(message);
    this.kind = kind;
    this.path = path;
    if (status !== undefined) this.status = status;
    if (retryAt !== undefined) this.retryAt = retryAt;
  }
}
