import type Stripe from 'stripe';
import type { TestCard } from './test-cards.ts';

export interface PaymentMethodRecord {
  object: Stripe.PaymentMethod;
  card: TestCard;
  /** Set once a SetupIntent (or a payment with setup_future_usage) saved it for off-session use. */
  setUpForOffSession: boolean;
  /** Used in a payment without being attached to a customer: Stripe refuses to use it again. */
  consumed: boolean;
}

/** What Stripe's event type list allows; kept as a string union from the SDK's own types. */
export type EventType = Stripe.Event.Type;

export interface EmulatorEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: object; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: EventType;
}

/** The emulator's whole account: every object, in memory, in creation order. */
export class Store {
  readonly customers = new Map<string, Stripe.Customer>();
  readonly deletedCustomers = new Set<string>();
  readonly paymentMethods = new Map<string, PaymentMethodRecord>();
  readonly paymentIntents = new Map<string, Stripe.PaymentIntent>();
  readonly setupIntents = new Map<string, Stripe.SetupIntent>();
  readonly charges = new Map<string, Stripe.Charge>();
  readonly refunds = new Map<string, Stripe.Refund>();
  readonly events = new Map<string, EmulatorEvent>();
  readonly #sequence = new Map<string, number>();
  #next = 0;

  /** Records creation order, so lists sort newest first even within one second. */
  track(id: string): void {
    this.#sequence.set(id, this.#next);
    this.#next += 1;
  }

  sequenceOf(id: string): number {
    return this.#sequence.get(id) ?? -1;
  }

  /** Any stored object by id, for `expand`. */
  find(id: string): object | undefined {
    const [prefix] = id.split('_', 1);
    switch (prefix) {
      case 'cus':
        return this.customers.get(id);
      case 'pm':
        return this.paymentMethods.get(id)?.object;
      case 'pi':
        return this.paymentIntents.get(id);
      case 'seti':
        return this.setupIntents.get(id);
      case 'ch':
      case 'py':
        return this.charges.get(id);
      case 're':
        return this.refunds.get(id);
      case 'evt':
        return this.events.get(id);
      default:
        return undefined;
    }
  }

  clear(): void {
    this.customers.clear();
    this.deletedCustomers.clear();
    this.paymentMethods.clear();
    this.paymentIntents.clear();
    this.setupIntents.clear();
    this.charges.clear();
    this.refunds.clear();
    this.events.clear();
    this.#sequence.clear();
  }
}
