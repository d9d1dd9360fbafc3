import Stripe from 'stripe';
import { newId, nowSeconds } from './ids.ts';
import { Store, type EmulatorEvent, type EventType } from './store.ts';
import type { WebhookDispatcher } from '../webhooks/dispatcher.ts';

/** Who made the request that caused a change, as Stripe records it on the event. */
export interface RequestMeta {
  requestId: string | null;
  idempotencyKey: string | null;
}

export const NO_REQUEST: RequestMeta = { requestId: null, idempotencyKey: null };

/** Events kept for the Events API and for resending; the oldest go first. */
const MAX_EVENTS = 10_000;

/** The API version the emulator speaks and stamps on events: the one the SDK pins. */
export const API_VERSION: string = Stripe.API_VERSION;

export interface EmulatorBehaviour {
  /** How long a refund on the refund-failure test card stays `succeeded` before it fails. */
  refundFailureDelayMs: number;
}

export class EmulatorCore {
  readonly store = new Store();
  readonly webhooks: WebhookDispatcher;
  readonly behaviour: EmulatorBehaviour;
  /** Where browsers reach the emulator (3-D Secure pages); known once it listens. */
  publicUrl = 'http://127.0.0.1';
  readonly #tasks = new Map<NodeJS.Timeout, () => void>();
  readonly #pending = new Set<Promise<void>>();

  constructor(webhooks: WebhookDispatcher, behaviour: EmulatorBehaviour) {
    this.webhooks = webhooks;
    this.behaviour = behaviour;
  }

  /** Runs `task` later, as Stripe does for asynchronous outcomes; reset and close cancel it. */
  later(delayMs: number, task: () => void): void {
    let finish = () => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const timer = setTimeout(() => {
      this.#tasks.delete(timer);
      try {
        task();
      } finally {
        finish();
      }
    }, delayMs);
    timer.unref();
    this.#tasks.set(timer, finish);
    this.#pending.add(done);
    void done.then(() => this.#pending.delete(done));
  }

  /** Resolves once delayed outcomes have happened and every webhook has been delivered or given up. */
  async settled(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#pending.size > 0 || !this.webhooks.isIdle()) {
      await Promise.all([...this.#pending]);
      await this.webhooks.idle(Math.max(1, deadline - Date.now()));
    }
  }

  /** Records an event with a snapshot of `object` as it is now, and queues its webhooks. */
  emit(
    type: EventType,
    object: object,
    request: RequestMeta,
    previousAttributes?: Record<string, unknown>,
  ): EmulatorEvent {
    const endpoints = this.webhooks.endpointsFor(type);
    const event: EmulatorEvent = {
      id: newId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: nowSeconds(),
      data:
        previousAttributes === undefined
          ? { object: structuredClone(object) }
          : { object: structuredClone(object), previous_attributes: previousAttributes },
      livemode: false,
      pending_webhooks: endpoints.length,
      request: { id: request.requestId, idempotency_key: request.idempotencyKey },
      type,
    };
    this.store.events.set(event.id, event);
    this.store.track(event.id);
    for (const oldest of this.store.events.keys()) {
      if (this.store.events.size <= MAX_EVENTS) break;
      this.store.events.delete(oldest);
    }
    this.webhooks.enqueue(event, endpoints);
    return event;
  }

  reset(): void {
    for (const [timer, finish] of this.#tasks) {
      clearTimeout(timer);
      finish();
    }
    this.#tasks.clear();
    this.store.clear();
    this.webhooks.clearDeliveries();
    this.webhooks.resume();
  }

  close(): void {
    this.reset();
    this.webhooks.close();
  }
}
