import type Stripe from 'stripe';
import type { EmulatorCore, RequestMeta } from '../domain/core.ts';
import { clientSecretFor, newId, nowSeconds } from '../domain/ids.ts';
import type { PaymentMethodRecord } from '../domain/store.ts';
import {
  invalidParam,
  invalidRequest,
  resourceMissing,
  StripeApiError,
  unexpectedState,
} from '../http/errors.ts';
import { LIST_PARAMS, paginate } from '../http/list.ts';
import { initialMetadata, mergeMetadata, type Params } from '../http/params.ts';
import type { KeyKind, StripeRoute } from '../http/router.ts';
import { recordCharge } from './charges.ts';
import { requireCustomer } from './customers.ts';
import {
  attachPaymentMethod,
  consumedError,
  createPaymentMethodFrom,
  resolvePaymentMethod,
} from './payment-methods.ts';

type Status = Stripe.PaymentIntent.Status;
type CaptureMethod = Stripe.PaymentIntent.CaptureMethod;
type SetupFutureUsage = Stripe.PaymentIntent.SetupFutureUsage;

const CAPTURE_METHODS = ['automatic', 'automatic_async', 'manual'] as const;
const SETUP_FUTURE_USAGES = ['off_session', 'on_session'] as const;
const CANCELLATION_REASONS = ['abandoned', 'duplicate', 'fraudulent', 'requested_by_customer'] as const;
const CONFIRMABLE: readonly Status[] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
];
const CANCELABLE: readonly Status[] = [
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
  'processing',
];
const UPDATABLE: readonly Status[] = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

/** Stripe's minimum charge amounts, in the currency's smallest unit. */
const MINIMUM_AMOUNTS: Readonly<Record<string, number>> = { usd: 50, eur: 50, gbp: 30, cad: 50, aud: 50 };

/** Parameters a confirmation may carry, at creation (with confirm=true) or on /confirm. */
const CONFIRM_PARAMS = [
  'payment_method',
  'payment_method_data',
  'off_session',
  'return_url',
  'setup_future_usage',
  'receipt_email',
  'capture_method',
  'error_on_requires_action',
  'use_stripe_sdk',
  'payment_method_types',
] as const;

export function paymentIntentRoutes(core: EmulatorCore): StripeRoute[] {
  return [
    {
      method: 'POST',
      path: '/payment_intents',
      accepts: [
        ...CONFIRM_PARAMS,
        'amount',
        'currency',
        'customer',
        'description',
        'metadata',
        'automatic_payment_methods',
        'confirm',
        'confirmation_method',
        'statement_descriptor',
        'statement_descriptor_suffix',
      ],
      handle: ({ params, meta }) => createPaymentIntent(core, params, meta),
    },
    {
      method: 'GET',
      path: '/payment_intents/:id',
      accepts: ['client_secret'],
      publishable: true,
      handle: ({ params, path, key }) => {
        const intent = requirePaymentIntent(core, path['id'] ?? '');
        checkClientSecret(intent, params, key);
        return intent;
      },
    },
    {
      method: 'POST',
      path: '/payment_intents/:id',
      accepts: [
        'amount',
        'currency',
        'customer',
        'description',
        'metadata',
        'payment_method',
        'payment_method_types',
        'receipt_email',
        'setup_future_usage',
        'capture_method',
        'statement_descriptor',
        'statement_descriptor_suffix',
      ],
      handle: ({ params, path }) =>
        updatePaymentIntent(core, requirePaymentIntent(core, path['id'] ?? ''), params),
    },
    {
      method: 'POST',
      path: '/payment_intents/:id/confirm',
      accepts: [...CONFIRM_PARAMS, 'client_secret'],
      publishable: true,
      handle: ({ params, path, key, meta }) => {
        const intent = requirePaymentIntent(core, path['id'] ?? '');
        checkClientSecret(intent, params, key);
        return confirmPaymentIntent(core, intent, readConfirmation(core, params), meta);
      },
    },
    {
      method: 'POST',
      path: '/payment_intents/:id/capture',
      accepts: ['amount_to_capture', 'metadata', 'statement_descriptor', 'statement_descriptor_suffix'],
      handle: ({ params, path, meta }) =>
        capturePaymentIntent(core, requirePaymentIntent(core, path['id'] ?? ''), params, meta),
    },
    {
      method: 'POST',
      path: '/payment_intents/:id/cancel',
      accepts: ['cancellation_reason'],
      handle: ({ params, path, meta }) => {
        const intent = requirePaymentIntent(core, path['id'] ?? '');
        const reason = params.oneOf('cancellation_reason', CANCELLATION_REASONS) ?? null;
        return cancelPaymentIntent(core, intent, reason, meta);
      },
    },
    {
      method: 'GET',
      path: '/payment_intents',
      accepts: [...LIST_PARAMS, 'customer'],
      handle: ({ params }) => {
        const customer = params.nonEmptyString('customer');
        const intents = [...core.store.paymentIntents.values()].filter(
          (intent) => customer === undefined || intent.customer === customer,
        );
        return paginate(intents, params, '/v1/payment_intents', core.store, 'payment_intent');
      },
    },
  ];
}

export function requirePaymentIntent(core: EmulatorCore, id: string): Stripe.PaymentIntent {
  const intent = core.store.paymentIntents.get(id);
  if (intent === undefined) throw resourceMissing('payment_intent', id, 'intent');
  return intent;
}

function checkClientSecret(intent: Stripe.PaymentIntent, params: Params, key: KeyKind): void {
  const secret = params.string('client_secret');
  if (secret === undefined && key === 'secret') return;
  if (secret === undefined) {
    throw invalidParam(
      'A PaymentIntent can be read or confirmed with a publishable key only together with its client_secret.',
      'client_secret',
      'parameter_missing',
    );
  }
  if (secret !== intent.client_secret) {
    throw invalidParam(
      'The client_secret provided does not match the client_secret associated with the PaymentIntent.',
      'client_secret',
    );
  }
}

interface Confirmation {
  paymentMethod?: PaymentMethodRecord | undefined;
  offSession: boolean;
  returnUrl?: string | undefined;
  setupFutureUsage?: SetupFutureUsage | null | undefined;
  receiptEmail?: string | null | undefined;
  captureMethod?: CaptureMethod | undefined;
  errorOnRequiresAction: boolean;
}

/** Reads a confirmation's parameters; any new PaymentMethod is created only after all are valid. */
function readConfirmation(core: EmulatorCore, params: Params): Confirmation {
  const paymentMethodId = params.nonEmptyString('payment_method');
  const paymentMethodData = params.object('payment_method_data');
  if (paymentMethodId !== undefined && paymentMethodData !== undefined) {
    throw invalidParam(
      'You may only specify one of these parameters: payment_method, payment_method_data.',
      'payment_method',
    );
  }
  paymentMethodData?.only(['type', 'card', 'billing_details', 'metadata', 'allow_redisplay']);
  const offSession = readOffSession(params);
  const returnUrl = params.nonEmptyString('return_url');
  if (returnUrl !== undefined && !/^https?:\/\//.test(returnUrl)) {
    throw invalidParam('return_url must be an absolute http or https URL.', 'return_url', 'url_invalid');
  }
  const setupFutureUsage =
    params.string('setup_future_usage') === ''
      ? null
      : params.oneOf('setup_future_usage', SETUP_FUTURE_USAGES);
  const receiptEmail = params.nullableString('receipt_email', 800);
  const captureMethod = params.oneOf('capture_method', CAPTURE_METHODS);
  const errorOnRequiresAction = params.boolean('error_on_requires_action') ?? false;
  params.boolean('use_stripe_sdk');
  readPaymentMethodTypes(params);
  const paymentMethod =
    paymentMethodId !== undefined
      ? resolvePaymentMethod(core, paymentMethodId, 'payment_method')
      : paymentMethodData !== undefined
        ? createPaymentMethodFrom(core, paymentMethodData)
        : undefined;
  return {
    paymentMethod,
    offSession: offSession ?? false,
    returnUrl,
    setupFutureUsage,
    receiptEmail,
    captureMethod,
    errorOnRequiresAction,
  };
}

function readOffSession(params: Params): boolean | undefined {
  const value = params.string('off_session');
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'one_off' || value === 'recurring') return true;
  if (value === 'false') return false;
  throw invalidParam('Invalid off_session: must be a boolean, one_off, or recurring', 'off_session');
}

function readPaymentMethodTypes(params: Params): string[] | undefined {
  const types = params.stringList('payment_method_types');
  if (types === undefined) return undefined;
  for (const type of types) {
    if (type !== 'card') {
      throw invalidParam(
        `The payment method type '${type}' is not supported by the Stripe emulator, which emulates cards only.`,
        'payment_method_types',
        'payment_method_unactivated',
      );
    }
  }
  return types;
}

function readAmount(params: Params, currency: string, required: boolean): number | undefined {
  const amount = required
    ? params.requiredInteger('amount', { min: 0, max: 99_999_999 })
    : params.amount('amount');
  if (amount === undefined) return undefined;
  const minimum = MINIMUM_AMOUNTS[currency] ?? 1;
  if (amount < minimum) {
    const formatted = `${(minimum / 100).toFixed(2)}`;
    throw invalidParam(`Amount must be at least ${formatted} ${currency}`, 'amount', 'amount_too_small');
  }
  return amount;
}

function readCurrency(params: Params, required: boolean): string | undefined {
  const currency = required ? params.requiredString('currency') : params.nonEmptyString('currency');
  if (currency === undefined) return undefined;
  const lower = currency.toLowerCase();
  if (!/^[a-z]{3}$/.test(lower)) throw invalidParam(`Invalid currency: ${currency}.`, 'currency');
  return lower;
}

function createPaymentIntent(core: EmulatorCore, params: Params, meta: RequestMeta): Stripe.PaymentIntent {
  const currency = readCurrency(params, true) ?? 'usd';
  const amount = readAmount(params, currency, true) ?? 0;
  const customerId = params.nonEmptyString('customer');
  if (customerId !== undefined) requireCustomer(core, customerId, 'customer');
  const confirm = params.boolean('confirm') ?? false;
  const confirmationMethod = params.oneOf('confirmation_method', ['automatic', 'manual']) ?? 'automatic';
  const automatic = params.object('automatic_payment_methods');
  automatic?.only(['enabled', 'allow_redirects']);
  const automaticEnabled = automatic?.boolean('enabled');
  const allowRedirects = automatic?.oneOf('allow_redirects', ['always', 'never']);
  const paymentMethodTypes = readPaymentMethodTypes(params);
  if (automaticEnabled === true && paymentMethodTypes !== undefined) {
    throw invalidParam(
      'You may only specify one of these parameters: automatic_payment_methods, payment_method_types.',
      'automatic_payment_methods',
    );
  }
  const description = params.nullableString('description') ?? null;
  const metadata = initialMetadata(params.metadata());
  const statementDescriptor = params.nullableString('statement_descriptor', 22) ?? null;
  const statementDescriptorSuffix = params.nullableString('statement_descriptor_suffix', 22) ?? null;
  if (!confirm) {
    for (const onlyWithConfirm of ['off_session', 'return_url', 'error_on_requires_action'] as const) {
      if (params.has(onlyWithConfirm)) {
        throw invalidParam(
          `You passed \`${onlyWithConfirm}\` without \`confirm=true\`: it applies only when the PaymentIntent is confirmed.`,
          onlyWithConfirm,
        );
      }
    }
  }
  const confirmation = readConfirmation(core, params);

  const intent: Stripe.PaymentIntent = {
    id: newId('pi'),
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount,
    amount_capturable: 0,
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods:
      paymentMethodTypes === undefined && automaticEnabled !== false
        ? { allow_redirects: allowRedirects ?? 'always', enabled: true }
        : null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: confirmation.captureMethod ?? 'automatic_async',
    client_secret: null,
    confirmation_method: confirmationMethod,
    created: nowSeconds(),
    currency,
    customer: customerId ?? null,
    customer_account: null,
    description,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: confirmation.paymentMethod?.object.id ?? null,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    payment_method_types: paymentMethodTypes ?? ['card'],
    payment_record: null,
    processing: null,
    receipt_email: confirmation.receiptEmail ?? null,
    review: null,
    setup_future_usage: confirmation.setupFutureUsage ?? null,
    shipping: null,
    source: null,
    statement_descriptor: statementDescriptor,
    statement_descriptor_suffix: statementDescriptorSuffix,
    status: confirmation.paymentMethod === undefined ? 'requires_payment_method' : 'requires_confirmation',
    transfer_data: null,
    transfer_group: null,
  };
  intent.client_secret = clientSecretFor(intent.id);
  if (confirmation.setupFutureUsage != null && intent.customer === null) {
    throw invalidParam(
      'A customer is required to save a card for future use: pass `customer` along with `setup_future_usage`.',
      'setup_future_usage',
    );
  }
  if (confirmation.paymentMethod !== undefined) checkUsableBy(confirmation.paymentMethod, intent);
  core.store.paymentIntents.set(intent.id, intent);
  core.store.track(intent.id);
  core.emit('payment_intent.created', intent, meta);
  if (confirm) return confirmPaymentIntent(core, intent, confirmation, meta);
  return intent;
}

function updatePaymentIntent(
  core: EmulatorCore,
  intent: Stripe.PaymentIntent,
  params: Params,
): Stripe.PaymentIntent {
  const alwaysUpdatable = new Set(['description', 'metadata', 'receipt_email']);
  const restricted = params.keys().filter((key) => key !== 'expand' && !alwaysUpdatable.has(key));
  const blocked = restricted[0];
  if (blocked !== undefined && !UPDATABLE.includes(intent.status)) {
    throw unexpectedState(
      `This PaymentIntent's ${blocked} could not be updated because it has a status of ${intent.status}. You may only update the ${blocked} of a PaymentIntent with one of the following statuses: ${UPDATABLE.join(', ')}.`,
      { param: blocked },
    );
  }
  const currency = readCurrency(params, false) ?? intent.currency;
  const amount = readAmount(params, currency, false);
  const customerId = params.nullableString('customer');
  if (typeof customerId === 'string') requireCustomer(core, customerId, 'customer');
  const paymentMethodId = params.nullableString('payment_method');
  const paymentMethod =
    typeof paymentMethodId === 'string'
      ? resolvePaymentMethod(core, paymentMethodId, 'payment_method')
      : undefined;
  const paymentMethodTypes = readPaymentMethodTypes(params);
  const receiptEmail = params.nullableString('receipt_email', 800);
  const setupFutureUsage =
    params.string('setup_future_usage') === ''
      ? null
      : params.oneOf('setup_future_usage', SETUP_FUTURE_USAGES);
  const captureMethod = params.oneOf('capture_method', CAPTURE_METHODS);
  const description = params.nullableString('description');
  const metadata = params.metadata();
  const statementDescriptor = params.nullableString('statement_descriptor', 22);
  const statementDescriptorSuffix = params.nullableString('statement_descriptor_suffix', 22);

  const next = structuredClone(intent);
  if (amount !== undefined) next.amount = amount;
  next.currency = currency;
  if (customerId !== undefined) next.customer = customerId;
  if (paymentMethod !== undefined) next.payment_method = paymentMethod.object.id;
  else if (paymentMethodId === null) next.payment_method = null;
  if (paymentMethodTypes !== undefined) {
    next.payment_method_types = paymentMethodTypes;
    next.automatic_payment_methods = null;
  }
  if (receiptEmail !== undefined) next.receipt_email = receiptEmail;
  if (setupFutureUsage !== undefined) next.setup_future_usage = setupFutureUsage;
  if (captureMethod !== undefined) next.capture_method = captureMethod;
  if (description !== undefined) next.description = description;
  next.metadata = mergeMetadata(intent.metadata, metadata);
  if (statementDescriptor !== undefined) next.statement_descriptor = statementDescriptor;
  if (statementDescriptorSuffix !== undefined) next.statement_descriptor_suffix = statementDescriptorSuffix;
  if (paymentMethod !== undefined) checkUsableBy(paymentMethod, next);
  if (UPDATABLE.includes(intent.status) && restricted.length > 0) {
    // Stripe drops an unfinished authentication when the payment's terms change.
    next.next_action = null;
    next.status = next.payment_method === null ? 'requires_payment_method' : 'requires_confirmation';
  }
  Object.assign(intent, next);
  return intent;
}

/**
 * Tries the payment with its PaymentMethod's test-card behaviour: authorized (held when
 * capture_method is manual), declined (402, as Stripe answers), or waiting for 3-D Secure.
 */
function confirmPaymentIntent(
  core: EmulatorCore,
  intent: Stripe.PaymentIntent,
  confirmation: Confirmation,
  meta: RequestMeta,
): Stripe.PaymentIntent {
  if (!CONFIRMABLE.includes(intent.status)) {
    throw unexpectedState(
      `You cannot confirm this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be confirmed: ${CONFIRMABLE.join(', ')}.`,
      { payment_intent: structuredClone(intent) },
    );
  }
  const record =
    confirmation.paymentMethod ??
    (typeof intent.payment_method === 'string'
      ? core.store.paymentMethods.get(intent.payment_method)
      : undefined);
  if (record === undefined) {
    throw unexpectedState(
      "You cannot confirm this PaymentIntent because it's missing a payment method. Update the PaymentIntent with a payment method, or pass one as `payment_method` when confirming.",
      { payment_intent: structuredClone(intent) },
    );
  }
  const setupFutureUsage =
    confirmation.setupFutureUsage === undefined ? intent.setup_future_usage : confirmation.setupFutureUsage;
  if (setupFutureUsage !== null && intent.customer === null) {
    throw invalidParam(
      'A customer is required to save a card for future use: pass `customer` along with `setup_future_usage`.',
      'setup_future_usage',
    );
  }
  checkUsableBy(record, intent);

  intent.payment_method = record.object.id;
  intent.setup_future_usage = setupFutureUsage;
  if (confirmation.receiptEmail !== undefined) intent.receipt_email = confirmation.receiptEmail;
  if (confirmation.captureMethod !== undefined) intent.capture_method = confirmation.captureMethod;
  intent.next_action = null;
  intent.last_payment_error = null;

  const behavior = record.card.behavior;
  if (behavior.kind === 'declines') {
    return declinePayment(core, intent, record, behavior, meta);
  }
  const needsAuthentication =
    behavior.kind === 'requires_authentication' &&
    (behavior.when === 'always' || !(confirmation.offSession && record.setUpForOffSession));
  if (needsAuthentication) {
    if (confirmation.offSession || confirmation.errorOnRequiresAction) {
      return declinePayment(
        core,
        intent,
        record,
        {
          code: 'authentication_required',
          declineCode: 'authentication_required',
          message: 'Your card was declined. This transaction requires authentication.',
        },
        meta,
      );
    }
    intent.status = 'requires_action';
    intent.next_action = authenticationAction(core, intent.id, confirmation.returnUrl);
    core.emit('payment_intent.requires_action', intent, meta);
    return intent;
  }
  return authorizePayment(core, intent, record, false, meta);
}

function authenticationAction(
  core: EmulatorCore,
  intentId: string,
  returnUrl: string | undefined,
): Stripe.PaymentIntent.NextAction {
  const page = new URL(`/__emulator/3ds/${intentId}`, core.publicUrl);
  if (returnUrl !== undefined) {
    page.searchParams.set('return_url', returnUrl);
    return { type: 'redirect_to_url', redirect_to_url: { url: page.toString(), return_url: returnUrl } };
  }
  return {
    type: 'use_stripe_sdk',
    use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: page.toString(), source: newId('src') },
  };
}

function authorizePayment(
  core: EmulatorCore,
  intent: Stripe.PaymentIntent,
  record: PaymentMethodRecord,
  threeDSecure: boolean,
  meta: RequestMeta,
): Stripe.PaymentIntent {
  const charge = recordCharge(core, intent, record, { kind: 'authorized', threeDSecure });
  intent.latest_charge = charge.id;
  intent.next_action = null;
  intent.last_payment_error = null;
  if (intent.capture_method === 'manual') {
    intent.status = 'requires_capture';
    intent.amount_capturable = intent.amount;
  } else {
    intent.status = 'succeeded';
    intent.amount_received = intent.amount;
  }
  if (intent.setup_future_usage !== null && typeof intent.customer === 'string') {
    attachPaymentMethod(core, record, intent.customer, meta, 'customer');
    if (intent.setup_future_usage === 'off_session') record.setUpForOffSession = true;
  } else if (record.object.customer === null) {
    record.consumed = true;
  }
  core.emit('charge.succeeded', charge, meta);
  if (intent.status === 'requires_capture')
    core.emit('payment_intent.amount_capturable_updated', intent, meta);
  else core.emit('payment_intent.succeeded', intent, meta);
  return intent;
}

function declinePayment(
  core: EmulatorCore,
  intent: Stripe.PaymentIntent,
  record: PaymentMethodRecord,
  decline: { code: string; declineCode: string; message: string },
  meta: RequestMeta,
): never {
  const charge = recordCharge(core, intent, record, { kind: 'declined', ...decline });
  const docUrl = `https://docs.stripe.com/error-codes/${decline.code.replaceAll('_', '-')}`;
  intent.latest_charge = charge.id;
  intent.status = 'requires_payment_method';
  intent.payment_method = null;
  intent.next_action = null;
  intent.last_payment_error = {
    type: 'card_error',
    charge: charge.id,
    code: decline.code as Stripe.PaymentIntent.LastPaymentError.Code,
    decline_code: decline.declineCode,
    doc_url: docUrl,
    message: decline.message,
    payment_method: structuredClone(record.object),
  };
  core.emit('charge.failed', charge, meta);
  core.emit('payment_intent.payment_failed', intent, meta);
  throw new StripeApiError(402, {
    type: 'card_error',
    code: decline.code,
    decline_code: decline.declineCode,
    message: decline.message,
    charge: charge.id,
    doc_url: docUrl,
    payment_intent: structuredClone(intent),
    payment_method: structuredClone(record.object),
  });
}

/** The end of a 3-D Secure challenge, from the emulator's authentication page or control API. */
export function completePaymentAuthentication(
  core: EmulatorCore,
  intent: Stripe.PaymentIntent,
  succeeded: boolean,
  meta: RequestMeta,
): Stripe.PaymentIntent {
  if (intent.status !== 'requires_action') {
    throw unexpectedState(
      `This PaymentIntent has a status of ${intent.status}; only a PaymentIntent that requires_action can be authenticated.`,
    );
  }
  const record =
    typeof intent.payment_method === 'string'
      ? core.store.paymentMethods.get(intent.payment_method)
      : undefined;
  if (record === undefined)
    throw unexpectedState('This PaymentIntent has no payment method to authenticate.');
  if (succeeded) return authorizePayment(core, intent, record, true, meta);
  intent.status = 'requires_payment_method';
  intent.payment_method = null;
  intent.next_action = null;
  intent.last_payment_error = {
    type: 'invalid_request_error',
    code: 'payment_intent_authentication_failure',
    doc_url: 'https://docs.stripe.com/error-codes/payment-intent-authentication-failure',
    message:
      'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
    payment_method: structuredClone(record.object),
  };
  core.emit('payment_intent.payment_failed', intent, meta);
  return intent;
}

function capturePaymentIntent(
  core: EmulatorCore,
  intent: Stripe.PaymentIntent,
  params: Params,
  meta: RequestMeta,
): Stripe.PaymentIntent {
  const requested = params.integer('amount_to_capture', { min: 1, max: 99_999_999 });
  const metadata = params.metadata();
  const statementDescriptor = params.nullableString('statement_descriptor', 22);
  const statementDescriptorSuffix = params.nullableString('statement_descriptor_suffix', 22);
  if (intent.status !== 'requires_capture') {
    throw unexpectedState(
      `This PaymentIntent could not be captured because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
      { payment_intent: structuredClone(intent) },
    );
  }
  const amount = requested ?? intent.amount_capturable;
  if (amount > intent.amount_capturable) {
    throw invalidRequest(
      `The amount to capture (${amount}) is greater than the amount capturable on this PaymentIntent (${intent.amount_capturable}).`,
      { code: 'amount_too_large', param: 'amount_to_capture' },
    );
  }
  const charge =
    typeof intent.latest_charge === 'string' ? core.store.charges.get(intent.latest_charge) : undefined;
  if (charge === undefined) throw unexpectedState('This PaymentIntent has no authorized charge to capture.');
  intent.metadata = mergeMetadata(intent.metadata, metadata);
  if (statementDescriptor !== undefined) intent.statement_descriptor = statementDescriptor;
  if (statementDescriptorSuffix !== undefined) intent.statement_descriptor_suffix = statementDescriptorSuffix;
  charge.captured = true;
  charge.amount_captured = amount;
  // The part of the hold not captured goes back to the card.
  charge.amount_refunded = charge.amount - amount;
  charge.metadata = structuredClone(intent.metadata);
  intent.status = 'succeeded';
  intent.amount_received = amount;
  intent.amount_capturable = 0;
  core.emit('charge.captured', charge, meta);
  core.emit('payment_intent.succeeded', intent, meta);
  return intent;
}

/**
 * Cancels a payment before it completes. A held (uncaptured) amount is released: its
 * charge is marked refunded in full, as Stripe does when it voids the authorization.
 */
export function cancelPaymentIntent(
  core: EmulatorCore,
  intent: Stripe.PaymentIntent,
  reason: Stripe.PaymentIntent.CancellationReason | null,
  meta: RequestMeta,
  options: { expired?: boolean } = {},
): Stripe.PaymentIntent {
  if (!CANCELABLE.includes(intent.status)) {
    throw unexpectedState(
      `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
      { payment_intent: structuredClone(intent) },
    );
  }
  const held = intent.status === 'requires_capture';
  const charge =
    held && typeof intent.latest_charge === 'string'
      ? core.store.charges.get(intent.latest_charge)
      : undefined;
  intent.status = 'canceled';
  intent.canceled_at = nowSeconds();
  intent.cancellation_reason = reason;
  intent.amount_capturable = 0;
  intent.next_action = null;
  if (charge !== undefined) {
    charge.refunded = true;
    charge.amount_refunded = charge.amount;
    core.emit(options.expired === true ? 'charge.expired' : 'charge.refunded', charge, meta);
  }
  core.emit('payment_intent.canceled', intent, meta);
  return intent;
}

/**
 * A PaymentMethod saved to a customer is used only for that customer; one spent (or
 * detached) without a customer cannot be used again.
 */
function checkUsableBy(record: PaymentMethodRecord, intent: Stripe.PaymentIntent): void {
  const owner = record.object.customer;
  if (owner !== null && intent.customer === null) {
    throw invalidRequest(
      `The provided PaymentMethod ${record.object.id} is attached to a customer: pass that customer as \`customer\` to use it.`,
      { param: 'payment_method' },
    );
  }
  if (owner !== null && owner !== intent.customer) {
    throw invalidRequest(
      `The provided PaymentMethod ${record.object.id} belongs to a different customer than the one on this PaymentIntent.`,
      { param: 'payment_method' },
    );
  }
  if (record.consumed) throw consumedError();
}
