import type { AddressInfo } from 'node:net';
import { buildStripeEmulator, type StripeEmulatorOptions, type WebhookEndpointOption } from './app.ts';
import { NO_REQUEST } from './domain/core.ts';
import type { EmulatorEvent } from './domain/store.ts';
import { resourceMissing } from './http/errors.ts';
import type { Fault } from './http/router.ts';
import { completePaymentAuthentication } from './resources/payment-intents.ts';
import { completeSetupAuthentication } from './resources/setup-intents.ts';
import type { WebhookDelivery } from './webhooks/dispatcher.ts';

export interface StartOptions extends StripeEmulatorOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
}

export interface WebhookEndpointInfo {
  id: string;
  url: string;
  secret: string;
  enabledEvents: string[];
}

/** A running emulator, for tests and scripts in the same process. */
export interface StripeEmulator {
  /** Base URL, e.g. http://127.0.0.1:12111 */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  webhookEndpoints(): WebhookEndpointInfo[];
  addWebhookEndpoint(endpoint: WebhookEndpointOption): WebhookEndpointInfo;
  removeWebhookEndpoint(id: string): boolean;
  /** Every event so far, oldest first. */
  events(): EmulatorEvent[];
  deliveries(): WebhookDelivery[];
  /**
   * Holds webhook deliveries back (Stripe's can come minutes late): events keep queueing, in order,
   * and are delivered on {@link resumeWebhooks}. `settled()` waits for them, so resume first.
   */
  pauseWebhooks(): void;
  resumeWebhooks(): void;
  /**
   * Resolves once everything the emulator does in the background has happened: delayed
   * outcomes (a refund that fails later) and every webhook delivered or given up.
   */
  settled(timeoutMs?: number): Promise<void>;
  /**
   * Makes the next matching API call(s) fail, before or after they take effect; or, with
   * `response: 'hold'`, wait there until {@link releaseHeld} (Stripe slow to answer).
   */
  injectFault(fault: Partial<Omit<Fault, 'remaining'>> & { pathPrefix: string; times?: number }): void;
  /** How many API calls a 'hold' fault is keeping waiting right now. */
  heldCount(): number;
  /** Lets every call kept by a 'hold' fault go on and be answered. */
  releaseHeld(): void;
  /** Clears the faults not yet taken and releases the held calls. */
  clearFaults(): void;
  /** Finishes a pending 3-D Secure challenge on a PaymentIntent or SetupIntent. */
  authenticate(intentId: string, outcome: 'succeed' | 'fail'): void;
  /** Forgets every object, event, delivery, idempotency key and fault; keeps webhook endpoints. */
  reset(): void;
  close(): Promise<void>;
}

export async function startStripeEmulator(options: StartOptions = {}): Promise<StripeEmulator> {
  const { app, core, router } = buildStripeEmulator(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;
  if (options.publicUrl === undefined) core.publicUrl = url;

  const info = (id: string): WebhookEndpointInfo => {
    const record = core.webhooks.endpoint(id);
    if (record === undefined) throw new Error(`No webhook endpoint ${id}`);
    return {
      id: record.id,
      url: record.url,
      secret: record.secret,
      enabledEvents: [...record.enabledEvents],
    };
  };

  return {
    url,
    host: address.address,
    port: address.port,
    webhookEndpoints: () => core.webhooks.endpoints().map((endpoint) => info(endpoint.id)),
    addWebhookEndpoint: (endpoint) => info(core.webhooks.addEndpoint(endpoint).id),
    removeWebhookEndpoint: (id) => core.webhooks.removeEndpoint(id),
    events: () =>
      [...core.store.events.values()]
        .sort((a, b) => core.store.sequenceOf(a.id) - core.store.sequenceOf(b.id))
        .map((event) => structuredClone(event)),
    deliveries: () => core.webhooks.deliveries(),
    pauseWebhooks: () => core.webhooks.pause(),
    resumeWebhooks: () => core.webhooks.resume(),
    settled: (timeoutMs) => core.settled(timeoutMs),
    injectFault: (fault) =>
      router.addFault({
        method: fault.method ?? '*',
        pathPrefix: fault.pathPrefix,
        status: fault.status ?? 500,
        when: fault.when ?? 'before',
        response: fault.response ?? 'error',
        times: fault.times ?? 1,
      }),
    heldCount: () => router.heldCount(),
    releaseHeld: () => router.releaseHeld(),
    clearFaults: () => router.clearFaults(),
    authenticate: (intentId, outcome) => {
      const payment = core.store.paymentIntents.get(intentId);
      const setup = core.store.setupIntents.get(intentId);
      if (payment !== undefined)
        completePaymentAuthentication(core, payment, outcome === 'succeed', NO_REQUEST);
      else if (setup !== undefined)
        completeSetupAuthentication(core, setup, outcome === 'succeed', NO_REQUEST);
      else throw resourceMissing('intent', intentId, 'intent');
    },
    reset: () => {
      core.reset();
      router.reset();
    },
    close: () => app.close(),
  };
}

export interface CreateStripeEmulatorOptions {
  port?: number;
  host?: string;
  /** Where to POST signed events, e.g. the gateway's /api/webhooks/stripe; none when omitted. */
  webhookUrl?: string;
  webhookSecret: string;
  /** The only secret key accepted; any sk_test_… key when omitted. */
  secretKey?: string;
  logger?: boolean;
}

/**
 * Starts an emulator with at most one webhook endpoint: the common case, in the shape
 * services and scripts configure it. {@link startStripeEmulator} takes every option.
 */
export async function createStripeEmulator(options: CreateStripeEmulatorOptions): Promise<StripeEmulator> {
  const start: StartOptions = {
    webhookEndpoints:
      options.webhookUrl === undefined ? [] : [{ url: options.webhookUrl, secret: options.webhookSecret }],
  };
  if (options.port !== undefined) start.port = options.port;
  if (options.host !== undefined) start.host = options.host;
  if (options.secretKey !== undefined) start.secretKey = options.secretKey;
  if (options.logger !== undefined) start.logger = options.logger;
  return startStripeEmulator(start);
}
