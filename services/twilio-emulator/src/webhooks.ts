// Signed form POSTs to the app, the way Twilio calls webhooks and status callbacks.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { postWebhook } from '@trades/webhook-client';
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
    return postWebhook(url, {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: '*/*',
        'user-agent': 'TwilioProxy/1.1',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(options.authToken, url, params),
        'i-twilio-idempotency-token': randomUUID(),
      },
      body: new URLSearchParams(params).toString(),
      timeoutMs,
      signal: options.signal,
    });
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
