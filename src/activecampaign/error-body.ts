import { STATUS_CODES } from 'node:http';

/**
 * The human message of an error response (docs/activecampaign-api.md section 6): `message`, else the first
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
