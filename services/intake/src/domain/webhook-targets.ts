import { BlockList, isIP } from 'node:net';

/**
 * Where a partner's webhook may be POSTed (SSRF). A partner's URL is typed by an operator but belongs
 * to an outsider, and the answer's first 500 characters are shown to operators: a URL pointing inside
 * our network would read it for them. So:
 *
 * - never, in any environment: link-local addresses (169.254.0.0/16, fe80::/10; the cloud metadata
 *   service lives at 169.254.169.254), the unspecified address and multicast, and the metadata host
 *   names;
 * - in production (`APP_ENV=production`) also loopback, the private ranges (10/8, 172.16/12,
 *   192.168/16, 100.64/10, fc00::/7) and `localhost`; development and tests post to partners on
 *   127.0.0.1.
 *
 * Checked when the URL is saved (its host as written) and again when each delivery connects (every
 * address the name resolves to, so a public name pointing inside is refused too). No I/O here.
 */
export interface WebhookTargetPolicy {
  /** Loopback and private addresses allowed (development and tests). */
  allowPrivate: boolean;
}

export const webhookTargetPolicy = (appEnv: string): WebhookTargetPolicy => ({
  allowPrivate: appEnv !== 'production',
});

function blockList(ranges: readonly [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const list = new BlockList();
  for (const [network, prefix, type] of ranges) list.addSubnet(network, prefix, type);
  return list;
}

const NEVER = blockList([
  ['0.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['255.255.255.255', 32, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
  // AWS's IPv6 metadata endpoint.
  ['fd00:ec2::254', 128, 'ipv6'],
]);

const PRIVATE = blockList([
  ['127.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
]);

const METADATA_HOSTS = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data']);

/** Why an address may not be posted to, or null when it may. */
export function refusedAddress(address: string, policy: WebhookTargetPolicy): string | null {
  const family = isIP(address);
  if (family === 0) return null;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (NEVER.check(address, type)) return `${address} is a link-local, metadata or reserved address`;
  if (!policy.allowPrivate && PRIVATE.check(address, type))
    return `${address} is a loopback or private address`;
  return null;
}

/** Why a URL's host (as written: a name or an address) may not be posted to, or null when it may. */
export function refusedHost(hostname: string, policy: WebhookTargetPolicy): string | null {
  const host = hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (METADATA_HOSTS.has(host)) return `${host} is a cloud metadata host`;
  if (!policy.allowPrivate && (host === 'localhost' || host.endsWith('.localhost')))
    return `${host} is this machine`;
  return refusedAddress(host, policy);
}
