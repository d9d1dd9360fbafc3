// A small keep-alive HTTP client: one request, whole body read, status checked. node:http rather than
// fetch because it is lighter per request and its agent opens more sockets instead of queueing when
// answers are slow (a queue in the client would hide latency).
import { Agent, request } from 'node:http';

export const agent = new Agent({ keepAlive: true, maxSockets: 1024, maxFreeSockets: 1024 });

export class HttpError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(method: string, path: string, status: number, body: string) {
    super(`${method} ${path} → ${status} ${body.slice(0, 200)}`);
    this.status = status;
    this.body = body;
  }
}

export interface HttpOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Fails the request after this long (a hang is an error, not a missing sample). */
  timeoutMs?: number;
}

export function httpJson(baseUrl: string, path: string, options: HttpOptions = {}): Promise<unknown> {
  const url = new URL(path, baseUrl);
  const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers: {
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
            : {}),
          ...options.headers,
        },
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return reject(new HttpError(method, url.pathname, status, text));
          try {
            resolve(text ? (JSON.parse(text) as unknown) : undefined);
          } catch {
            resolve(text);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
