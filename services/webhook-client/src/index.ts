// One webhook POST over node:http(s) keep-alive agents; see README.md for why not fetch.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface WebhookPost {
  headers: Record<string, string>;
  body: string;
  /** Rejects when the connection or the answer stalls this long. */
  timeoutMs: number;
  /** Aborts the request (e.g. the emulator closing). */
  signal?: AbortSignal;
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
