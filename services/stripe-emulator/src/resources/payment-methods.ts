import type Stripe from 'stripe';
import type { EmulatorCore, RequestMeta } from '../domain/core.ts';
import { previousAttributes } from '../domain/changes.ts';
import { newId, nowSeconds } from '../domain/ids.ts';
import type { PaymentMethodRecord } from '../domain/store.ts';
import {
  fingerprintOf,
  testCardForNumber,
  testCardForPaymentMethodId,
  testCardForToken,
  type TestCard,
} from '../domain/test-cards.ts';
import { invalidParam, invalidRequest, resourceMissing, StripeApiError } from '../http/errors.ts';
import { LIST_PARAMS, paginate } from '../http/list.ts';
import { initialMetadata, mergeMetadata, type Params } from '../http/params.ts';
import type { StripeRoute } from '../http/router.ts';

const DEFAULT_EXPIRY_YEAR_OFFSET = 3;

export function paymentMethodRoutes(core: EmulatorCore): StripeRoute[] {
  return [
    {
      method: 'POST',
      path: '/payment_methods',
      accepts: ['type', 'card', 'billing_details', 'metadata', 'allow_redisplay'],
      publishable: true,
      handle: ({ params }) => createPaymentMethodFrom(core, params).object,
    },
    {
      method: 'GET',
      path: '/payment_methods/:id',
      accepts: [],
      handle: ({ path }) => resolvePaymentMethod(core, path['id'] ?? '', 'payment_method').object,
    },
    {
      method: 'POST',
      path: '/payment_methods/:id',
      accepts: ['billing_details', 'metadata', 'card', 'allow_redisplay'],
      handle: ({ params, path, meta }) => updatePaymentMethod(core, path['id'] ?? '', params, meta),
    },
    {
      method: 'GET',
      path: '/payment_methods',
      accepts: [...LIST_PARAMS, 'customer', 'type'],
      handle: ({ params }) => {
        const customer = params.nonEmptyString('customer');
        const type = params.oneOf('type', ['card']);
        void type;
        const records = [...core.store.paymentMethods.values()]
          .map((record) => record.object)
          .filter((method) => (customer === undefined ? true : method.customer === customer));
        return paginate(records, params, '/v1/payment_methods', core.store, 'payment_method');
      },
    },
    {
      method: 'POST',
      path: '/payment_methods/:id/attach',
      accepts: ['customer'],
      handle: ({ params, path, meta }) => {
        const record = resolvePaymentMethod(core, path['id'] ?? '', 'payment_method');
        const customer = params.requiredString('customer');
        attachPaymentMethod(core, record, customer, meta, 'customer');
        return record.object;
      },
    },
    {
      method: 'POST',
      path: '/payment_methods/:id/detach',
      accepts: [],
      handle: ({ path, meta }) => detachPaymentMethod(core, path['id'] ?? '', meta),
    },
  ];
}

/** A stored PaymentMethod; a `pm_card_*` test id makes a fresh one each time, as in Stripe. */
export function resolvePaymentMethod(core: EmulatorCore, id: string, param: string): PaymentMethodRecord {
  const stored = core.store.paymentMethods.get(id);
  if (stored !== undefined) return stored;
  const card = testCardForPaymentMethodId(id);
  if (card !== undefined) return storePaymentMethod(core, card, {});
  throw resourceMissing('PaymentMethod', id, param);
}

export function storePaymentMethod(
  core: EmulatorCore,
  card: TestCard,
  options: {
    expMonth?: number | undefined;
    expYear?: number | undefined;
    billingDetails?: Stripe.PaymentMethod.BillingDetails | undefined;
    metadata?: Record<string, string> | undefined;
    allowRedisplay?: Stripe.PaymentMethod.AllowRedisplay | undefined;
  },
): PaymentMethodRecord {
  const method: Stripe.PaymentMethod = {
    id: newId('pm'),
    object: 'payment_method',
    allow_redisplay: options.allowRedisplay ?? 'unspecified',
    billing_details: options.billingDetails ?? emptyBillingDetails(),
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'unchecked' },
      country: card.country,
      display_brand: card.brand === 'amex' ? 'american_express' : card.brand,
      exp_month: options.expMonth ?? 12,
      exp_year: options.expYear ?? new Date().getUTCFullYear() + DEFAULT_EXPIRY_YEAR_OFFSET,
      fingerprint: fingerprintOf(card.number),
      funding: card.funding,
      generated_from: null,
      last4: card.number.slice(-4),
      networks: { available: [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: nowSeconds(),
    customer: null,
    customer_account: null,
    livemode: false,
    metadata: options.metadata ?? {},
    type: 'card',
  };
  const record: PaymentMethodRecord = { object: method, card, setUpForOffSession: false, consumed: false };
  core.store.paymentMethods.set(method.id, record);
  core.store.track(method.id);
  return record;
}

/** A card PaymentMethod from `type` + `card` (token or test number) parameters, or `payment_method_data`. */
export function createPaymentMethodFrom(core: EmulatorCore, params: Params): PaymentMethodRecord {
  const type = params.requiredString('type');
  if (type !== 'card') {
    throw invalidParam(
      `The Stripe emulator supports only card PaymentMethods, not '${type}'.`,
      params.name('type'),
    );
  }
  const cardParams = params.object('card');
  if (cardParams === undefined) {
    throw invalidParam(
      `Missing required param: ${params.name('card')}.`,
      params.name('card'),
      'parameter_missing',
    );
  }
  cardParams.only(['token', 'number', 'exp_month', 'exp_year', 'cvc']);
  let card: TestCard | undefined;
  const token = cardParams.nonEmptyString('token');
  let expMonth: number | undefined;
  let expYear: number | undefined;
  if (token !== undefined) {
    card = testCardForToken(token);
    if (card === undefined) throw resourceMissing('token', token, cardParams.name('token'));
  } else {
    const number = cardParams.requiredString('number');
    expMonth = cardParams.requiredInteger('exp_month', { min: 1, max: 12 });
    expYear = cardParams.requiredInteger('exp_year', { min: 2000, max: 2100 });
    cardParams.string('cvc');
    card = testCardForNumber(number);
    if (card === undefined) {
      throw new StripeApiError(402, {
        type: 'card_error',
        code: 'incorrect_number',
        message: 'Your card number is incorrect.',
        param: cardParams.name('number'),
      });
    }
    if (expYear < new Date().getUTCFullYear()) {
      throw new StripeApiError(402, {
        type: 'card_error',
        code: 'invalid_expiry_year',
        message: "Your card's expiration year is invalid.",
        param: cardParams.name('exp_year'),
      });
    }
  }
  const billingDetails = readBillingDetails(params, emptyBillingDetails());
  const metadata = initialMetadata(params.metadata());
  const allowRedisplay = params.oneOf('allow_redisplay', ['always', 'limited', 'unspecified']);
  return storePaymentMethod(core, card, { expMonth, expYear, billingDetails, metadata, allowRedisplay });
}

function updatePaymentMethod(
  core: EmulatorCore,
  id: string,
  params: Params,
  meta: RequestMeta,
): Stripe.PaymentMethod {
  const record = core.store.paymentMethods.get(id);
  if (record === undefined) throw resourceMissing('PaymentMethod', id, 'payment_method');
  const method = record.object;
  const before = structuredClone(method);
  // Read (and so validate) every parameter before changing anything.
  const billingDetails = readBillingDetails(params, method.billing_details);
  const metadata = params.metadata();
  const allowRedisplay = params.oneOf('allow_redisplay', ['always', 'limited', 'unspecified']);
  const cardParams = params.object('card');
  cardParams?.only(['exp_month', 'exp_year']);
  const expMonth = cardParams?.integer('exp_month', { min: 1, max: 12 });
  const expYear = cardParams?.integer('exp_year', { min: 2000, max: 2100 });
  method.billing_details = billingDetails;
  method.metadata = mergeMetadata(method.metadata ?? {}, metadata);
  if (allowRedisplay !== undefined) method.allow_redisplay = allowRedisplay;
  if (method.card !== undefined) {
    method.card.exp_month = expMonth ?? method.card.exp_month;
    method.card.exp_year = expYear ?? method.card.exp_year;
  }
  const changes = previousAttributes(before, method);
  if (changes !== undefined) core.emit('payment_method.updated', method, meta, changes);
  return method;
}

/**
 * Saves a card to a customer. Cards that decline are refused here, as Stripe refuses
 * them when it verifies a card on attach; a PaymentMethod already spent without a
 * customer, or detached, cannot be attached again.
 */
export function attachPaymentMethod(
  core: EmulatorCore,
  record: PaymentMethodRecord,
  customerId: string,
  meta: RequestMeta,
  param: string,
): void {
  const customer = core.store.customers.get(customerId);
  if (customer === undefined) throw resourceMissing('customer', customerId, param);
  const method = record.object;
  if (method.customer === customerId) return;
  if (method.customer !== null) {
    throw invalidRequest('The payment method you provided has already been attached to a customer.', {
      param: 'payment_method',
    });
  }
  if (record.consumed) throw consumedError();
  const behavior = record.card.behavior;
  if (behavior.kind === 'declines' && behavior.failsWhenSaved) {
    throw new StripeApiError(402, {
      type: 'card_error',
      code: behavior.code,
      decline_code: behavior.declineCode,
      message: behavior.message,
      doc_url: `https://docs.stripe.com/error-codes/${behavior.code.replaceAll('_', '-')}`,
    });
  }
  method.customer = customerId;
  core.emit('payment_method.attached', method, meta);
}

function detachPaymentMethod(core: EmulatorCore, id: string, meta: RequestMeta): Stripe.PaymentMethod {
  const record = core.store.paymentMethods.get(id);
  if (record === undefined) throw resourceMissing('PaymentMethod', id, 'payment_method');
  const customerId = record.object.customer;
  if (customerId === null || typeof customerId !== 'string') {
    throw invalidRequest(`The payment method ${id} is not attached to a customer.`, {
      param: 'payment_method',
    });
  }
  record.object.customer = null;
  record.consumed = true;
  record.setUpForOffSession = false;
  const customer = core.store.customers.get(customerId);
  if (customer !== undefined && customer.invoice_settings.default_payment_method === id) {
    const before = structuredClone(customer);
    customer.invoice_settings.default_payment_method = null;
    core.emit('customer.updated', customer, meta, previousAttributes(before, customer));
  }
  core.emit('payment_method.detached', record.object, meta, { customer: customerId });
  return record.object;
}

export function consumedError(): StripeApiError {
  return invalidRequest(
    'This PaymentMethod was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.',
    { param: 'payment_method' },
  );
}

export function emptyBillingDetails(): Stripe.PaymentMethod.BillingDetails {
  return { address: null, email: null, name: null, phone: null, tax_id: null };
}

function readBillingDetails(
  params: Params,
  current: Stripe.PaymentMethod.BillingDetails,
): Stripe.PaymentMethod.BillingDetails {
  const details = params.nullableObject('billing_details');
  if (details === undefined) return current;
  if (details === null) return emptyBillingDetails();
  details.only(['address', 'email', 'name', 'phone', 'tax_id']);
  const next = { ...current };
  const address = details.nullableObject('address');
  if (address === null) next.address = null;
  else if (address !== undefined) {
    address.only(['city', 'country', 'line1', 'line2', 'postal_code', 'state']);
    const old = current.address;
    next.address = {
      city: address.nullableString('city') ?? (address.has('city') ? null : (old?.city ?? null)),
      country: address.nullableString('country') ?? (address.has('country') ? null : (old?.country ?? null)),
      line1: address.nullableString('line1') ?? (address.has('line1') ? null : (old?.line1 ?? null)),
      line2: address.nullableString('line2') ?? (address.has('line2') ? null : (old?.line2 ?? null)),
      postal_code:
        address.nullableString('postal_code') ??
        (address.has('postal_code') ? null : (old?.postal_code ?? null)),
      state: address.nullableString('state') ?? (address.has('state') ? null : (old?.state ?? null)),
    };
  }
  for (const field of ['email', 'name', 'phone', 'tax_id'] as const) {
    const value = details.nullableString(field);
    if (value !== undefined) next[field] = value;
  }
  return next;
}
