import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { JetStreamClient } from '@nats-io/jetstream';
import { AppError, payments } from '@trades/contracts';
import { call, type NatsConnection } from '@trades/runtime';
import { waitFor } from '@trades/testkit';
import { startStack, type Stack } from '@trades/testkit/stack';
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { createStripeClient } from '../services/payments/src/adapters/stripe-client.ts';
import {
  BookingClient,
  connectTestNats,
  field,
  publishJobEvent,
  registerSanFranciscoLocksmith,
  streamEvents,
} from '../services/intake/test/booking-client.ts';

jest.setTimeout(60_000);

/** Dispatch is left out: the tests publish its job events themselves, in the order they need. */
describe('the deposit follows the job: capture on assignment, release on failure, refund after cancel', () => {
  let stack: Stack;
  let client: BookingClient;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let stripe: Stripe;

  beforeAll(async () => {
    stack = await startStack({ without: ['dispatch'] });
    client = new BookingClient(stack.gatewayUrl);
    ({ nc, js } = await connectTestNats());
    await registerSanFranciscoLocksmith(nc);
    stripe = createStripeClient({
      secretKey: stack.env['STRIPE_SECRET_KEY']!,
      apiBase: stack.stripe.url,
      maxNetworkRetries: 0,
    });
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  }, 60_000);

  const deposit = (bookingId: string) => call(nc, payments.DepositGet, { bookingId });
  const depositIs = (bookingId: string, status: payments.DepositStatus) =>
    waitFor(
      async () => {
        const current = await deposit(bookingId);
        return current.status === status && current;
      },
      { what: `deposit ${status}` },
    );
  const eventsFor = async (subject: string, bookingId: string) =>
    (await streamEvents(nc, 'EVT_PAYMENTS', subject)).filter(
      (event) => field(event.data, 'bookingId') === bookingId,
    );

  it('captures the hold once when a locksmith is assigned, however often the event arrives', async () => {
    const booking = await client.completed();
    expect(await deposit(booking.id)).toMatchObject({
      status: 'authorized',
      amountCents: 4900,
      capturedCents: 0,
    });
    const jobId = randomUUID();
    const locksmith = { name: 'Sam Locksmith', etaMinutes: 20 };
    await publishJobEvent(js, 'ASSIGNED', { jobId, bookingId: booking.id, locksmith });
    await publishJobEvent(js, 'ASSIGNED', { jobId, bookingId: booking.id, locksmith });
    await Promise.all([
      call(nc, payments.DepositCapture, { bookingId: booking.id }),
      call(nc, payments.DepositCapture, { bookingId: booking.id }),
    ]);

    expect(await depositIs(booking.id, 'captured')).toMatchObject({ capturedCents: 4900, refundedCents: 0 });
    const intent = await stripe.paymentIntents.retrieve(booking.paymentIntentId);
    expect(intent).toMatchObject({ status: 'succeeded', amount_received: 4900 });
    // Both deliveries handled (acked) before counting the captured events.
    await waitFor(async () => (await eventsFor(payments.DepositCaptured.subject, booking.id)).length === 1);
    await publishJobEvent(js, 'ASSIGNED', { jobId, bookingId: booking.id, locksmith });
    await waitFor(async () => {
      const view = await client.get(`/api/track/${booking.trackingToken}`);
      return field(view.body, 'depositStatus') === 'captured';
    });
    expect(await eventsFor(payments.DepositCaptured.subject, booking.id)).toHaveLength(1);
  });

  it('releases the hold when no locksmith takes the job: the customer is not charged', async () => {
    const booking = await client.completed();
    await publishJobEvent(js, 'FAILED', { jobId: randomUUID(), bookingId: booking.id });

    expect(await depositIs(booking.id, 'released')).toMatchObject({ capturedCents: 0 });
    expect(await stripe.paymentIntents.retrieve(booking.paymentIntentId)).toMatchObject({
      status: 'canceled',
      amount_received: 0,
    });
    const released = await waitFor(async () => {
      const found = await eventsFor(payments.DepositReleased.subject, booking.id);
      return found.length > 0 && found;
    });
    expect(released).toHaveLength(1);
    expect(released[0]?.data).toMatchObject({ reason: expect.stringMatching(/failed/) });
    // A late assignment cannot capture a released hold.
    await expect(call(nc, payments.DepositCapture, { bookingId: booking.id })).rejects.toMatchObject({
      status: 409,
      code: 'DEPOSIT_NOT_CAPTURABLE',
    });
  });

  it('refunds in full when the job is canceled after the deposit was captured', async () => {
    const booking = await client.completed();
    const jobId = randomUUID();
    await publishJobEvent(js, 'ASSIGNED', {
      jobId,
      bookingId: booking.id,
      locksmith: { name: 'Sam', etaMinutes: 15 },
    });
    await depositIs(booking.id, 'captured');
    await publishJobEvent(js, 'CANCELED', { jobId, bookingId: booking.id });

    expect(await depositIs(booking.id, 'refunded')).toMatchObject({
      capturedCents: 4900,
      refundedCents: 4900,
    });
    const refunds = await stripe.refunds.list({ payment_intent: booking.paymentIntentId });
    expect(refunds.data.map((refund) => refund.amount)).toEqual([4900]);
  });

  it('refunds part of a captured deposit with a reason, and never more than was captured', async () => {
    const booking = await client.completed();
    await call(nc, payments.DepositCapture, { bookingId: booking.id });

    const partly = await call(nc, payments.DepositRefund, {
      bookingId: booking.id,
      amountCents: 1000,
      reason: 'late arrival',
      actor: 'ops@example.com',
    });
    expect(partly).toMatchObject({ status: 'partially_refunded', refundedCents: 1000 });
    const tooMuch = await call(nc, payments.DepositRefund, {
      bookingId: booking.id,
      amountCents: 5000,
      reason: 'oops',
      actor: 'ops@example.com',
    }).catch((error: unknown) => error);
    expect(tooMuch).toBeInstanceOf(AppError);
    expect(tooMuch).toMatchObject({
      status: 400,
      code: 'REFUND_TOO_LARGE',
      details: { remainingCents: 3900 },
    });
    expect(
      await call(nc, payments.DepositRefund, {
        bookingId: booking.id,
        reason: 'goodwill',
        actor: 'ops@example.com',
      }),
    ).toMatchObject({
      status: 'refunded',
      refundedCents: 4900,
    });
    await expect(
      call(nc, payments.DepositRefund, { bookingId: booking.id, reason: 'again', actor: 'ops@example.com' }),
    ).rejects.toMatchObject({
      status: 409,
      code: 'DEPOSIT_FULLY_REFUNDED',
    });
    const refunded = await waitFor(async () => {
      const found = await eventsFor(payments.DepositRefunded.subject, booking.id);
      return found.length === 2 && found;
    });
    expect(refunded.map((event) => field(event.data, 'refundedCents'))).toEqual([1000, 3900]);
  });

  it('shows the job on the live status page, never moving backwards on a late event', async () => {
    const booking = await client.completed();
    const jobId = randomUUID();
    const assignedAt = new Date();
    await publishJobEvent(js, 'ASSIGNED', {
      jobId,
      bookingId: booking.id,
      at: assignedAt.toISOString(),
      locksmith: { name: 'Sam Locksmith', etaMinutes: 20 },
    });
    const assigned = await waitFor(async () => {
      const view = await client.get(`/api/track/${booking.trackingToken}`);
      return field(field(view.body, 'job'), 'state') === 'ASSIGNED' && view.body;
    });
    expect(field(assigned, 'job')).toEqual({
      id: jobId,
      state: 'ASSIGNED',
      locksmith: { name: 'Sam Locksmith', etaMinutes: 20 },
    });

    // An OFFERED event from before the assignment arrives late: ignored.
    await publishJobEvent(js, 'OFFERED', {
      jobId,
      bookingId: booking.id,
      at: new Date(assignedAt.getTime() - 5_000).toISOString(),
    });
    // The status page is open when the locksmith sets off.
    const stream = await fetch(`${stack.gatewayUrl}/api/track/${booking.trackingToken}/events`);
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    const seenEnRoute = (async () => {
      while (!received.includes('"state":"EN_ROUTE"')) {
        const { value, done } = await reader.read();
        if (done) break;
        received += value;
      }
    })();
    await waitFor(() => received.includes('event: status'));
    await publishJobEvent(js, 'EN_ROUTE', {
      jobId,
      bookingId: booking.id,
      locksmith: { name: 'Sam Locksmith', etaMinutes: 12 },
    });
    await seenEnRoute;
    await reader.cancel();
    expect(received).toContain('"etaMinutes":12');
    expect(received).not.toContain('"state":"OFFERED"');
    const view = await client.get(`/api/track/${booking.trackingToken}`);
    expect(field(view.body, 'job')).toMatchObject({ state: 'EN_ROUTE', locksmith: { etaMinutes: 12 } });
  });
});
