import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import Stripe from 'stripe';
import { verifyStripeWebhook } from '../../payments/src/adapters/stripe-client.ts';
import type { StripeEmulator } from '../src/index.ts';
import { startEmulator, stripeFor, WebhookReceiver } from './helpers.ts';

const SECRET = 'whsec_test_webhooks';

describe('webhooks sent by the emulator', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    emulator = await startEmulator({ webhookEndpoints: [{ url: receiver.url, secret: SECRET }] });
    stripe = stripeFor(emulator);
  });
  afterAll(async () => {
    await emulator.close();
    await receiver.stop();
  });
  beforeEach(() => {
    emulator.reset();
    receiver.received.length = 0;
  });
  afterEach(() => emulator.clearFaults());

  const holdDeposit = () =>
    stripe.paymentIntents.create({
      amount: 4900,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });

  it('arrive in order, signed so that the SDK verifies them', async () => {
    const intent = await holdDeposit();
    await emulator.settled();

    expect(receiver.eventTypes()).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.amount_capturable_updated',
    ]);
    const last = receiver.received.at(-1);
    const event = verifyStripeWebhook(stripe, last?.body ?? '', last?.headers['stripe-signature'], SECRET);
    expect(event.type).toBe('payment_intent.amount_capturable_updated');
    if (event.type === 'payment_intent.amount_capturable_updated') {
      expect(event.data.object.id).toBe(intent.id);
      expect(event.data.object.status).toBe('requires_capture');
    }
    expect(event.request?.idempotency_key).toMatch(/^stripe-node-retry-/);
    expect(last?.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('wait while paused, as late webhooks do, then arrive in order', async () => {
    emulator.pauseWebhooks();
    const intent = await holdDeposit();
    await stripe.paymentIntents.capture(intent.id);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.received).toHaveLength(0);

    emulator.resumeWebhooks();
    await emulator.settled();

    expect(receiver.eventTypes()).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.amount_capturable_updated',
      'charge.captured',
      'payment_intent.succeeded',
    ]);
  });

  it('fail verification when the body is altered or the secret is wrong', async () => {
    await holdDeposit();
    await emulator.settled();
    const webhook = receiver.received[0];
    const signature = webhook?.headers['stripe-signature'];

    expect(() => verifyStripeWebhook(stripe, `${webhook?.body} `, signature, SECRET)).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    expect(() => verifyStripeWebhook(stripe, webhook?.body ?? '', signature, 'whsec_other')).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
  });

  it('carry a snapshot of the object as it was when the event happened', async () => {
    const intent = await holdDeposit();
    await stripe.paymentIntents.capture(intent.id);
    await emulator.settled();

    const snapshots = receiver.received.map((webhook) =>
      verifyStripeWebhook(stripe, webhook.body, webhook.headers['stripe-signature'], SECRET),
    );
    const statuses = snapshots
      .filter((event) => event.type.startsWith('payment_intent.'))
      .map((event) => (event.data.object as Stripe.PaymentIntent).status);
    expect(statuses).toEqual(['requires_confirmation', 'requires_capture', 'succeeded']);
  });

  it('are retried until the endpoint answers 2xx, each attempt freshly signed', async () => {
    receiver.answerNext(500, 503);
    await stripe.customers.create({ name: 'Retry' });
    await emulator.settled();

    expect(receiver.eventTypes()).toEqual(['customer.created', 'customer.created', 'customer.created']);
    const [delivery] = emulator.deliveries();
    expect(delivery?.status).toBe('succeeded');
    expect(delivery?.attempts.map((attempt) => attempt.statusCode)).toEqual([500, 503, 200]);
    for (const webhook of receiver.received) {
      expect(() =>
        verifyStripeWebhook(stripe, webhook.body, webhook.headers['stripe-signature'], SECRET),
      ).not.toThrow();
    }
    const event = await stripe.events.retrieve(String(delivery?.eventId));
    expect(event.pending_webhooks).toBe(0);
  });

  it('are given up after the last retry', async () => {
    receiver.answerNext(500, 500, 500);
    await stripe.customers.create({ name: 'Gone' });
    await emulator.settled();

    const [delivery] = emulator.deliveries();
    expect(delivery?.status).toBe('failed');
    expect(delivery?.attempts).toHaveLength(3);
    const event = await stripe.events.retrieve(String(delivery?.eventId));
    expect(event.pending_webhooks).toBe(1);
  });

  it('can be sent again on request, with the same event id, to test idempotent handling', async () => {
    await stripe.customers.create({ name: 'Twice' });
    await emulator.settled();
    const [first] = emulator.events();

    const response = await fetch(`${emulator.url}/__emulator/events/${first?.id}/resend`, { method: 'POST' });
    await emulator.settled();

    expect(response.status).toBe(200);
    const ids = receiver.received.map(
      (webhook) => verifyStripeWebhook(stripe, webhook.body, webhook.headers['stripe-signature'], SECRET).id,
    );
    expect(ids).toEqual([first?.id, first?.id]);
  });

  it('go only to endpoints subscribed to the event type', async () => {
    const narrow = await new WebhookReceiver().start();
    try {
      const endpoint = emulator.addWebhookEndpoint({
        url: narrow.url,
        enabledEvents: ['payment_intent.succeeded'],
      });
      const intent = await holdDeposit();
      await stripe.paymentIntents.capture(intent.id);
      await emulator.settled();

      expect(narrow.eventTypes()).toEqual(['payment_intent.succeeded']);
      const event = verifyStripeWebhook(
        stripe,
        narrow.received[0]?.body ?? '',
        narrow.received[0]?.headers['stripe-signature'],
        endpoint.secret,
      );
      expect(event.type).toBe('payment_intent.succeeded');
      emulator.removeWebhookEndpoint(endpoint.id);
    } finally {
      await narrow.stop();
    }
  });

  it('can be registered through the API, which shows the signing secret once', async () => {
    const created = await stripe.webhookEndpoints.create({
      url: receiver.url,
      enabled_events: ['customer.created'],
    });
    const retrieved = await stripe.webhookEndpoints.retrieve(created.id);

    expect(created.secret).toMatch(/^whsec_/);
    expect(retrieved.secret).toBeUndefined();
    await stripe.webhookEndpoints.del(created.id);
  });

  it('are listed by the Events API, newest first and filterable by type', async () => {
    const intent = await holdDeposit();
    await stripe.paymentIntents.cancel(intent.id);

    const all = await stripe.events.list({ limit: 100 });
    const intents = await stripe.events.list({ type: 'payment_intent.*' });

    expect(all.data[0]?.type).toBe('payment_intent.canceled');
    expect(intents.data.map((event) => event.type)).toEqual([
      'payment_intent.canceled',
      'payment_intent.amount_capturable_updated',
      'payment_intent.created',
    ]);
  });
});
