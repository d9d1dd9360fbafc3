import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { createStripeClient } from '../../payments/src/adapters/stripe-client.ts';
import { startStripeEmulator, type StartOptions, type StripeEmulator } from '../src/index.ts';

export async function startEmulator(options: StartOptions = {}): Promise<StripeEmulator> {
  return startStripeEmulator({ webhookRetryDelaysMs: [20, 40], refundFailureDelayMs: 20, ...options });
}

/** The real SDK pointed at the emulator through the payments service's own factory. */
export function stripeFor(emulator: StripeEmulator, key = 'sk_test_emulator', maxNetworkRetries = 0): Stripe {
  return createStripeClient({ secretKey: key, apiBase: emulator.url, maxNetworkRetries });
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver: records every request and answers with the next queued status (200 when none). */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  readonly #statuses: number[] = [];
  readonly #server: Server;
  url = '';

  constructor() {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.statusCode = this.#statuses.shift() ?? 200;
        response.end('ok');
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/webhooks/stripe`;
    return this;
  }

  answerNext(...statuses: number[]): void {
    this.#statuses.push(...statuses);
  }

  eventTypes(): string[] {
    return this.received.map((webhook) => {
      const parsed: unknown = JSON.parse(webhook.body);
      return typeof parsed === 'object' && parsed !== null && 'type' in parsed ? String(parsed.type) : '?';
    });
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Runs `action` and returns the Stripe error it throws; fails the test if it does not throw one. */
export async function stripeError(action: () => Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) return error;
    throw error;
  }
  throw new Error('Expected the Stripe call to fail, and it succeeded.');
}
