import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import Stripe from 'stripe';
import type { StripeEmulator } from '../src/index.ts';
import { startEmulator, stripeError, stripeFor } from './helpers.ts';

// The locksmith deposit: authorize on booking, capture on assignment, release or refund otherwise.
describe('a customer deposit held on a card', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;

  beforeAll(async () => {
    emulator = await startEmulator();
    stripe = stripeFor(emulator);
  });
  afterAll(async () => emulator.close());
  beforeEach(() => emulator.reset());

  const hold = (paymentMethod = 'pm_card_visa', amount = 4900) =>
    stripe.paymentIntents.create({
      amount,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: paymentMethod,
      confirm: true,
      metadata: { booking_id: 'bk_1' },
    });

  it('is authorized without being taken: requires_capture with the full amount capturable', async () => {
    const intent = await hold();

    expect(intent.status).toBe('requires_capture');
    expect(intent.amount_capturable).toBe(4900);
    expect(intent.amount_received).toBe(0);
    expect(intent.metadata).toEqual({ booking_id: 'bk_1' });
    const charge = await stripe.charges.retrieve(String(intent.latest_charge));
    expect(charge).toMatchObject({ captured: false, paid: true, status: 'succeeded', amount_captured: 0 });
    expect(emulator.events().map((event) => event.type)).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.amount_capturable_updated',
    ]);
  });

  it('is captured in full when the job is assigned', async () => {
    const intent = await hold();

    const captured = await stripe.paymentIntents.capture(intent.id);

    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 4900, amount_capturable: 0 });
    const charge = await stripe.charges.retrieve(String(captured.latest_charge));
    expect(charge).toMatchObject({ captured: true, amount_captured: 4900, amount_refunded: 0 });
    expect(
      emulator
        .events()
        .slice(-2)
        .map((event) => event.type),
    ).toEqual(['charge.captured', 'payment_intent.succeeded']);
  });

  it('can be captured in part, the rest going back to the card', async () => {
    const intent = await hold();

    const captured = await stripe.paymentIntents.capture(intent.id, { amount_to_capture: 3000 });

    expect(captured.amount_received).toBe(3000);
    const charge = await stripe.charges.retrieve(String(captured.latest_charge));
    expect(charge).toMatchObject({ amount_captured: 3000, amount_refunded: 1900, refunded: false });
  });

  it('is released by canceling the PaymentIntent, which voids the hold', async () => {
    const intent = await hold();

    const canceled = await stripe.paymentIntents.cancel(intent.id, {
      cancellation_reason: 'requested_by_customer',
    });

    expect(canceled).toMatchObject({
      status: 'canceled',
      cancellation_reason: 'requested_by_customer',
      amount_capturable: 0,
    });
    const charge = await stripe.charges.retrieve(String(canceled.latest_charge));
    expect(charge).toMatchObject({ refunded: true, amount_refunded: 4900, captured: false });
    expect(
      emulator
        .events()
        .slice(-2)
        .map((event) => event.type),
    ).toEqual(['charge.refunded', 'payment_intent.canceled']);
  });

  it('cannot be refunded while only held: it must be canceled instead', async () => {
    const intent = await hold();

    const error = await stripeError(() => stripe.refunds.create({ payment_intent: intent.id }));

    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error.code).toBe('payment_intent_unexpected_state');
  });

  it('is refunded in parts after capture, never beyond what was captured', async () => {
    const intent = await hold();
    await stripe.paymentIntents.capture(intent.id);

    const first = await stripe.refunds.create({
      payment_intent: intent.id,
      amount: 900,
      reason: 'requested_by_customer',
    });
    const tooMuch = await stripeError(() =>
      stripe.refunds.create({ payment_intent: intent.id, amount: 4001 }),
    );
    const rest = await stripe.refunds.create({ payment_intent: intent.id });
    const again = await stripeError(() => stripe.refunds.create({ payment_intent: intent.id }));

    expect(first).toMatchObject({
      status: 'succeeded',
      amount: 900,
      reason: 'requested_by_customer',
      payment_intent: intent.id,
    });
    expect(tooMuch.code).toBe('amount_too_large');
    expect(rest.amount).toBe(4000);
    expect(again.code).toBe('charge_already_refunded');
    const charge = await stripe.charges.retrieve(String(intent.latest_charge));
    expect(charge).toMatchObject({ amount_refunded: 4900, refunded: true });
    const refunds = await stripe.refunds.list({ payment_intent: intent.id });
    expect(refunds.data.map((refund) => refund.amount)).toEqual([4000, 900]);
  });

  it('is declined with a card error carrying the PaymentIntent, which waits for another card', async () => {
    const error = await stripeError(() => hold('pm_card_chargeDeclinedInsufficientFunds'));

    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error.statusCode).toBe(402);
    expect(error.code).toBe('card_declined');
    expect(error.decline_code).toBe('insufficient_funds');
    expect(error.message).toBe('Your card has insufficient funds.');
    const failed = error.payment_intent;
    expect(failed?.status).toBe('requires_payment_method');
    expect(failed?.last_payment_error?.decline_code).toBe('insufficient_funds');

    const retried = await stripe.paymentIntents.confirm(String(failed?.id), {
      payment_method: 'pm_card_visa',
    });
    expect(retried.status).toBe('requires_capture');
    expect(emulator.events().map((event) => event.type)).toEqual([
      'payment_intent.created',
      'charge.failed',
      'payment_intent.payment_failed',
      'charge.succeeded',
      'payment_intent.amount_capturable_updated',
    ]);
  });

  it.each([
    ['pm_card_chargeDeclined', 'card_declined', 'generic_decline'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'expired_card'],
    ['pm_card_chargeDeclinedIncorrectCvc', 'incorrect_cvc', 'incorrect_cvc'],
    ['pm_card_chargeDeclinedProcessingError', 'processing_error', 'processing_error'],
    ['pm_card_chargeDeclinedLostCard', 'card_declined', 'lost_card'],
    ['pm_card_chargeDeclinedStolenCard', 'card_declined', 'stolen_card'],
  ])('%s is declined with code %s / %s', async (paymentMethod, code, declineCode) => {
    const error = await stripeError(() => hold(paymentMethod));

    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect([error.code, error.decline_code]).toEqual([code, declineCode]);
  });

  it('with a 3-D Secure card waits for the customer, then holds the amount once authenticated', async () => {
    const intent = await stripe.paymentIntents.create({
      amount: 4900,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      return_url: 'https://book.example.test/done',
    });
    expect(intent.status).toBe('requires_action');
    expect(intent.next_action?.type).toBe('redirect_to_url');
    const challenge = String(intent.next_action?.redirect_to_url?.url);
    expect(challenge.startsWith(`${emulator.url}/__emulator/3ds/${intent.id}`)).toBe(true);

    const page = await fetch(challenge);
    expect(await page.text()).toContain('Complete authentication');
    const submitted = await fetch(`${emulator.url}/__emulator/3ds/${intent.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ outcome: 'succeed', return_url: 'https://book.example.test/done' }),
      redirect: 'manual',
    });

    expect(submitted.status).toBe(303);
    const back = new URL(String(submitted.headers.get('location')));
    expect(back.searchParams.get('payment_intent')).toBe(intent.id);
    expect(back.searchParams.get('redirect_status')).toBe('succeeded');
    const held = await stripe.paymentIntents.retrieve(intent.id);
    expect(held.status).toBe('requires_capture');
  });

  it('fails back to requires_payment_method when 3-D Secure fails', async () => {
    const intent = await stripe.paymentIntents.create({
      amount: 4900,
      currency: 'usd',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
    });
    expect(intent.next_action?.type).toBe('use_stripe_sdk');

    emulator.authenticate(intent.id, 'fail');

    const failed = await stripe.paymentIntents.retrieve(intent.id);
    expect(failed.status).toBe('requires_payment_method');
    expect(failed.last_payment_error?.code).toBe('payment_intent_authentication_failure');
  });

  it('expires when the hold lapses uncaptured', async () => {
    const intent = await hold();

    const response = await fetch(
      `${emulator.url}/__emulator/payment_intents/${intent.id}/expire_authorization`,
      { method: 'POST' },
    );

    expect(response.status).toBe(200);
    const expired = await stripe.paymentIntents.retrieve(intent.id);
    expect(expired).toMatchObject({ status: 'canceled', cancellation_reason: 'automatic' });
    expect(
      emulator
        .events()
        .slice(-2)
        .map((event) => event.type),
    ).toEqual(['charge.expired', 'payment_intent.canceled']);
  });

  it('refuses transitions that are not allowed from the current state', async () => {
    const intent = await hold();
    await stripe.paymentIntents.capture(intent.id);

    const captureAgain = await stripeError(() => stripe.paymentIntents.capture(intent.id));
    const cancelCaptured = await stripeError(() => stripe.paymentIntents.cancel(intent.id));
    const confirmAgain = await stripeError(() => stripe.paymentIntents.confirm(intent.id));
    const changeAmount = await stripeError(() => stripe.paymentIntents.update(intent.id, { amount: 100 }));

    for (const error of [captureAgain, cancelCaptured, confirmAgain, changeAmount]) {
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error.code).toBe('payment_intent_unexpected_state');
    }
    expect(captureAgain.message).toContain('status of succeeded');
    const described = await stripe.paymentIntents.update(intent.id, { metadata: { note: 'done' } });
    expect(described.metadata).toEqual({ booking_id: 'bk_1', note: 'done' });
  });

  it('is created first and confirmed later, as the booking page does', async () => {
    const created = await stripe.paymentIntents.create({
      amount: 4900,
      currency: 'usd',
      capture_method: 'manual',
    });
    expect(created.status).toBe('requires_payment_method');
    expect(created.client_secret).toMatch(new RegExp(`^${created.id}_secret_`));

    // The browser confirms with the publishable key and the client secret.
    // Stripe.js sends client_secret; the server SDK's types do not list it.
    const browser = stripeFor(emulator, 'pk_test_emulator');
    const fromBrowser: Stripe.PaymentIntentConfirmParams & { client_secret: string } = {
      payment_method: 'pm_card_visa',
      client_secret: String(created.client_secret),
    };
    const confirmed = await browser.paymentIntents.confirm(created.id, fromBrowser);

    expect(confirmed.status).toBe('requires_capture');
    const wrongSecret = await stripeError(() =>
      browser.paymentIntents.retrieve(created.id, { client_secret: `${created.id}_secret_nope` }),
    );
    expect(wrongSecret.param).toBe('client_secret');
    const notForBrowsers = await stripeError(() => browser.paymentIntents.capture(created.id));
    expect(notForBrowsers.statusCode).toBe(401);
  });

  it('rejects amounts below Stripe’s minimum charge', async () => {
    const error = await stripeError(() => hold('pm_card_visa', 49));

    expect(error.code).toBe('amount_too_small');
    expect(error.param).toBe('amount');
  });

  it('does not let a card spent without a customer be used again', async () => {
    const method = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } });
    await hold(method.id);

    const error = await stripeError(() => hold(method.id));

    expect(error.message).toContain('may not be used again');
  });

  it('a refund on the refund-failure test card succeeds, then fails later', async () => {
    const intent = await stripe.paymentIntents.create({
      amount: 4900,
      currency: 'usd',
      payment_method: 'pm_card_refundFail',
      confirm: true,
    });
    const refund = await stripe.refunds.create({ payment_intent: intent.id });
    expect(refund.status).toBe('succeeded');

    await emulator.settled();

    const failed = await stripe.refunds.retrieve(refund.id);
    expect(failed.status).toBe('failed');
    expect(failed.failure_reason).toBe('expired_or_canceled_card');
    const charge = await stripe.charges.retrieve(String(intent.latest_charge));
    expect(charge).toMatchObject({ amount_refunded: 0, refunded: false });
    expect(emulator.events().map((event) => event.type)).toContain('refund.failed');
  });
});
