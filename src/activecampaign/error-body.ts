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

/**
 * The text of a 403 that reads like ActiveCampaign's answer to a user without a permission
 * (docs/activecampaign-api.md sections 6 and 7): `{"message": "You don't have permission to access this
 * resource"}` or `{"errors": [{"title": "Forbidden", "detail": "You do not have permission to view lists."}]}`.
 * Undefined for anything else: a bare `{"message": "Forbidden"}` (a bad key, or the intermittent 403s seen on
 * valid keys), an HTML page, an empty body.
 */
export function permissionDenial(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const texts: unknown[] = [body.message];
  if (Array.isArray(body.errors)) {
    for (const error of body.errors) if (isObject(error)) texts.push(error.detail, error.title);
  }
  const found = texts.find((text) => nonEmptyString(text) && /\bpermissions?\b/i.test(text));
  return typeof found === 'string' ? found.trim() : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}
