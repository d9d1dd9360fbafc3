// Signed form POSTs to the app, the way Twilio calls webhooks and status callbacks.
import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import twilio from 'twilio';

export interface WebhookResponse {
  status: number;
  body: string;
}

export interface WebhookSenderOptions {
  authToken: string;
  log: FastifyBaseLogger;
  /** Aborted when the emulator closes: in-flight requests and retry waits stop. */
  signal: AbortSignal;
  timeoutMs?: number;
}

export interface WebhookSender {
  /** One attempt; rejects on a network error or timeout. */
  post(url: string, params: Record<string, string>): Promise<WebhookResponse>;
  /** Retries network errors and 5xx/429 answers with a growing pause; never rejects. */
  postWithRetry(
    url: string,
    params: Record<string, string>,
    retry: { attempts: number; backoffMs: number },
  ): Promise<WebhookResponse | undefined>;
}

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const timeoutMs = options.timeoutMs ?? 15_000;

  async function post(url: string, params: Record<string, string>): Promise<WebhookResponse> {
    return postForm(
      url,
      {
        accept: '*/*',
        'user-agent': 'TwilioProxy/1.1',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(options.authToken, url, params),
        'i-twilio-idempotency-token': randomUUID(),
      },
      new URLSearchParams(params).toString(),
      { signal: options.signal, timeoutMs },
    );
  }

  async function postWithRetry(
    url: string,
    params: Record<string, string>,
    retry: { attempts: number; backoffMs: number },
  ): Promise<WebhookResponse | undefined> {
    const target = describeUrl(url);
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      if (options.signal.aborted) return undefined;
      try {
        const response = await post(url, params);
        if (response.status < 500 && response.status !== 429) {
          if (response.status >= 400) {
            options.log.warn({ target, status: response.status }, 'webhook answered with a client error');
          }
          return response;
        }
        options.log.warn({ target, status: response.status, attempt }, 'webhook failed');
      } catch (error) {
        if (options.signal.aborted) return undefined;
        options.log.warn({ target, attempt, error: errorMessage(error) }, 'webhook unreachable');
      }
      if (attempt < retry.attempts) {
        try {
          await sleep(retry.backoffMs * attempt, undefined, { signal: options.signal });
        } catch {
          return undefined;
        }
      }
    }
    options.log.error({ target, attempts: retry.attempts }, 'webhook gave up');
    return undefined;
  }

  return { post, postWithRetry };
}

// node:http with keep-alive agents rather than fetch: three status callbacks per SMS made fetch's
// per-request machinery (WHATWG streams, Request/Response objects, abort signals) the emulator's
// largest cost, on a machine that also runs the platform it is calling.
const AGENTS = {
  'http:': new HttpAgent({ keepAlive: true }),
  'https:': new HttpsAgent({ keepAlive: true }),
};

/** One form POST; resolves with the status and body, rejects on a network error or timeout. */
function postForm(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { signal: AbortSignal; timeoutMs: number },
): Promise<WebhookResponse> {
  const target = new URL(url);
  const protocol = target.protocol === 'https:' ? 'https:' : 'http:';
  const send = protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        agent: AGENTS[protocol],
        headers: {
          ...headers,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(Buffer.byteLength(body)),
        },
        signal: options.signal,
        timeout: options.timeoutMs,
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
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

// Origin and path only: query strings may carry tokens.
function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return 'invalid url';
  }
}
