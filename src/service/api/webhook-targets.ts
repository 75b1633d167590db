/**
 * Where a webhook may not point: the addresses a server-side request forgery aims at. Link-local ranges hold the
 * cloud metadata service (169.254.169.254) and the host's own link services; the unspecified address (and the rest
 * of 0.0.0.0/8) reaches this host. Loopback and private ranges stay allowed: users run receivers on their own
 * network. Checked twice: a literal address when the URL is saved, and at delivery every address its host name
 * resolves to, just before connecting, so a DNS name pointing at a refused address is refused too.
 */
import { lookup as systemLookup, type LookupAddress, type LookupAllOptions, type LookupOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

// BlockList also matches the IPv4-mapped IPv6 forms (::ffff:169.254.169.254) of its IPv4 ranges.
const REFUSED = new BlockList();
REFUSED.addSubnet('169.254.0.0', 16, 'ipv4');
REFUSED.addSubnet('0.0.0.0', 8, 'ipv4');
REFUSED.addSubnet('fe80::', 10, 'ipv6');
REFUSED.addAddress('::', 'ipv6');

/** Whether `address` (an IPv4 or IPv6 literal) is one webhooks may not reach; a host name is not an address. */
export function isRefusedAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && REFUSED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function refusal(address: string, via?: string): string {
  return `${via ? `${via} resolves to ` : ''}${address}, a link-local or unspecified address (such as the cloud metadata service at 169.254.169.254): webhooks may not target it`;
}

/** Why `url` may not receive webhooks when its host is a refused literal address; null otherwise (names are checked at delivery). */
export function refusedWebhookUrl(url: string): string | null {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return null;
  }
  // The URL parser has already turned 2852039166, 0 or 169.254.169.254. into dotted form; IPv6 keeps its brackets.
  const address = host.startsWith('[') ? host.slice(1, -1) : host;
  return isRefusedAddress(address) ? refusal(address) : null;
}

/** A delivery refused for its target: recorded once, never retried. */
export class RefusedWebhookTarget extends Error {
  override readonly name = 'RefusedWebhookTarget';
}

/** Resolves a name to all its addresses, as dns.lookup with `all: true`. */
export type ResolveAll = (hostname: string, options: LookupAllOptions, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/**
 * A `lookup` for http.request that fails with RefusedWebhookTarget when any address of the name is refused, so no
 * connection is opened; the address checked is the one connected to (no second resolution to rebind).
 */
export function refusingLookup(resolveAll: ResolveAll = systemLookup): LookupFunction {
  return (hostname: string, options: LookupOptions, callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    resolveAll(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const refused = addresses.find((a) => isRefusedAddress(a.address));
      if (refused) return callback(new RefusedWebhookTarget(refusal(refused.address, hostname)), '');
      const first = addresses[0];
      if (options.all) return callback(null, addresses);
      if (!first) return callback(Object.assign(new Error(`${hostname} resolves to no address`), { code: 'ENOTFOUND' }), '');
      return callback(null, first.address, first.family);
    });
  };
}

/**
 * A webhook URL as the API and warnings show it: scheme, host and port only. The path and query of a chat service's
 * incoming webhook are its credential (whoever has them can post), and these reach run logs and the console.
 */
export function shownUrl(url: string): string {
  if (!URL.canParse(url)) return 'webhook URL';
  const parsed = new URL(url);
  return parsed.pathname === '/' && !parsed.search ? parsed.origin : `${parsed.origin}/…`;
}
