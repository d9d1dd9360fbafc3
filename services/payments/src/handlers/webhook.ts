import { badRequest, payments } from '@trades/contracts';
import { endpoint, type EndpointBinding, type EntityManager, type ServiceContext } from '@trades/runtime';
import Stripe from 'stripe';
import { verifyStripeWebhook } from '../adapters/stripe-client.ts';
import { findDepositByIntent, type DepositRow } from '../store/deposits.ts';
import { PURPOSE, type DepositOperations, type StripeSettings } from './deposits.ts';
import type { ProviderCardOperations } from './provider-cards.ts';

/**
 * The Stripe events payments acts on: subscribe the webhook endpoint to these (Stripe's dashboard, or
 * STRIPE_WEBHOOK_EVENTS for the emulator). Any other event is verified and recorded, nothing more.
 */
export const STRIPE_WEBHOOK_EVENTS = [
  'payment_intent.amount_capturable_updated',
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'charge.refunded',
  'setup_intent.succeeded',
] as const;
const HANDLED = new Set<string>(STRIPE_WEBHOOK_EVENTS);

/** The PaymentIntent an event is about, from a payment_intent or a charge object; null for anything else. */
function paymentIntentOf(event: Stripe.Event): string | null {
  const object: unknown = event.data.object;
  if (typeof object !== 'object' || object === null || !('object' in object)) return null;
  if (object.object === 'payment_intent' && 'id' in object && typeof object.id === 'string') return object.id;
  if (object.object === 'charge' && 'payment_intent' in object) {
    const intent = object.payment_intent;
    if (typeof intent === 'string') return intent;
    if (typeof intent === 'object' && intent !== null && 'id' in intent && typeof intent.id === 'string')
      return intent.id;
  }
  return null;
}

/** The SetupIntent a setup_intent event is about; null for any other object. */
function setupIntentOf(event: Stripe.Event): string | null {
  const object: unknown = event.data.object;
  if (typeof object !== 'object' || object === null || !('object' in object) || !('id' in object))
    return null;
  return object.object === 'setup_intent' && typeof object.id === 'string' ? object.id : null;
}

/** The PaymentIntent as Stripe has it now; null when Stripe has no such PaymentIntent (retrying won't help). */
async function readIfExists(
  deposits: DepositOperations,
  paymentIntentId: string,
): Promise<Stripe.PaymentIntent | null> {
  try {
    return await deposits.readIntent(paymentIntentId);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing')
      return null;
    throw error;
  }
}

/**
 * Stripe's webhook, relayed raw by the gateway. Verified before anything is believed; handled once per
 * event id; the PaymentIntent is then re-read from Stripe and folded in, never backwards.
 */
export function webhookEndpoints(
  ctx: ServiceContext<unknown>,
  settings: StripeSettings,
  deposits: DepositOperations,
  cards: ProviderCardOperations,
): EndpointBinding[] {
  return [
    endpoint(payments.StripeWebhook, async ({ rawBody, signature }) => {
      let event: Stripe.Event;
      try {
        event = verifyStripeWebhook(settings.stripe, rawBody, signature, settings.webhookSecret);
      } catch {
        throw badRequest(
          'INVALID_SIGNATURE',
          'The Stripe-Signature header does not match this payload, or it is too old.',
        );
      }
      const seen = await ctx.orm.em
        .fork()
        .execute<{ event_id: string }[]>(
          `select event_id from payments.stripe_webhook_event where event_id = ?`,
          [event.id],
        );
      if (seen.length > 0) return { received: true, duplicate: true };

      const setupIntentId = event.type === 'setup_intent.succeeded' ? setupIntentOf(event) : null;
      if (setupIntentId) {
        // A provider's card saved: the same fold as the card page's complete; recorded once it is done,
        // so a failure leaves the event for Stripe's retry.
        await cards.onSetupIntentSucceeded(setupIntentId);
        const inserted = await ctx.orm.em.fork().execute<{ event_id: string }[]>(
          `insert into payments.stripe_webhook_event (event_id, type) values (?, ?)
             on conflict do nothing returning event_id`,
          [event.id, event.type],
        );
        return { received: true, duplicate: inserted.length === 0 };
      }

      const paymentIntentId = paymentIntentOf(event);
      let intent: Stripe.PaymentIntent | null = null;
      let bookingId: string | null = null;
      let known: DepositRow | null = null;
      // An event we do not act on (payment_intent.created, charge.succeeded…) costs no Stripe read.
      if (paymentIntentId && HANDLED.has(event.type)) {
        known = await findDepositByIntent(ctx.orm.em.fork(), paymentIntentId);
        bookingId = known?.booking_id ?? null;
        if (known || event.type.startsWith('payment_intent.')) {
          intent = await readIfExists(deposits, paymentIntentId);
          if (!intent) {
            ctx.log.warn(
              { eventId: event.id, type: event.type, paymentIntentId },
              'Stripe does not know the PaymentIntent this event is about; recorded only',
            );
          } else if (!bookingId && intent.metadata['purpose'] === PURPOSE)
            bookingId = intent.metadata['booking_id'] ?? null;
        }
      }

      const recordEvent = async (em: EntityManager): Promise<boolean> => {
        const inserted = await em.execute<{ event_id: string }[]>(
          `insert into payments.stripe_webhook_event (event_id, type, payment_intent_id) values (?, ?, ?)
           on conflict do nothing returning event_id`,
          [event.id, event.type, paymentIntentId],
        );
        return inserted.length === 0;
      };
      // Most events only confirm what the deposit already says (the confirm or the capture that caused
      // them was folded in when it answered): recording the event is then all there is to do.
      if (intent && known && deposits.confirms(known, intent)) {
        return { received: true, duplicate: await recordEvent(ctx.orm.em.fork()) };
      }

      const duplicate = await ctx.transaction(async (em) => {
        if (await recordEvent(em)) return true;
        if (intent && bookingId) {
          // The intent was created by us but our row is not there yet (a crash between Stripe and the
          // insert): the metadata says which booking it is for.
          if (!known) {
            await em.execute(
              `insert into payments.deposit (booking_id, payment_intent_id, status, stripe_status, amount_cents)
               values (?, ?, 'pending', ?, ?) on conflict do nothing`,
              [bookingId, intent.id, intent.status, intent.amount],
            );
          }
          await deposits.applyIntent(em, bookingId, intent);
        } else if (!HANDLED.has(event.type)) {
          ctx.log.debug({ eventId: event.id, type: event.type }, 'Stripe event payments does not act on');
        } else {
          ctx.log.info(
            { eventId: event.id, type: event.type },
            'Stripe event not about a booking deposit; recorded only',
          );
        }
        return false;
      });
      return { received: true, duplicate };
    }),
  ];
}
