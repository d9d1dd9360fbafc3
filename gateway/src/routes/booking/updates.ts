import { EventEnvelope, intake } from '@trades/contracts';
import type { NatsConnection } from '@trades/runtime/client';
import type { FastifyBaseLogger } from 'fastify';
import { Compile } from 'typebox/compile';

export type BookingView = intake.BookingView;
type Listener = (booking: BookingView) => void;

const envelope = Compile(EventEnvelope);

/**
 * One core NATS subscription to `evt.intake.booking.updated.v1` per gateway process, fanned out to the
 * live status pages by tracking token. Core (not JetStream) on purpose: a page that is not open needs
 * no backlog; it reads the current view when it connects.
 */
export class BookingUpdates {
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #log: FastifyBaseLogger;
  #subscription: ReturnType<NatsConnection['subscribe']> | undefined;

  constructor(log: FastifyBaseLogger) {
    this.#log = log;
  }

  start(nc: NatsConnection): void {
    const subscription = nc.subscribe(intake.BookingUpdated.subject);
    this.#subscription = subscription;
    void (async () => {
      for await (const msg of subscription) {
        let value: unknown;
        try {
          value = msg.json();
        } catch {
          continue;
        }
        if (!envelope.Check(value) || !intake.BookingUpdated.validate.check(value.data)) {
          this.#log.warn({ subject: msg.subject }, 'ignoring a booking update that breaks its contract');
          continue;
        }
        const booking = value.data.booking;
        const token = booking.trackingToken;
        if (!token) continue;
        for (const listener of this.#listeners.get(token) ?? []) listener(booking);
      }
    })();
  }

  listen(trackingToken: string, listener: Listener): () => void {
    const set = this.#listeners.get(trackingToken) ?? new Set<Listener>();
    set.add(listener);
    this.#listeners.set(trackingToken, set);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(trackingToken) === set) this.#listeners.delete(trackingToken);
    };
  }

  get listenerCount(): number {
    let count = 0;
    for (const set of this.#listeners.values()) count += set.size;
    return count;
  }

  stop(): void {
    this.#subscription?.unsubscribe();
  }
}
