import type Stripe from 'stripe';
import type { EmulatorCore, RequestMeta } from '../domain/core.ts';
import { clientSecretFor, newId, nowSeconds } from '../domain/ids.ts';
import type { PaymentMethodRecord } from '../domain/store.ts';
import { invalidParam, invalidRequest, resourceMissing, StripeApiError } from '../http/errors.ts';
import { LIST_PARAMS, paginate } from '../http/list.ts';
import { initialMetadata, mergeMetadata, type Params } from '../http/params.ts';
import type { KeyKind, StripeRoute } from '../http/router.ts';
import { requireCustomer } from './customers.ts';
import {
  attachPaymentMethod,
  consumedError,
  createPaymentMethodFrom,
  resolvePaymentMethod,
} from './payment-methods.ts';

type Status = Stripe.SetupIntent.Status;

const CONFIRMABLE: readonly Status[] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
];
const CANCELABLE: readonly Status[] = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
const CONFIRM_PARAMS = ['payment_method', 'payment_method_data', 'return_url', 'use_stripe_sdk'] as const;

export function setupIntentRoutes(core: EmulatorCore): StripeRoute[] {
  return [
    {
      method: 'POST',
      path: '/setup_intents',
      accepts: [
        ...CONFIRM_PARAMS,
        'customer',
        'description',
        'metadata',
        'usage',
        'confirm',
        'payment_method_types',
        'automatic_payment_methods',
      ],
      handle: ({ params, meta }) => createSetupIntent(core, params, meta),
    },
    {
      method: 'GET',
      path: '/setup_intents/:id',
      accepts: ['client_secret'],
      publishable: true,
      handle: ({ params, path, key }) => {
        const intent = requireSetupIntent(core, path['id'] ?? '');
        checkClientSecret(intent, params, key);
        return intent;
      },
    },
    {
      method: 'POST',
      path: '/setup_intents/:id',
      accepts: ['customer', 'description', 'metadata', 'payment_method', 'payment_method_types'],
      handle: ({ params, path }) =>
        updateSetupIntent(core, requireSetupIntent(core, path['id'] ?? ''), params),
    },
    {
      method: 'POST',
      path: '/setup_intents/:id/confirm',
      accepts: [...CONFIRM_PARAMS, 'client_secret'],
      publishable: true,
      handle: ({ params, path, key, meta }) => {
        const intent = requireSetupIntent(core, path['id'] ?? '');
        checkClientSecret(intent, params, key);
        const confirmation = readConfirmation(core, params);
        return confirmSetupIntent(core, intent, confirmation.paymentMethod, confirmation.returnUrl, meta);
      },
    },
    {
      method: 'POST',
      path: '/setup_intents/:id/cancel',
      accepts: ['cancellation_reason'],
      handle: ({ params, path, meta }) => {
        const intent = requireSetupIntent(core, path['id'] ?? '');
        const reason =
          params.oneOf('cancellation_reason', ['abandoned', 'duplicate', 'requested_by_customer']) ?? null;
        if (!CANCELABLE.includes(intent.status)) {
          throw invalidRequest(
            `You cannot cancel this SetupIntent because it has a status of ${intent.status}. Only a SetupIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
            { code: 'setup_intent_unexpected_state' },
          );
        }
        intent.status = 'canceled';
        intent.cancellation_reason = reason;
        intent.next_action = null;
        core.emit('setup_intent.canceled', intent, meta);
        return intent;
      },
    },
    {
      method: 'GET',
      path: '/setup_intents',
      accepts: [...LIST_PARAMS, 'customer', 'payment_method'],
      handle: ({ params }) => {
        const customer = params.nonEmptyString('customer');
        const paymentMethod = params.nonEmptyString('payment_method');
        const intents = [...core.store.setupIntents.values()].filter(
          (intent) =>
            (customer === undefined || intent.customer === customer) &&
            (paymentMethod === undefined || intent.payment_method === paymentMethod),
        );
        return paginate(intents, params, '/v1/setup_intents', core.store, 'setup_intent');
      },
    },
  ];
}

export function requireSetupIntent(core: EmulatorCore, id: string): Stripe.SetupIntent {
  const intent = core.store.setupIntents.get(id);
  if (intent === undefined) throw resourceMissing('setup_intent', id, 'intent');
  return intent;
}

function checkClientSecret(intent: Stripe.SetupIntent, params: Params, key: KeyKind): void {
  const secret = params.string('client_secret');
  if (secret === undefined && key === 'secret') return;
  if (secret === undefined) {
    throw invalidParam(
      'A SetupIntent can be read or confirmed with a publishable key only together with its client_secret.',
      'client_secret',
      'parameter_missing',
    );
  }
  if (secret !== intent.client_secret) {
    throw invalidParam(
      'The client_secret provided does not match the client_secret associated with the SetupIntent.',
      'client_secret',
    );
  }
}

function readConfirmation(
  core: EmulatorCore,
  params: Params,
): { paymentMethod: PaymentMethodRecord | undefined; returnUrl: string | undefined } {
  const paymentMethodId = params.nonEmptyString('payment_method');
  const paymentMethodData = params.object('payment_method_data');
  if (paymentMethodId !== undefined && paymentMethodData !== undefined) {
    throw invalidParam(
      'You may only specify one of these parameters: payment_method, payment_method_data.',
      'payment_method',
    );
  }
  paymentMethodData?.only(['type', 'card', 'billing_details', 'metadata', 'allow_redisplay']);
  const returnUrl = params.nonEmptyString('return_url');
  if (returnUrl !== undefined && !/^https?:\/\//.test(returnUrl)) {
    throw invalidParam('return_url must be an absolute http or https URL.', 'return_url', 'url_invalid');
  }
  params.boolean('use_stripe_sdk');
  const paymentMethod =
    paymentMethodId !== undefined
      ? resolvePaymentMethod(core, paymentMethodId, 'payment_method')
      : paymentMethodData !== undefined
        ? createPaymentMethodFrom(core, paymentMethodData)
        : undefined;
  return { paymentMethod, returnUrl };
}

function readPaymentMethodTypes(params: Params): string[] | undefined {
  const types = params.stringList('payment_method_types');
  for (const type of types ?? []) {
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

function createSetupIntent(core: EmulatorCore, params: Params, meta: RequestMeta): Stripe.SetupIntent {
  const customerId = params.nonEmptyString('customer');
  if (customerId !== undefined) requireCustomer(core, customerId, 'customer');
  const usage = params.oneOf('usage', ['off_session', 'on_session']) ?? 'off_session';
  const confirm = params.boolean('confirm') ?? false;
  const paymentMethodTypes = readPaymentMethodTypes(params);
  const automatic = params.object('automatic_payment_methods');
  automatic?.only(['enabled', 'allow_redirects']);
  const automaticEnabled = automatic?.boolean('enabled');
  const allowRedirects = automatic?.oneOf('allow_redirects', ['always', 'never']);
  const description = params.nullableString('description') ?? null;
  const metadata = initialMetadata(params.metadata());
  if (!confirm && params.has('return_url')) {
    throw invalidParam(
      'You passed `return_url` without `confirm=true`: it applies only when the SetupIntent is confirmed.',
      'return_url',
    );
  }
  const confirmation = readConfirmation(core, params);
  const intent: Stripe.SetupIntent = {
    id: newId('seti'),
    object: 'setup_intent',
    allowed_payment_method_types: null,
    application: null,
    automatic_payment_methods:
      paymentMethodTypes === undefined && automaticEnabled !== false
        ? { allow_redirects: allowRedirects ?? 'always', enabled: true }
        : null,
    cancellation_reason: null,
    client_secret: null,
    created: nowSeconds(),
    customer: customerId ?? null,
    description,
    excluded_payment_method_types: null,
    flow_directions: null,
    last_setup_error: null,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: confirmation.paymentMethod?.object.id ?? null,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: { mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    payment_method_types: paymentMethodTypes ?? ['card'],
    single_use_mandate: null,
    status: confirmation.paymentMethod === undefined ? 'requires_payment_method' : 'requires_confirmation',
    usage,
  };
  intent.client_secret = clientSecretFor(intent.id);
  core.store.setupIntents.set(intent.id, intent);
  core.store.track(intent.id);
  core.emit('setup_intent.created', intent, meta);
  if (confirm)
    return confirmSetupIntent(core, intent, confirmation.paymentMethod, confirmation.returnUrl, meta);
  return intent;
}

function updateSetupIntent(
  core: EmulatorCore,
  intent: Stripe.SetupIntent,
  params: Params,
): Stripe.SetupIntent {
  const customerId = params.nullableString('customer');
  if (typeof customerId === 'string') requireCustomer(core, customerId, 'customer');
  const paymentMethodId = params.nullableString('payment_method');
  const paymentMethod =
    typeof paymentMethodId === 'string'
      ? resolvePaymentMethod(core, paymentMethodId, 'payment_method')
      : undefined;
  const paymentMethodTypes = readPaymentMethodTypes(params);
  const description = params.nullableString('description');
  const metadata = params.metadata();
  const changesTerms =
    customerId !== undefined || paymentMethodId !== undefined || paymentMethodTypes !== undefined;
  if (changesTerms && !CONFIRMABLE.includes(intent.status)) {
    throw invalidRequest(`You cannot update this SetupIntent because it has a status of ${intent.status}.`, {
      code: 'setup_intent_unexpected_state',
    });
  }
  if (customerId !== undefined) intent.customer = customerId;
  if (paymentMethod !== undefined) intent.payment_method = paymentMethod.object.id;
  else if (paymentMethodId === null) intent.payment_method = null;
  if (paymentMethodTypes !== undefined) {
    intent.payment_method_types = paymentMethodTypes;
    intent.automatic_payment_methods = null;
  }
  if (description !== undefined) intent.description = description;
  intent.metadata = mergeMetadata(intent.metadata ?? {}, metadata);
  if (changesTerms) {
    intent.next_action = null;
    intent.status = intent.payment_method === null ? 'requires_payment_method' : 'requires_confirmation';
  }
  return intent;
}

/**
 * Saves a card for later use. Cards that decline when saved fail (402); cards that need
 * 3-D Secure wait in requires_action; otherwise the card is attached to the customer and,
 * for usage=off_session, marked ready for off-session payments.
 */
function confirmSetupIntent(
  core: EmulatorCore,
  intent: Stripe.SetupIntent,
  paymentMethod: PaymentMethodRecord | undefined,
  returnUrl: string | undefined,
  meta: RequestMeta,
): Stripe.SetupIntent {
  if (!CONFIRMABLE.includes(intent.status)) {
    throw invalidRequest(
      `You cannot confirm this SetupIntent because it has a status of ${intent.status}. Only a SetupIntent with one of the following statuses may be confirmed: ${CONFIRMABLE.join(', ')}.`,
      { code: 'setup_intent_unexpected_state', setup_intent: structuredClone(intent) },
    );
  }
  const record =
    paymentMethod ??
    (typeof intent.payment_method === 'string'
      ? core.store.paymentMethods.get(intent.payment_method)
      : undefined);
  if (record === undefined) {
    throw invalidRequest(
      "You cannot confirm this SetupIntent because it's missing a payment method. Pass one as `payment_method` when confirming.",
      { code: 'setup_intent_unexpected_state', setup_intent: structuredClone(intent) },
    );
  }
  const owner = record.object.customer;
  if (owner !== null && owner !== intent.customer) {
    throw invalidRequest(
      `The provided PaymentMethod ${record.object.id} belongs to a different customer than the one on this SetupIntent.`,
      { param: 'payment_method' },
    );
  }
  if (record.consumed) throw consumedError();
  intent.payment_method = record.object.id;
  intent.next_action = null;
  intent.last_setup_error = null;

  const behavior = record.card.behavior;
  if (behavior.kind === 'declines' && behavior.failsWhenSaved) {
    const docUrl = `https://docs.stripe.com/error-codes/${behavior.code.replaceAll('_', '-')}`;
    intent.status = 'requires_payment_method';
    intent.payment_method = null;
    intent.last_setup_error = {
      type: 'card_error',
      code: behavior.code as Stripe.SetupIntent.LastSetupError.Code,
      decline_code: behavior.declineCode,
      doc_url: docUrl,
      message: behavior.message,
      payment_method: structuredClone(record.object),
    };
    core.emit('setup_intent.setup_failed', intent, meta);
    throw new StripeApiError(402, {
      type: 'card_error',
      code: behavior.code,
      decline_code: behavior.declineCode,
      doc_url: docUrl,
      message: behavior.message,
      payment_method: structuredClone(record.object),
      setup_intent: structuredClone(intent),
    });
  }
  if (behavior.kind === 'requires_authentication') {
    intent.status = 'requires_action';
    const page = new URL(`/__emulator/3ds/${intent.id}`, core.publicUrl);
    if (returnUrl !== undefined) {
      page.searchParams.set('return_url', returnUrl);
      intent.next_action = {
        type: 'redirect_to_url',
        redirect_to_url: { url: page.toString(), return_url: returnUrl },
      };
    } else {
      intent.next_action = {
        type: 'use_stripe_sdk',
        use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: page.toString(), source: newId('src') },
      };
    }
    core.emit('setup_intent.requires_action', intent, meta);
    return intent;
  }
  return completeSetup(core, intent, record, meta);
}

function completeSetup(
  core: EmulatorCore,
  intent: Stripe.SetupIntent,
  record: PaymentMethodRecord,
  meta: RequestMeta,
): Stripe.SetupIntent {
  if (typeof intent.customer === 'string')
    attachPaymentMethod(core, record, intent.customer, meta, 'customer');
  if (intent.usage === 'off_session') record.setUpForOffSession = true;
  intent.status = 'succeeded';
  intent.next_action = null;
  core.emit('setup_intent.succeeded', intent, meta);
  return intent;
}

/** The end of a 3-D Secure challenge on a SetupIntent. */
export function completeSetupAuthentication(
  core: EmulatorCore,
  intent: Stripe.SetupIntent,
  succeeded: boolean,
  meta: RequestMeta,
): Stripe.SetupIntent {
  if (intent.status !== 'requires_action') {
    throw invalidRequest(
      `This SetupIntent has a status of ${intent.status}; only a SetupIntent that requires_action can be authenticated.`,
      { code: 'setup_intent_unexpected_state' },
    );
  }
  const record =
    typeof intent.payment_method === 'string'
      ? core.store.paymentMethods.get(intent.payment_method)
      : undefined;
  if (record === undefined) throw invalidRequest('This SetupIntent has no payment method to authenticate.');
  if (succeeded) return completeSetup(core, intent, record, meta);
  intent.status = 'requires_payment_method';
  intent.payment_method = null;
  intent.next_action = null;
  intent.last_setup_error = {
    type: 'invalid_request_error',
    code: 'setup_intent_authentication_failure',
    doc_url: 'https://docs.stripe.com/error-codes/setup-intent-authentication-failure',
    message:
      'The latest attempt to set up the payment method has failed because authentication failed. Provide a new payment method to attempt to set up again.',
    payment_method: structuredClone(record.object),
  };
  core.emit('setup_intent.setup_failed', intent, meta);
  return intent;
}
