import { postWebhook } from '@trades/webhook-client';
import Stripe from 'stripe';
import { newId, nowSeconds, randomToken } from '../domain/ids.ts';
import type { EmulatorEvent, EventType } from '../domain/store.ts';

export interface WebhookEndpointRecord {
  id: string;
  url: string;
  secret: string;
  enabledEvents: string[];
  description: string | null;
  metadata: Record<string, string>;
  status: 'enabled' | 'disabled';
  created: number;
}

export interface WebhookAttempt {
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: EventType;
  endpointId: string;
  url: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: WebhookAttempt[];
  nextAttemptAt: string | null;
}

export interface WebhookDispatcherOptions {
  /** Delays before each retry after a failed attempt; when they run out the delivery has failed. */
  retryDelaysMs: readonly number[];
  timeoutMs: number;
  onAttempt?: (delivery: WebhookDelivery, attempt: WebhookAttempt) => void;
}

interface QueuedDelivery {
  delivery: WebhookDelivery;
  event: EmulatorEvent;
  endpoint: WebhookEndpointRecord;
  /** A manual resend: its success must not count down the event's pending_webhooks again. */
  resend: boolean;
}

/** Settled deliveries kept in the log; the oldest go first, pending ones always stay. */
const MAX_SETTLED_DELIVERIES = 10_000;

export function newWebhookSecret(): string {
  return `whsec_${randomToken(32)}`;
}

/**
 * Sends events to webhook endpoints the way Stripe does: a JSON POST signed with the
 * endpoint's secret in `Stripe-Signature` (re-signed on every attempt), success on any
 * 2xx, retried with backoff otherwise. Each endpoint receives its first attempts in event
 * order, one at a time; a retry waits for its turn and does not hold up later events.
 */
export class WebhookDispatcher {
  readonly #options: WebhookDispatcherOptions;
  readonly #endpoints = new Map<string, WebhookEndpointRecord>();
  readonly #deliveries = new Map<string, WebhookDelivery>();
  readonly #queues = new Map<string, QueuedDelivery[]>();
  readonly #running = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #idleWaiters = new Set<() => void>();
  #closed = false;
  #paused = false;

  constructor(options: WebhookDispatcherOptions) {
    this.#options = options;
  }

  addEndpoint(input: {
    url: string;
    secret?: string | undefined;
    enabledEvents?: readonly string[] | undefined;
    description?: string | null | undefined;
    metadata?: Record<string, string> | undefined;
  }): WebhookEndpointRecord {
    const record: WebhookEndpointRecord = {
      id: newId('we'),
      url: input.url,
      secret: input.secret ?? newWebhookSecret(),
      enabledEvents: [...(input.enabledEvents ?? ['*'])],
      description: input.description ?? null,
      metadata: input.metadata ?? {},
      status: 'enabled',
      created: nowSeconds(),
    };
    this.#endpoints.set(record.id, record);
    return record;
  }

  endpoint(id: string): WebhookEndpointRecord | undefined {
    return this.#endpoints.get(id);
  }

  endpoints(): WebhookEndpointRecord[] {
    return [...this.#endpoints.values()];
  }

  removeEndpoint(id: string): boolean {
    return this.#endpoints.delete(id);
  }

  endpointsFor(type: EventType): WebhookEndpointRecord[] {
    return this.endpoints().filter(
      (endpoint) =>
        endpoint.status === 'enabled' &&
        (endpoint.enabledEvents.includes('*') || endpoint.enabledEvents.includes(type)),
    );
  }

  enqueue(
    event: EmulatorEvent,
    endpoints: readonly WebhookEndpointRecord[],
    resend = false,
  ): WebhookDelivery[] {
    if (this.#closed) return [];
    return endpoints.map((endpoint) => {
      const delivery: WebhookDelivery = {
        id: newId('whd'),
        eventId: event.id,
        eventType: event.type,
        endpointId: endpoint.id,
        url: endpoint.url,
        status: 'pending',
        attempts: [],
        nextAttemptAt: new Date().toISOString(),
      };
      this.#deliveries.set(delivery.id, delivery);
      this.#push({ delivery, event, endpoint, resend });
      return delivery;
    });
  }

  deliveries(): WebhookDelivery[] {
    return [...this.#deliveries.values()].map((delivery) => structuredClone(delivery));
  }

  /**
   * Holds every delivery back, as when Stripe's webhooks come late: events still queue, in order,
   * and go out on {@link resume}. Retries due meanwhile wait too.
   */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    for (const endpointId of this.#queues.keys()) void this.#drain(endpointId);
  }

  get paused(): boolean {
    return this.#paused;
  }

  clearDeliveries(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#queues.clear();
    this.#deliveries.clear();
    this.#notifyIfIdle();
  }

  isIdle(): boolean {
    return (
      this.#running.size === 0 &&
      this.#timers.size === 0 &&
      [...this.#queues.values()].every((queue) => queue.length === 0)
    );
  }

  /** Resolves once every delivery has succeeded or given up (retries included). */
  async idle(timeoutMs = 10_000): Promise<void> {
    if (this.isIdle()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#idleWaiters.delete(done);
        reject(new Error(`Webhook deliveries still pending after ${timeoutMs} ms.`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#idleWaiters.add(done);
    });
  }

  close(): void {
    this.#closed = true;
    this.#paused = false;
    this.clearDeliveries();
  }

  #push(item: QueuedDelivery): void {
    const queue = this.#queues.get(item.endpoint.id) ?? [];
    queue.push(item);
    this.#queues.set(item.endpoint.id, queue);
    void this.#drain(item.endpoint.id);
  }

  async #drain(endpointId: string): Promise<void> {
    if (this.#running.has(endpointId) || this.#paused) return;
    this.#running.add(endpointId);
    try {
      while (!this.#paused) {
        const item = this.#queues.get(endpointId)?.shift();
        if (item === undefined) break;
        if (!this.#deliveries.has(item.delivery.id)) continue;
        await this.#attempt(item);
      }
    } finally {
      this.#running.delete(endpointId);
      this.#notifyIfIdle();
    }
  }

  async #attempt(item: QueuedDelivery): Promise<void> {
    const { delivery, event, endpoint } = item;
    const payload = JSON.stringify(event, null, 2);
    const signature = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: endpoint.secret,
      timestamp: nowSeconds(),
    });
    const started = performance.now();
    const attempt: WebhookAttempt = {
      at: new Date().toISOString(),
      statusCode: null,
      error: null,
      durationMs: 0,
    };
    try {
      const response = await postWebhook(endpoint.url, {
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': signature,
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'cache-control': 'no-cache',
        },
        body: payload,
        timeoutMs: this.#options.timeoutMs,
      });
      attempt.statusCode = response.status;
      if (response.status < 200 || response.status >= 300) attempt.error = `HTTP ${response.status}`;
    } catch (error) {
      attempt.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    attempt.durationMs = Math.round(performance.now() - started);
    delivery.attempts.push(attempt);
    if (attempt.error === null) {
      delivery.status = 'succeeded';
      delivery.nextAttemptAt = null;
      if (!item.resend) event.pending_webhooks = Math.max(0, event.pending_webhooks - 1);
    } else {
      const delay = this.#options.retryDelaysMs[delivery.attempts.length - 1];
      if (delay === undefined || this.#closed) {
        delivery.status = 'failed';
        delivery.nextAttemptAt = null;
      } else {
        delivery.nextAttemptAt = new Date(Date.now() + delay).toISOString();
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          if (this.#deliveries.has(delivery.id)) this.#push(item);
          else this.#notifyIfIdle();
        }, delay);
        timer.unref();
        this.#timers.add(timer);
      }
    }
    this.#options.onAttempt?.(structuredClone(delivery), attempt);
    if (delivery.status !== 'pending') this.#trimLog();
  }

  #trimLog(): void {
    let excess = this.#deliveries.size - MAX_SETTLED_DELIVERIES;
    for (const [id, delivery] of this.#deliveries) {
      if (excess <= 0) break;
      if (delivery.status === 'pending') continue;
      this.#deliveries.delete(id);
      excess -= 1;
    }
  }

  #notifyIfIdle(): void {
    if (!this.isIdle()) return;
    for (const waiter of this.#idleWaiters) waiter();
    this.#idleWaiters.clear();
  }
}
