import type Stripe from 'stripe';
import type { EmulatorCore, RequestMeta } from '../domain/core.ts';
import { previousAttributes } from '../domain/changes.ts';
import { newId, nowSeconds, randomToken } from '../domain/ids.ts';
import { invalidParam, invalidRequest, resourceMissing, unexpectedState } from '../http/errors.ts';
import { LIST_PARAMS, paginate } from '../http/list.ts';
import { initialMetadata, mergeMetadata, type Params } from '../http/params.ts';
import type { StripeRoute } from '../http/router.ts';
import { refundableAmount, requireCharge } from './charges.ts';
import { requirePaymentIntent } from './payment-intents.ts';

const REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;

export function refundRoutes(core: EmulatorCore): StripeRoute[] {
  return [
    {
      method: 'POST',
      path: '/refunds',
      accepts: ['payment_intent', 'charge', 'amount', 'reason', 'metadata', 'instructions_email'],
      handle: ({ params, meta }) => createRefund(core, params, meta),
    },
    {
      method: 'GET',
      path: '/refunds/:id',
      accepts: [],
      handle: ({ path }) => requireRefund(core, path['id'] ?? ''),
    },
    {
      method: 'POST',
      path: '/refunds/:id',
      accepts: ['metadata'],
      handle: ({ params, path, meta }) => {
        const refund = requireRefund(core, path['id'] ?? '');
        const before = structuredClone(refund);
        refund.metadata = mergeMetadata(refund.metadata ?? {}, params.metadata());
        const changes = previousAttributes(before, refund);
        if (changes !== undefined) core.emit('refund.updated', refund, meta, changes);
        return refund;
      },
    },
    {
      method: 'GET',
      path: '/refunds',
      accepts: [...LIST_PARAMS, 'charge', 'payment_intent'],
      handle: ({ params }) => {
        const charge = params.nonEmptyString('charge');
        const paymentIntent = params.nonEmptyString('payment_intent');
        const refunds = [...core.store.refunds.values()].filter(
          (refund) =>
            (charge === undefined || refund.charge === charge) &&
            (paymentIntent === undefined || refund.payment_intent === paymentIntent),
        );
        return paginate(refunds, params, '/v1/refunds', core.store, 'refund');
      },
    },
  ];
}

function requireRefund(core: EmulatorCore, id: string): Stripe.Refund {
  const refund = core.store.refunds.get(id);
  if (refund === undefined) throw resourceMissing('refund', id, 'id');
  return refund;
}

/**
 * Returns captured money. Card refunds succeed at once, except on the refund-failure test
 * card, whose refund later turns `failed` (refund.failed) and gives the amount back to
 * what can be refunded, as Stripe documents for that card.
 */
function createRefund(core: EmulatorCore, params: Params, meta: RequestMeta): Stripe.Refund {
  const paymentIntentId = params.nonEmptyString('payment_intent');
  const chargeId = params.nonEmptyString('charge');
  const requested = params.integer('amount', { min: 1, max: 99_999_999 });
  const reason = params.oneOf('reason', REASONS) ?? null;
  const metadata = initialMetadata(params.metadata());
  params.nullableString('instructions_email', 800);
  if (paymentIntentId === undefined && chargeId === undefined) {
    throw invalidParam(
      'One of the following params should be provided for this request: payment_intent or charge.',
      'payment_intent',
      'parameter_missing',
    );
  }

  let charge: Stripe.Charge;
  if (paymentIntentId !== undefined) {
    const intent = requirePaymentIntent(core, paymentIntentId);
    if (intent.status === 'requires_capture') {
      throw unexpectedState(
        `This PaymentIntent (${intent.id}) is uncaptured. You must cancel the PaymentIntent to reverse the authorization instead of refunding it.`,
        { param: 'payment_intent' },
      );
    }
    const latest =
      typeof intent.latest_charge === 'string' ? core.store.charges.get(intent.latest_charge) : undefined;
    if (intent.status !== 'succeeded' || latest === undefined) {
      throw invalidRequest(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, {
        param: 'payment_intent',
      });
    }
    if (chargeId !== undefined && chargeId !== latest.id) {
      throw invalidRequest(`The charge ${chargeId} does not belong to the PaymentIntent ${intent.id}.`, {
        param: 'charge',
      });
    }
    charge = latest;
  } else {
    charge = requireCharge(core, chargeId ?? '', 'charge');
    if (charge.status !== 'succeeded') {
      throw invalidRequest(`Charge ${charge.id} did not succeed and has nothing to refund.`, {
        param: 'charge',
      });
    }
    if (!charge.captured) {
      throw unexpectedState(
        `This uncaptured Charge was created by a PaymentIntent (${String(charge.payment_intent)}). You must cancel the PaymentIntent to reverse the authorization instead of refunding the Charge directly.`,
        { param: 'charge' },
      );
    }
  }

  const refundable = refundableAmount(core, charge);
  if (refundable <= 0) {
    throw invalidRequest(`Charge ${charge.id} has already been refunded.`, {
      code: 'charge_already_refunded',
      param: paymentIntentId !== undefined ? 'payment_intent' : 'charge',
    });
  }
  const amount = requested ?? refundable;
  if (amount > refundable) {
    throw invalidRequest(
      `Refund amount (${formatMoney(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatMoney(refundable, charge.currency)})`,
      { code: 'amount_too_large', param: 'amount' },
    );
  }

  const refund: Stripe.Refund = {
    id: newId('re'),
    object: 'refund',
    amount,
    balance_transaction: null,
    charge: charge.id,
    created: nowSeconds(),
    currency: charge.currency,
    customer: charge.customer,
    customer_account: null,
    destination_details: {
      card: {
        reference: randomToken(16),
        reference_status: 'available',
        reference_type: 'acquirer_reference_number',
        type: 'refund',
      },
      type: 'card',
    },
    metadata,
    payment_intent: charge.payment_intent,
    payment_method: charge.payment_method,
    reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
  core.store.refunds.set(refund.id, refund);
  core.store.track(refund.id);
  applyRefundToCharge(core, charge);
  core.emit('charge.refunded', charge, meta);
  core.emit('refund.created', refund, meta);

  const paymentMethod =
    charge.payment_method === null ? undefined : core.store.paymentMethods.get(charge.payment_method);
  if (paymentMethod?.card.behavior.kind === 'refund_fails') {
    core.later(core.behaviour.refundFailureDelayMs, () => failRefund(core, refund.id));
  }
  return refund;
}

function failRefund(core: EmulatorCore, refundId: string): void {
  const refund = core.store.refunds.get(refundId);
  if (refund === undefined || refund.status !== 'succeeded') return;
  const charge = typeof refund.charge === 'string' ? core.store.charges.get(refund.charge) : undefined;
  const before = structuredClone(refund);
  refund.status = 'failed';
  refund.failure_reason = 'expired_or_canceled_card';
  const noRequest = { requestId: null, idempotencyKey: null };
  const changes = previousAttributes(before, refund);
  core.emit('refund.failed', refund, noRequest, changes);
  core.emit('refund.updated', refund, noRequest, changes);
  core.emit('charge.refund.updated', refund, noRequest, changes);
  if (charge !== undefined) {
    const chargeBefore = structuredClone(charge);
    applyRefundToCharge(core, charge);
    core.emit('charge.updated', charge, noRequest, previousAttributes(chargeBefore, charge));
  }
}

/** A charge's refunded total is its uncaptured part plus every refund that has not failed. */
function applyRefundToCharge(core: EmulatorCore, charge: Stripe.Charge): void {
  const uncaptured = charge.amount - charge.amount_captured;
  const refunded = charge.amount_captured - refundableAmount(core, charge);
  charge.amount_refunded = uncaptured + refunded;
  charge.refunded = refunded >= charge.amount_captured;
}

function formatMoney(amount: number, currency: string): string {
  const symbol = currency === 'usd' ? '$' : '';
  const suffix = currency === 'usd' ? '' : ` ${currency.toUpperCase()}`;
  return `${symbol}${(amount / 100).toFixed(2)}${suffix}`;
}
