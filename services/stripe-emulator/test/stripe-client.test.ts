import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Stripe from 'stripe';
import {
  createStripeClient,
  StripeClientConfigError,
  verifyStripeWebhook,
} from '../../payments/src/adapters/stripe-client.ts';
import { createStripeEmulator, type StripeEmulator } from '../src/index.ts';

// The payments service's factory (services/payments/src/adapters/stripe-client.ts), against the emulator.
describe('the payments service’s Stripe client', () => {
  const secret = 'whsec_client_test';
  let emulator: StripeEmulator;

  beforeAll(async () => {
    emulator = await createStripeEmulator({ port: 0, webhookSecret: secret, secretKey: 'sk_test_payments' });
  });
  afterAll(async () => emulator.close());

  it('sends every call to the emulator when given its address', async () => {
    const stripe = createStripeClient({
      secretKey: 'sk_test_payments',
      apiBase: emulator.url,
      maxNetworkRetries: 0,
    });

    const intent = await stripe.paymentIntents.create({
      amount: 4900,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });

    expect(intent.status).toBe('succeeded');
    expect(stripe.getApiField('host')).toBe('127.0.0.1');
    expect(stripe.getApiField('protocol')).toBe('http');
  });

  it('talks to Stripe itself when no address is given', () => {
    const stripe = createStripeClient({ secretKey: 'sk_live_abc' });

    expect(stripe.getApiField('host')).toBe('api.stripe.com');
    expect(stripe.getApiField('maxNetworkRetries')).toBe(2);
  });

  it('refuses an address that is not a bare origin, and a live key sent anywhere but Stripe', () => {
    expect(() =>
      createStripeClient({ secretKey: 'sk_test_x', apiBase: 'http://127.0.0.1:12111/v1' }),
    ).toThrow(StripeClientConfigError);
    expect(() => createStripeClient({ secretKey: 'sk_test_x', apiBase: 'ftp://127.0.0.1' })).toThrow(
      StripeClientConfigError,
    );
    expect(() => createStripeClient({ secretKey: 'sk_live_x', apiBase: emulator.url })).toThrow(
      /live Stripe key/,
    );
  });

  it('verifies a fresh signed webhook and rejects a stale or missing signature', () => {
    const stripe = createStripeClient({ secretKey: 'sk_test_payments', apiBase: emulator.url });
    const payload = JSON.stringify({
      id: 'evt_1',
      object: 'event',
      type: 'customer.created',
      data: { object: {} },
    });
    const fresh = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    const stale = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret,
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });

    expect(verifyStripeWebhook(stripe, payload, fresh, secret).id).toBe('evt_1');
    expect(verifyStripeWebhook(stripe, Buffer.from(payload), [fresh], secret).id).toBe('evt_1');
    expect(() => verifyStripeWebhook(stripe, payload, stale, secret)).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    expect(() => verifyStripeWebhook(stripe, payload, undefined, secret)).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
  });
});
