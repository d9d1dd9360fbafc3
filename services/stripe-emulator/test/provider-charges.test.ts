import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import Stripe from 'stripe';
import type { StripeEmulator } from '../src/index.ts';
import { startEmulator, stripeError, stripeFor } from './helpers.ts';

// A plumber saves a card once; each lead they accept is charged to it off-session.
describe('a provider charged off-session on a saved card', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;

  beforeAll(async () => {
    emulator = await startEmulator();
    stripe = stripeFor(emulator);
  });
  afterAll(async () => emulator.close());
  beforeEach(() => emulator.reset());

  async function providerWithCard(
    paymentMethod: string,
  ): Promise<{ customer: Stripe.Customer; card: string }> {
    const customer = await stripe.customers.create({
      name: 'Pat Plumber',
      email: 'pat@example.test',
      metadata: { provider_id: 'prv_1' },
    });
    const setup = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: paymentMethod,
      usage: 'off_session',
      confirm: true,
    });
    expect(setup.status).toBe('succeeded');
    return { customer, card: String(setup.payment_method) };
  }

  const chargeLead = (customer: string, paymentMethod: string) =>
    stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      customer,
      payment_method: paymentMethod,
      off_session: true,
      confirm: true,
      metadata: { lead_id: 'ld_1' },
    });

  it('saves the card to the customer through a SetupIntent', async () => {
    const { customer, card } = await providerWithCard('pm_card_visa');

    const cards = await stripe.customers.listPaymentMethods(customer.id);
    expect(cards.data.map((method) => method.id)).toEqual([card]);
    expect(cards.data[0]?.card).toMatchObject({ brand: 'visa', last4: '4242' });
    const updated = await stripe.customers.update(customer.id, {
      invoice_settings: { default_payment_method: card },
    });
    expect(updated.invoice_settings.default_payment_method).toBe(card);
    expect(emulator.events().map((event) => event.type)).toEqual([
      'customer.created',
      'setup_intent.created',
      'payment_method.attached',
      'setup_intent.succeeded',
      'customer.updated',
    ]);
  });

  it('charges the saved card without the provider present', async () => {
    const { customer, card } = await providerWithCard('pm_card_visa');

    const payment = await chargeLead(customer.id, card);

    expect(payment).toMatchObject({ status: 'succeeded', amount_received: 2500, customer: customer.id });
    const charges = await stripe.charges.list({ customer: customer.id });
    expect(charges.data).toHaveLength(1);
    expect(charges.data[0]).toMatchObject({ captured: true, amount: 2500, metadata: { lead_id: 'ld_1' } });
  });

  it('can charge the same saved card again and again', async () => {
    const { customer, card } = await providerWithCard('pm_card_mastercard');

    await chargeLead(customer.id, card);
    const second = await chargeLead(customer.id, card);

    expect(second.status).toBe('succeeded');
  });

  it('reports a card that saves fine but is declined when charged', async () => {
    const { customer, card } = await providerWithCard('pm_card_chargeCustomerFail');

    const error = await stripeError(() => chargeLead(customer.id, card));

    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error.code).toBe('card_declined');
    expect(error.payment_intent?.status).toBe('requires_payment_method');
  });

  it('refuses to save a card that declines', async () => {
    const customer = await stripe.customers.create({ name: 'Pat' });

    const error = await stripeError(() =>
      stripe.setupIntents.create({
        customer: customer.id,
        payment_method: 'pm_card_chargeDeclined',
        confirm: true,
      }),
    );

    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error.setup_intent?.status).toBe('requires_payment_method');
    expect(error.setup_intent?.last_setup_error?.decline_code).toBe('generic_decline');
    const cards = await stripe.customers.listPaymentMethods(customer.id);
    expect(cards.data).toHaveLength(0);
  });

  it('needs the provider back when the bank demands authentication off-session', async () => {
    const customer = await stripe.customers.create({ name: 'Pat' });
    const setup = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
    });
    expect(setup.status).toBe('requires_action');
    emulator.authenticate(setup.id, 'succeed');
    const saved = await stripe.setupIntents.retrieve(setup.id);
    expect(saved.status).toBe('succeeded');

    const error = await stripeError(() => chargeLead(customer.id, String(saved.payment_method)));

    expect(error.code).toBe('authentication_required');
    expect(error.decline_code).toBe('authentication_required');
  });

  it('charges off-session without authentication once a card that asks for it at set-up is saved', async () => {
    const customer = await stripe.customers.create({ name: 'Pat' });
    const setup = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_card_authenticationRequiredOnSetup',
      confirm: true,
    });
    emulator.authenticate(setup.id, 'succeed');

    const payment = await chargeLead(customer.id, String(setup.payment_method));

    expect(payment.status).toBe('succeeded');
  });

  it('keeps one customer’s card away from another customer’s payments', async () => {
    const { card } = await providerWithCard('pm_card_visa');
    const other = await stripe.customers.create({ name: 'Other' });

    const error = await stripeError(() => chargeLead(other.id, card));

    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error.param).toBe('payment_method');
  });

  it('answers a missing customer with resource_missing: 400 as a parameter, 404 in the URL', async () => {
    const asParameter = await stripeError(() => chargeLead('cus_missing', 'pm_card_visa'));
    const inUrl = await stripeError(() => stripe.customers.retrieve('cus_missing'));

    expect([asParameter.statusCode, asParameter.code, asParameter.param]).toEqual([
      400,
      'resource_missing',
      'customer',
    ]);
    expect(asParameter.message).toBe("No such customer: 'cus_missing'");
    expect([inUrl.statusCode, inUrl.code]).toEqual([404, 'resource_missing']);
  });

  it('forgets a deleted customer and frees nothing it owned for reuse', async () => {
    const { customer, card } = await providerWithCard('pm_card_visa');

    const deleted = await stripe.customers.del(customer.id);
    const retrieved = await stripe.customers.retrieve(customer.id);
    const error = await stripeError(() =>
      stripe.paymentIntents.create({ amount: 2500, currency: 'usd', payment_method: card, confirm: true }),
    );

    expect(deleted.deleted).toBe(true);
    expect(retrieved.deleted).toBe(true);
    expect(error.message).toContain('may not be used again');
  });

  it('saves the card used for a payment when asked to, for later off-session use', async () => {
    const customer = await stripe.customers.create({ name: 'Pat' });
    const first = await stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      setup_future_usage: 'off_session',
      confirm: true,
    });

    const later = await chargeLead(customer.id, String(first.payment_method));

    expect(later.status).toBe('succeeded');
  });
});
