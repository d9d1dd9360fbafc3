import { createHash } from 'node:crypto';

/**
 * What a test card does when it is used. These follow Stripe's documented test cards
 * (https://docs.stripe.com/testing), reached the same three ways Stripe allows:
 * a `pm_card_*` PaymentMethod id, a `tok_*` token, or the card number itself. Where
 * Stripe's ids come in two spellings (`pm_card_visa_chargeDeclined…` and
 * `pm_card_chargeDeclined…`), both work.
 */
export type CardBehavior =
  | { kind: 'succeeds' }
  | {
      kind: 'declines';
      code: string;
      declineCode: string;
      message: string;
      /** false: saving the card works (SetupIntent, attach) and only charges fail. */
      failsWhenSaved: boolean;
    }
  | {
      kind: 'requires_authentication';
      /** 'always': every payment, even off-session after set-up; 'until_set_up': only until saved for off-session use. */
      when: 'always' | 'until_set_up';
    }
  | { kind: 'refund_fails' };

export interface TestCard {
  number: string;
  brand: 'visa' | 'mastercard' | 'amex';
  funding: 'credit' | 'debit';
  country: string;
  behavior: CardBehavior;
  paymentMethodIds: readonly string[];
  tokens: readonly string[];
}

const declined = (
  code: string,
  declineCode: string,
  message: string,
  failsWhenSaved = true,
): CardBehavior => ({ kind: 'declines', code, declineCode, message, failsWhenSaved });

const GENERIC_DECLINE = 'Your card was declined.';

export const TEST_CARDS: readonly TestCard[] = [
  card('4242424242424242', 'visa', 'credit', { kind: 'succeeds' }, ['pm_card_visa'], ['tok_visa']),
  card('4000056655665556', 'visa', 'debit', { kind: 'succeeds' }, ['pm_card_visa_debit'], ['tok_visa_debit']),
  card(
    '5555555555554444',
    'mastercard',
    'credit',
    { kind: 'succeeds' },
    ['pm_card_mastercard'],
    ['tok_mastercard'],
  ),
  card('378282246310005', 'amex', 'credit', { kind: 'succeeds' }, ['pm_card_amex'], ['tok_amex']),
  card(
    '4000000000000002',
    'visa',
    'credit',
    declined('card_declined', 'generic_decline', GENERIC_DECLINE),
    ['pm_card_visa_chargeDeclined', 'pm_card_chargeDeclined'],
    ['tok_visa_chargeDeclined', 'tok_chargeDeclined'],
  ),
  card(
    '4000000000009995',
    'visa',
    'credit',
    declined('card_declined', 'insufficient_funds', 'Your card has insufficient funds.', false),
    ['pm_card_visa_chargeDeclinedInsufficientFunds', 'pm_card_chargeDeclinedInsufficientFunds'],
    ['tok_visa_chargeDeclinedInsufficientFunds', 'tok_chargeDeclinedInsufficientFunds'],
  ),
  card(
    '4000000000009987',
    'visa',
    'credit',
    declined('card_declined', 'lost_card', GENERIC_DECLINE),
    ['pm_card_visa_chargeDeclinedLostCard', 'pm_card_chargeDeclinedLostCard'],
    ['tok_visa_chargeDeclinedLostCard', 'tok_chargeDeclinedLostCard'],
  ),
  card(
    '4000000000009979',
    'visa',
    'credit',
    declined('card_declined', 'stolen_card', GENERIC_DECLINE),
    ['pm_card_visa_chargeDeclinedStolenCard', 'pm_card_chargeDeclinedStolenCard'],
    ['tok_visa_chargeDeclinedStolenCard', 'tok_chargeDeclinedStolenCard'],
  ),
  card(
    '4000000000000069',
    'visa',
    'credit',
    declined('expired_card', 'expired_card', 'Your card has expired.'),
    ['pm_card_chargeDeclinedExpiredCard'],
    ['tok_chargeDeclinedExpiredCard'],
  ),
  card(
    '4000000000000127',
    'visa',
    'credit',
    declined('incorrect_cvc', 'incorrect_cvc', "Your card's security code is incorrect."),
    ['pm_card_chargeDeclinedIncorrectCvc'],
    ['tok_chargeDeclinedIncorrectCvc'],
  ),
  card(
    '4000000000000119',
    'visa',
    'credit',
    declined(
      'processing_error',
      'processing_error',
      'An error occurred while processing your card. Try again in a little bit.',
    ),
    ['pm_card_chargeDeclinedProcessingError'],
    ['tok_chargeDeclinedProcessingError'],
  ),
  card(
    '4000000000000341',
    'visa',
    'credit',
    declined('card_declined', 'generic_decline', GENERIC_DECLINE, false),
    ['pm_card_chargeCustomerFail'],
    ['tok_chargeCustomerFail'],
  ),
  card(
    '4000002760003184',
    'visa',
    'credit',
    { kind: 'requires_authentication', when: 'always' },
    ['pm_card_authenticationRequired'],
    ['tok_authenticationRequired'],
  ),
  card(
    '4000002500003155',
    'visa',
    'credit',
    { kind: 'requires_authentication', when: 'until_set_up' },
    ['pm_card_authenticationRequiredOnSetup'],
    ['tok_authenticationRequiredOnSetup'],
  ),
  card(
    '4000000000005126',
    'visa',
    'credit',
    { kind: 'refund_fails' },
    ['pm_card_refundFail'],
    ['tok_refundFail'],
  ),
];

function card(
  number: string,
  brand: TestCard['brand'],
  funding: TestCard['funding'],
  behavior: CardBehavior,
  paymentMethodIds: string[],
  tokens: string[],
): TestCard {
  return { number, brand, funding, country: 'US', behavior, paymentMethodIds, tokens };
}

export function testCardForPaymentMethodId(id: string): TestCard | undefined {
  return TEST_CARDS.find((candidate) => candidate.paymentMethodIds.includes(id));
}

export function testCardForToken(token: string): TestCard | undefined {
  return TEST_CARDS.find((candidate) => candidate.tokens.includes(token));
}

/** Any other Luhn-valid number behaves like a successful card of its apparent brand. */
export function testCardForNumber(number: string): TestCard | undefined {
  const digits = number.replace(/[\s-]/g, '');
  const known = TEST_CARDS.find((candidate) => candidate.number === digits);
  if (known !== undefined) return known;
  if (!/^[0-9]{13,19}$/.test(digits) || !luhnValid(digits)) return undefined;
  const brand =
    digits.startsWith('34') || digits.startsWith('37')
      ? 'amex'
      : digits.startsWith('5')
        ? 'mastercard'
        : 'visa';
  return card(digits, brand, 'credit', { kind: 'succeeds' }, [], []);
}

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export function fingerprintOf(number: string): string {
  return createHash('sha256').update(number).digest('base64url').slice(0, 16);
}
