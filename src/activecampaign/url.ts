import { ConfigError } from '../core/errors.js';

const WHERE = 'copy it from Settings → Developer';
/** Hosts the simulator runs on; only these may use plain http://. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for a base URL on this machine (the simulator): the only place the 5/s cap may be lifted. */
export function isLoopbackUrl(baseUrl: string): boolean {
  return LOOPBACK_HOSTS.has(new URL(baseUrl).hostname);
}

/**
 * Turns the URL a user pasted from Settings → Developer into the account's base URL (scheme, host and
 * port; no path). Requests then go to `<base>/api/3/<resource>`.
 */
export function normalizeBaseUrl(input: string): string {
  const text = input.trim();
  if (text === '') throw new ConfigError(`the ActiveCampaign URL is empty; ${WHERE}`);
  // One word with no dot, colon or slash: not an address, most likely the key pasted in its place. Never echoed.
  if (!/[.:/\s]/.test(text)) {
    throw new ConfigError(`the ActiveCampaign URL is not a web address (is it the key? check that --url and --key are not swapped); ${WHERE}`);
  }
  // Whatever sits before an @ is a credential: never shown (a registered key is masked on output anyway).
  const shown = quote(text.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/?#@]*@/i, '$1***@'));

  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    throw new ConfigError(`the ActiveCampaign URL must start with https:// (got ${shown}); ${WHERE}`);
  }
  if (scheme !== 'https' && scheme !== 'http') {
    throw new ConfigError(`the ActiveCampaign URL must start with https://, not ${scheme}:// (got ${shown}); ${WHERE}`);
  }

  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`the ActiveCampaign URL is not a valid address (got ${shown}); ${WHERE}`);
  }
  if (url.hostname === '') {
    throw new ConfigError(`the ActiveCampaign URL has no host name (got ${shown}); ${WHERE}`);
  }
  if (scheme === 'http' && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new ConfigError(`the ActiveCampaign URL must start with https:// (got ${shown}); ${WHERE}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(`the ActiveCampaign URL must not contain a user name or password (got ${shown}); ${WHERE}`);
  }
  if (url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) {
    throw new ConfigError(`the ActiveCampaign URL must not contain a query or fragment (got ${shown}); ${WHERE}`);
  }

  const path = url.pathname.replace(/\/+$/, '').replace(/\/api\/3$/i, '').replace(/\/+$/, '');
  if (path !== '') {
    throw new ConfigError(
      `the ActiveCampaign URL must be the account address without a path, like https://acme.api-us1.com (got ${shown}); ${WHERE}`,
    );
  }
  return url.origin;
}

/** The input as shown in a one-line message: control characters escaped, long values cut. */
function quote(text: string): string {
  // eslint-disable-next-line no-control-regex
  const oneLine = text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine;
}
