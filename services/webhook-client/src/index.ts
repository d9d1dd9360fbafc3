// One webhook POST over node:http(s) keep-alive agents; see README.md for why not fetch.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';

export interface WebhookPost {
  headers: Record<string, string>;
  body: string;
  /** Rejects when the connection or the answer stalls this long. */
  timeoutMs: number;
  /** Aborts the request (e.g. the emulator closing). */
  signal?: AbortSignal;
  /**
   * Why an address may not be connected to (null: it may). Checked on the URL's host when it is an
   * address, and on every address its name resolves to before connecting (a partner's URL: SSRF).
   */
  refuseAddress?: (address: string) => string | null;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** dns.lookup, failing when any address the name resolves to is refused. */
function guardedLookup(refuse: (address: string) => string | null) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = addresses.map((a) => refuse(a.address)).find((reason) => reason !== null);
      if (refused) return callback(new Error(`${hostname} resolves to ${refused}`), []);
      const [first] = addresses;
      if (options.all) return callback(null, addresses);
      if (!first) return callback(new Error(`${hostname} resolves to no address`), []);
      callback(null, first.address, first.family);
    });
  };
}

export interface WebhookAnswer {
  status: number;
  body: string;
}

// Node unrefs an agent's free sockets, so idle keep-alive connections never hold a process open.
const AGENTS = {
  'http:': new HttpAgent({ keepAlive: true }),
  'https:': new HttpsAgent({ keepAlive: true }),
};

/** POSTs `body` to `url`; resolves with the answer whatever its status. */
export function postWebhook(url: string, post: WebhookPost): Promise<WebhookAnswer> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return Promise.reject(new Error(`webhook URL must be http(s): ${target.protocol}`));
  }
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const refused = post.refuseAddress && isIP(host) !== 0 ? post.refuseAddress(host) : null;
  if (refused) return Promise.reject(new Error(`webhook URL refused: ${refused}`));
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        agent: AGENTS[target.protocol as 'http:' | 'https:'],
        headers: { ...post.headers, 'content-length': String(Buffer.byteLength(post.body)) },
        timeout: post.timeoutMs,
        ...(post.signal ? { signal: post.signal } : {}),
        ...(post.refuseAddress ? { lookup: guardedLookup(post.refuseAddress) } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${post.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(post.body);
  });
}
