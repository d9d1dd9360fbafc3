import type Stripe from 'stripe';
import type { EmulatorCore } from '../domain/core.ts';
import { newId, nowSeconds, randomToken } from '../domain/ids.ts';
import type { PaymentMethodRecord } from '../domain/store.ts';
import { resourceMissing } from '../http/errors.ts';
import { LIST_PARAMS, paginate } from '../http/list.ts';
import type { StripeRoute } from '../http/router.ts';

const AUTHORIZATION_VALIDITY_SECONDS = 7 * 24 * 60 * 60;

export type ChargeOutcome =
  | { kind: 'authorized'; threeDSecure: boolean }
  | { kind: 'declined'; code: string; declineCode: string; message: string };

export function chargeRoutes(core: EmulatorCore): StripeRoute[] {
  return [
    {
      method: 'GET',
      path: '/charges/:id',
      accepts: [],
      handle: ({ path }) => requireCharge(core, path['id'] ?? '', 'id'),
    },
    {
      method: 'GET',
      path: '/charges',
      accepts: [...LIST_PARAMS, 'customer', 'payment_intent'],
      handle: ({ params }) => {
        const customer = params.nonEmptyString('customer');
        const paymentIntent = params.nonEmptyString('payment_intent');
        const charges = [...core.store.charges.values()].filter(
          (charge) =>
            (customer === undefined || charge.customer === customer) &&
            (paymentIntent === undefined || charge.payment_intent === paymentIntent),
        );
        return paginate(charges, params, '/v1/charges', core.store, 'charge');
      },
    },
  ];
}

export function requireCharge(core: EmulatorCore, id: string, param: string): Stripe.Charge {
  const charge = core.store.charges.get(id);
  if (charge === undefined) throw resourceMissing('charge', id, param);
  return charge;
}

/** The charge one confirmation attempt of `intent` produces: authorized (and maybe captured) or declined. */
export function recordCharge(
  core: EmulatorCore,
  intent: Stripe.PaymentIntent,
  method: PaymentMethodRecord,
  outcome: ChargeOutcome,
): Stripe.Charge {
  const authorized = outcome.kind === 'authorized';
  const captured = authorized && intent.capture_method !== 'manual';
  const card = method.object.card;
  const created = nowSeconds();
  const charge: Stripe.Charge = {
    id: newId('ch'),
    object: 'charge',
    amount: intent.amount,
    amount_captured: captured ? intent.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: structuredClone(method.object.billing_details),
    calculated_statement_descriptor: intent.statement_descriptor ?? 'STRIPE EMULATOR',
    captured,
    created,
    currency: intent.currency,
    customer: typeof intent.customer === 'string' ? intent.customer : null,
    description: intent.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: authorized ? null : outcome.code,
    failure_message: authorized ? null : outcome.message,
    fraud_details: {},
    livemode: false,
    metadata: structuredClone(intent.metadata),
    on_behalf_of: null,
    outcome: authorized
      ? {
          advice_code: null,
          network_advice_code: null,
          network_decline_code: null,
          network_status: 'approved_by_network',
          reason: null,
          risk_level: 'normal',
          risk_score: 20,
          seller_message: 'Payment complete.',
          type: 'authorized',
        }
      : {
          advice_code: 'try_again_later',
          network_advice_code: null,
          network_decline_code: null,
          network_status: 'declined_by_network',
          reason: outcome.declineCode,
          risk_level: 'normal',
          risk_score: 20,
          seller_message: 'The bank did not return any further details with this decline.',
          type: 'issuer_declined',
        },
    paid: authorized,
    payment_intent: intent.id,
    payment_method: method.object.id,
    payment_method_details: {
      type: 'card',
      card: {
        amount_authorized: authorized ? intent.amount : null,
        authorization_code: authorized ? randomToken(6).toUpperCase() : null,
        brand: card?.brand ?? null,
        capture_before: created + AUTHORIZATION_VALIDITY_SECONDS,
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
        country: card?.country ?? null,
        electronic_commerce_indicator: null,
        exp_month: card?.exp_month ?? 12,
        exp_year: card?.exp_year ?? 2030,
        extended_authorization: { status: 'disabled' },
        fingerprint: card?.fingerprint ?? null,
        funding: card?.funding ?? null,
        incremental_authorization: { status: 'unavailable' },
        installments: null,
        last4: card?.last4 ?? null,
        mandate: null,
        multicapture: { status: 'unavailable' },
        network: card?.brand ?? null,
        network_token: { used: false },
        network_transaction_id: authorized ? randomToken(15) : null,
        overcapture: { maximum_amount_capturable: intent.amount, status: 'unavailable' },
        regulated_status: 'unregulated',
        three_d_secure:
          outcome.kind === 'authorized' && outcome.threeDSecure
            ? {
                authentication_flow: 'challenge',
                electronic_commerce_indicator: '05',
                exemption_indicator: null,
                result: 'authenticated',
                result_reason: null,
                transaction_id: randomToken(36),
                version: '2.2.0',
              }
            : null,
        transaction_link_id: null,
        wallet: null,
      },
    },
    receipt_email: intent.receipt_email,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: intent.statement_descriptor,
    statement_descriptor_suffix: intent.statement_descriptor_suffix,
    status: authorized ? 'succeeded' : 'failed',
    transfer_data: null,
    transfer_group: null,
  };
  core.store.charges.set(charge.id, charge);
  core.store.track(charge.id);
  return charge;
}

/** What a refund may still take back: the captured amount less every refund not failed or canceled. */
export function refundableAmount(core: EmulatorCore, charge: Stripe.Charge): number {
  let refunded = 0;
  for (const refund of core.store.refunds.values()) {
    if (refund.charge === charge.id && refund.status !== 'failed' && refund.status !== 'canceled') {
      refunded += refund.amount;
    }
  }
  return charge.amount_captured - refunded;
}
