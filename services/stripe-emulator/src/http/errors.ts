import type Stripe from 'stripe';

export type StripeErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

/** The body Stripe puts under `error` in every failed response. */
export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  decline_code?: string;
  param?: string;
  charge?: string;
  doc_url?: string;
  payment_intent?: Stripe.PaymentIntent;
  payment_method?: Stripe.PaymentMethod;
  setup_intent?: Stripe.SetupIntent;
  request_log_url?: string;
}

/**
 * An error the emulator answers with, in Stripe's shape. `replayable` says whether the
 * idempotency layer stores it: Stripe saves the result of any request that began
 * executing (card declines, state conflicts), but not one rejected while its parameters
 * were being validated, so a corrected retry with the same key still goes through.
 */
export class StripeApiError extends Error {
  readonly status: number;
  readonly body: StripeErrorBody;
  readonly replayable: boolean;

  constructor(status: number, body: StripeErrorBody, options: { replayable?: boolean } = {}) {
    super(body.message);
    this.name = 'StripeApiError';
    this.status = status;
    this.body = body;
    this.replayable = options.replayable ?? true;
  }
}

const DOCS = 'https://docs.stripe.com/error-codes';

export function invalidRequest(message: string, extra: Partial<StripeErrorBody> = {}): StripeApiError {
  const body: StripeErrorBody = { type: 'invalid_request_error', message, ...extra };
  if (body.code !== undefined) body.doc_url = `${DOCS}/${body.code.replaceAll('_', '-')}`;
  return new StripeApiError(400, body);
}

/** A parameter problem found before anything ran: never stored under the idempotency key. */
export function invalidParam(message: string, param: string, code?: string): StripeApiError {
  const body: StripeErrorBody = { type: 'invalid_request_error', message, param };
  if (code !== undefined) {
    body.code = code;
    body.doc_url = `${DOCS}/${code.replaceAll('_', '-')}`;
  }
  return new StripeApiError(400, body, { replayable: false });
}

export function resourceMissing(kind: string, id: string, param = 'id'): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    doc_url: `${DOCS}/resource-missing`,
    message: `No such ${kind}: '${id}'`,
    param,
  });
}

export function unexpectedState(message: string, extra: Partial<StripeErrorBody> = {}): StripeApiError {
  return invalidRequest(message, { code: 'payment_intent_unexpected_state', ...extra });
}
