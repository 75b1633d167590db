import { STATUS_CODES } from 'node:http';

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
  | 'bad_response';

/** A request ActiveCampaign did not answer usefully. The message never contains the API key. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly kind: ApiErrorKind;
  /** HTTP status of the last response, absent when none arrived (timeouts, resets). */
  readonly status?: number;
  /** Path below `/api/3`, without the query string. */
  readonly path: string;

  constructor(kind: ApiErrorKind, message: string, path: string, status?: number) {
    super(message);
    this.kind = kind;
    this.path = path;
    if (status !== undefined) this.status = status;
  }
}

/**
 * The human message of an error response (activecampaign-api.md section 6): `message`, else the first
 * error's `title`, else its `detail`, else the HTTP status text.
 */
export function errorMessageFromBody(body: unknown, status: number, statusText?: string): string {
  if (isObject(body)) {
    if (nonEmptyString(body.message)) return body.message.trim();
    const errors = body.errors;
    if (Array.isArray(errors) && isObject(errors[0])) {
      const first = errors[0];
      if (nonEmptyString(first.title)) return first.title.trim();
      if (nonEmptyString(first.detail)) return first.detail.trim();
    }
  }
  return statusText?.trim() || STATUS_CODES[status] || `HTTP ${status}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}
