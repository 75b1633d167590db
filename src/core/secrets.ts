/**
 * Secrets never reach output. Every face of acsync (the CLI's log, the protocols' messages, the service's
 * responses) passes what it writes through `redact`, which masks every registered secret, as a last line of
 * defence behind the rule that messages are built without them.
 */

const secrets = new Set<string>();

/** Masks `value` wherever it would appear in output from now on. */
export function registerSecret(value: string): void {
  if (value.length >= 4) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

/** A URI with its password (`user:password@` or `?password=`) replaced by `***`, for messages. */
export function redactUri(uri: string): string {
  return uri.replace(/^([a-z]+:\/\/[^:@/?#]*:)[^@/?#]*@/i, '$1***@').replace(/([?&]password=)[^&#]*/i, '$1***');
}
