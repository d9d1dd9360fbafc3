import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { payments } from '@trades/contracts';
import { call, type NatsConnection } from '@trades/runtime';
import { waitFor } from '@trades/testkit';
import { startStack, type Stack } from '@trades/testkit/stack';
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { createStripeClient } from '../services/payments/src/adapters/stripe-client.ts';
import {
  BookingClient,
  connectTestNats,
  field,
  registerSanFranciscoLocksmith,
  streamEvents,
} from '../services/intake/test/booking-client.ts';

jest.setTimeout(60_000);

/** A Stripe event about a PaymentIntent, as Stripe would send it (only the id matters: it is re-read). */
function eventAbout(paymentIntentId: string, type: string, claimedStatus: string): string {
  return JSON.stringify({
    id: `evt_test_${randomUUID().replaceAll('-', '')}`,
    object: 'event',
    api_version: '2025-01-27.acacia',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    type,
    data: { object: { id: paymentIntentId, object: 'payment_intent', status: claimedStatus, amount: 4900 } },
  });
}

describe('the Stripe webhook: verified, once per event, re-read from Stripe, never backwards', () => {
  let stack: Stack;
  let client: BookingClient;
  let nc: NatsConnection;
  let secret: string;

  beforeAll(async () => {
    stack = await startStack({ without: ['dispatch'] });
    client = new BookingClient(stack.gatewayUrl);
    ({ nc } = await connectTestNats());
    await registerSanFranciscoLocksmith(nc);
    secret = stack.env['STRIPE_WEBHOOK_SECRET']!;
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  }, 60_000);

  const deliver = (payload: string, signature?: string) =>
    client.post(
      '/api/webhooks/stripe',
      payload,
      signature === undefined ? {} : { 'stripe-signature': signature },
    );
  const sign = (payload: string, options: { secret?: string; timestamp?: number } = {}) =>
    Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: options.secret ?? secret,
      ...(options.timestamp ? { timestamp: options.timestamp } : {}),
    });

  it('rejects a tampered, wrongly signed, stale or unsigned delivery with 400 and records nothing', async () => {
    const booking = await client.readyToPay();
    const payload = eventAbout(
      booking.paymentIntentId,
      'payment_intent.amount_capturable_updated',
      'requires_capture',
    );
    const tampered = payload.replace('"amount":4900', '"amount":1');
    const invalid = { status: 400, body: { code: 'INVALID_SIGNATURE', message: expect.any(String) } };

    expect(await deliver(tampered, sign(payload))).toMatchObject(invalid);
    expect(await deliver(payload, sign(payload, { secret: 'whsec_someone_else' }))).toMatchObject(invalid);
    expect(
      await deliver(payload, sign(payload, { timestamp: Math.floor(Date.now() / 1000) - 600 })),
    ).toMatchObject(invalid);
    expect(await deliver(payload)).toMatchObject(invalid);
    expect(await deliver(payload, 't=1,v1=deadbeef')).toMatchObject(invalid);

    // Nothing was recorded or changed: the same event, properly signed, is still new.
    expect(await call(nc, payments.DepositGet, { bookingId: booking.id })).toMatchObject({
      status: 'pending',
    });
    expect(await deliver(payload, sign(payload))).toEqual({
      status: 200,
      body: { received: true, duplicate: false },
    });
    // Its claim ("requires_capture") is not believed: Stripe says the card was never confirmed.
    expect(await call(nc, payments.DepositGet, { bookingId: booking.id })).toMatchObject({
      status: 'pending',
    });
    expect(await client.get(`/api/request/${booking.id}`)).toMatchObject({
      body: { state: 'awaiting_payment' },
    });
  });

  it('handles each event id once: a redelivery is acknowledged as a duplicate', async () => {
    const booking = await client.readyToPay();
    const payload = eventAbout(booking.paymentIntentId, 'payment_intent.created', 'requires_payment_method');
    expect(await deliver(payload, sign(payload))).toEqual({
      status: 200,
      body: { received: true, duplicate: false },
    });
    expect(await deliver(payload, sign(payload))).toEqual({
      status: 200,
      body: { received: true, duplicate: true },
    });
  });

  it('does not move a captured deposit backwards when older events arrive late', async () => {
    const booking = await client.readyToPay();
    const stripe = createStripeClient({
      secretKey: stack.env['STRIPE_SECRET_KEY']!,
      apiBase: stack.stripe.url,
      maxNetworkRetries: 0,
    });
    await stripe.paymentIntents.confirm(booking.paymentIntentId, { payment_method: 'pm_card_visa' });
    await waitFor(
      async () => field((await client.get(`/api/request/${booking.id}`)).body, 'state') === 'completed',
    );
    await call(nc, payments.DepositCapture, { bookingId: booking.id });

    for (const [type, status] of [
      ['payment_intent.amount_capturable_updated', 'requires_capture'],
      ['payment_intent.payment_failed', 'requires_payment_method'],
      ['payment_intent.created', 'requires_payment_method'],
    ]) {
      const payload = eventAbout(booking.paymentIntentId, type!, status!);
      expect(await deliver(payload, sign(payload))).toEqual({
        status: 200,
        body: { received: true, duplicate: false },
      });
    }
    expect(await call(nc, payments.DepositGet, { bookingId: booking.id })).toMatchObject({
      status: 'captured',
      capturedCents: 4900,
    });
    const mine = async (subject: string) =>
      (await streamEvents(nc, 'EVT_PAYMENTS', subject)).filter(
        (event) => field(event.data, 'bookingId') === booking.id,
      );
    expect(await mine(payments.DepositAuthorized.subject)).toHaveLength(1);
    expect(await mine(payments.DepositCaptured.subject)).toHaveLength(1);
    expect(await mine(payments.DepositFailed.subject)).toHaveLength(0);
  });

  it('records an event that is not about a booking deposit without acting on it', async () => {
    const payload = JSON.stringify({
      id: `evt_test_${randomUUID().replaceAll('-', '')}`,
      object: 'event',
      type: 'customer.created',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: 'cus_123', object: 'customer' } },
    });
    expect(await deliver(payload, sign(payload))).toEqual({
      status: 200,
      body: { received: true, duplicate: false },
    });
  });

  it('acts on the five events it is subscribed to, and records any other without reading Stripe', async () => {
    const intentId = 'pi_never_created_anywhere';
    // Stripe answers 500 for that PaymentIntent (the SDK retries too): only a delivery that reads it notices.
    const fault = await fetch(`${stack.stripe.url}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        method: 'GET',
        path: `/v1/payment_intents/${intentId}`,
        status: 500,
        times: 10,
      }),
    });
    expect(fault.status).toBe(200);
    try {
      const created = eventAbout(intentId, 'payment_intent.created', 'requires_payment_method');
      expect(await deliver(created, sign(created))).toEqual({
        status: 200,
        body: { received: true, duplicate: false },
      });
      const succeeded = eventAbout(intentId, 'payment_intent.succeeded', 'succeeded');
      expect((await deliver(succeeded, sign(succeeded))).status).toBe(500);
    } finally {
      await fetch(`${stack.stripe.url}/__emulator/faults`, { method: 'DELETE' });
    }
  });

  it('records an event about a PaymentIntent Stripe does not know (retrying would not help)', async () => {
    const payload = eventAbout('pi_never_created_anywhere', 'payment_intent.succeeded', 'succeeded');
    expect(await deliver(payload, sign(payload))).toEqual({
      status: 200,
      body: { received: true, duplicate: false },
    });
  });
});
