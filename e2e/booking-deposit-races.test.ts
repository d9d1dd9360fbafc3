import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { CONSUMERS, deadLetterSubject, payments } from '@trades/contracts';
import { paymentsService } from '@trades/payments';
import { call, startService, type NatsConnection, type RunningService } from '@trades/runtime';
import { consumerSettled, waitFor } from '@trades/testkit';
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

jest.setTimeout(90_000);

/**
 * Two payments replicas against one database and one NATS, and dispatch's job events published by the
 * test in the order each race needs. Stripe's webhooks are held back during a race (they can come
 * minutes late), so the replicas know only what their own calls and reads told them; the outcome is
 * read back from the Stripe emulator through the Stripe API.
 */
describe('a job that ends after its deposit was captured gets the deposit back, exactly once', () => {
  let stack: Stack;
  let secondReplica: RunningService<unknown>;
  let client: BookingClient;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let stripe: Stripe;
  const locksmith = { name: 'Sam Locksmith', etaMinutes: 20 };

  beforeAll(async () => {
    stack = await startStack({ without: ['dispatch'] });
    secondReplica = await startService(paymentsService, stack.env);
    client = new BookingClient(stack.gatewayUrl);
    ({ nc, js } = await connectTestNats());
    await registerSanFranciscoLocksmith(nc);
    stripe = createStripeClient({
      secretKey: stack.env['STRIPE_SECRET_KEY']!,
      apiBase: stack.stripe.url,
      maxNetworkRetries: 0,
    });
  }, 60_000);
  afterEach(() => {
    stack.stripe.clearFaults();
    stack.stripe.resumeWebhooks();
  });
  afterAll(async () => {
    await nc?.close();
    await secondReplica?.stop('test finished');
    await stack?.stop();
  }, 60_000);

  const deposit = (bookingId: string) => call(nc, payments.DepositGet, { bookingId });
  const depositIs = (bookingId: string, status: payments.DepositStatus) =>
    waitFor(
      async () => {
        const current = await deposit(bookingId);
        return current.status === status && current;
      },
      { what: `deposit ${status}`, timeoutMs: 20_000 },
    );
  const stripeStatusIs = (paymentIntentId: string, status: Stripe.PaymentIntent.Status) =>
    waitFor(async () => (await stripe.paymentIntents.retrieve(paymentIntentId)).status === status, {
      what: `PaymentIntent ${status} at Stripe`,
    });
  const refundsAtStripe = async (paymentIntentId: string) =>
    (await stripe.refunds.list({ payment_intent: paymentIntentId })).data.map((refund) => refund.amount);
  const eventsFor = async (subject: string, bookingId: string) =>
    (await streamEvents(nc, 'EVT_PAYMENTS', subject)).filter(
      (event) => field(event.data, 'bookingId') === bookingId,
    );
  const deadLetters = async (bookingId: string) =>
    (await streamEvents(nc, 'DEAD_LETTER', deadLetterSubject(CONSUMERS.paymentsJobs.durable))).filter(
      (event) => field(event.data, 'bookingId') === bookingId,
    );
  /** Every job event handled (or given up on) by the payments replicas, and every webhook delivered. */
  const everythingSettled = async () => {
    await waitFor(() => consumerSettled(nc, CONSUMERS.paymentsJobs), {
      what: 'the payments job consumer to settle',
      timeoutMs: 60_000,
    });
    await stack.stripe.settled(20_000);
  };
  /**
   * From now on the replicas learn nothing from Stripe's webhooks (which can come minutes late): only
   * from their own calls and reads. Once none is in flight, since each re-reads the PaymentIntent.
   */
  const holdWebhooksBack = async () => {
    await stack.stripe.settled(20_000);
    stack.stripe.pauseWebhooks();
  };
  /** Stripe answers again, the late webhooks arrive, and every job event is handled. */
  const afterTheRace = async () => {
    stack.stripe.clearFaults();
    stack.stripe.resumeWebhooks();
    await everythingSettled();
  };
  /**
   * The job is assigned; Stripe captures on the first call, but that answer and every replay of it are
   * lost until the faults are cleared, so no replica can tell its row.
   */
  const assignLosingTheCaptureAnswer = async (
    booking: { paymentIntentId: string },
    job: { jobId: string; bookingId: string },
  ) => {
    stack.stripe.injectFault({
      pathPrefix: `/v1/payment_intents/${booking.paymentIntentId}/capture`,
      method: 'POST',
      when: 'after',
      status: 500,
      times: 1_000,
    });
    await publishJobEvent(js, 'ASSIGNED', { ...job, locksmith });
    await stripeStatusIs(booking.paymentIntentId, 'succeeded');
  };
  /** Events handled but not acknowledged yet, and events not handed out yet, by payments' job consumer. */
  const jobConsumerHolds = async (handling: number) =>
    waitFor(
      async () => {
        const info = await (
          await jetstreamManager(nc)
        ).consumers.info(CONSUMERS.paymentsJobs.stream, CONSUMERS.paymentsJobs.durable);
        return info.num_pending === 0 && info.num_ack_pending === handling;
      },
      { what: `payments' job consumer down to ${handling} event(s) in hand` },
    );

  it('capture and cancel racing on two replicas: Stripe captured first, the cancel refunds it once', async () => {
    const booking = await client.completed();
    const job = { jobId: randomUUID(), bookingId: booking.id };
    await holdWebhooksBack();
    stack.stripe.injectFault({
      pathPrefix: `/v1/payment_intents/${booking.paymentIntentId}/capture`,
      method: 'POST',
      when: 'after',
      response: 'hold',
    });

    await publishJobEvent(js, 'ASSIGNED', { ...job, locksmith });
    // Stripe has captured; the replica that asked has not heard back, so its row still says authorized.
    await stripeStatusIs(booking.paymentIntentId, 'succeeded');
    expect(await deposit(booking.id)).toMatchObject({ status: 'authorized' });
    await publishJobEvent(js, 'CANCELED', job);

    // Handled while the capture still waits for its answer.
    expect(await depositIs(booking.id, 'refunded')).toMatchObject({
      capturedCents: 4900,
      refundedCents: 4900,
    });
    expect(stack.stripe.heldCount()).toBe(1);
    await afterTheRace();

    expect(await refundsAtStripe(booking.paymentIntentId)).toEqual([4900]);
    expect(await deposit(booking.id)).toMatchObject({
      status: 'refunded',
      capturedCents: 4900,
      refundedCents: 4900,
    });
    expect(await eventsFor(payments.DepositRefunded.subject, booking.id)).toHaveLength(1);
    expect(await deadLetters(booking.id)).toEqual([]);
  });

  it('cancel and capture racing on two replicas: Stripe released the hold first, the refused capture is acknowledged, nothing charged', async () => {
    const booking = await client.completed();
    const job = { jobId: randomUUID(), bookingId: booking.id };
    await holdWebhooksBack();
    stack.stripe.injectFault({
      pathPrefix: `/v1/payment_intents/${booking.paymentIntentId}/cancel`,
      method: 'POST',
      when: 'after',
      response: 'hold',
    });

    await publishJobEvent(js, 'CANCELED', job);
    await stripeStatusIs(booking.paymentIntentId, 'canceled');
    await publishJobEvent(js, 'ASSIGNED', { ...job, locksmith });

    // The assignment, handled while the cancel waits for its answer, finds the hold gone: settled, not
    // dead-lettered (nothing would ever capture it).
    expect(await depositIs(booking.id, 'released')).toMatchObject({ capturedCents: 0 });
    await jobConsumerHolds(1);
    expect(stack.stripe.heldCount()).toBe(1);
    await afterTheRace();

    expect(await deadLetters(booking.id)).toEqual([]);
    expect(await stripe.paymentIntents.retrieve(booking.paymentIntentId)).toMatchObject({
      status: 'canceled',
      amount_received: 0,
    });
    expect(await refundsAtStripe(booking.paymentIntentId)).toEqual([]);
    expect(await deposit(booking.id)).toMatchObject({ status: 'released', capturedCents: 0 });
    expect(await eventsFor(payments.DepositCaptured.subject, booking.id)).toEqual([]);
    const released = await eventsFor(payments.DepositReleased.subject, booking.id);
    expect(released).toHaveLength(1);
    expect(released[0]?.data).toMatchObject({ reason: expect.stringMatching(/canceled/) });

    // The assignment told again, after everything: still nothing to capture, nothing charged.
    await publishJobEvent(js, 'ASSIGNED', { ...job, locksmith });
    await everythingSettled();
    expect(await deadLetters(booking.id)).toEqual([]);
    expect(await stripe.paymentIntents.retrieve(booking.paymentIntentId)).toMatchObject({
      amount_received: 0,
    });
  });

  it('a capture whose answer was lost, then the cancel: refunded once, and the retried assignment changes nothing', async () => {
    const booking = await client.completed();
    const job = { jobId: randomUUID(), bookingId: booking.id };
    await holdWebhooksBack();
    await assignLosingTheCaptureAnswer(booking, job);
    await publishJobEvent(js, 'CANCELED', job);

    expect(await depositIs(booking.id, 'refunded')).toMatchObject({ refundedCents: 4900 });
    await afterTheRace();

    expect(await refundsAtStripe(booking.paymentIntentId)).toEqual([4900]);
    expect(await deposit(booking.id)).toMatchObject({ status: 'refunded', refundedCents: 4900 });
    expect(await eventsFor(payments.DepositCaptured.subject, booking.id)).toHaveLength(1);
    expect(await eventsFor(payments.DepositRefunded.subject, booking.id)).toHaveLength(1);
    expect(await deadLetters(booking.id)).toEqual([]);
  });

  it('the cancel redelivered after its refund’s answer was lost refunds nothing more, nor does the same cancel told again', async () => {
    const booking = await client.completed();
    const job = { jobId: randomUUID(), bookingId: booking.id };
    await holdWebhooksBack();
    await assignLosingTheCaptureAnswer(booking, job);
    // The first delivery's refund goes through at Stripe, but none of the SDK's attempts hears back.
    stack.stripe.injectFault({
      pathPrefix: '/v1/refunds',
      method: 'POST',
      when: 'after',
      status: 500,
      times: 3,
    });
    await publishJobEvent(js, 'CANCELED', job);

    expect(await depositIs(booking.id, 'refunded')).toMatchObject({ refundedCents: 4900 });
    await afterTheRace();
    // Dispatch tells the same end again (a new event id: the inbox cannot recognise it).
    await publishJobEvent(js, 'CANCELED', job);
    await publishJobEvent(js, 'ASSIGNED', { ...job, locksmith });
    await everythingSettled();

    expect(await refundsAtStripe(booking.paymentIntentId)).toEqual([4900]);
    expect(await deposit(booking.id)).toMatchObject({ status: 'refunded', refundedCents: 4900 });
    expect(await eventsFor(payments.DepositRefunded.subject, booking.id)).toHaveLength(1);
    expect(await deadLetters(booking.id)).toEqual([]);
  });

  it('an operator’s refund in flight when the job is canceled: the cancel finds nothing left and is done, not dead-lettered', async () => {
    const booking = await client.completed();
    const job = { jobId: randomUUID(), bookingId: booking.id };
    await publishJobEvent(js, 'ASSIGNED', { ...job, locksmith });
    await depositIs(booking.id, 'captured');
    // Held back, or the refund's webhook would be the one waiting for the row below.
    await holdWebhooksBack();
    stack.stripe.injectFault({ pathPrefix: '/v1/refunds', method: 'POST', when: 'after', response: 'hold' });

    const operatorRefund = call(
      nc,
      payments.DepositRefund,
      { bookingId: booking.id, reason: 'customer called to cancel', actor: 'ops@example.com' },
      { timeoutMs: 60_000 },
    );
    // Stripe has refunded; the replica that asked holds the deposit's row while it waits for the answer.
    await waitFor(() => stack.stripe.heldCount() === 1, { what: "the operator's refund at Stripe" });
    await publishJobEvent(js, 'CANCELED', job);
    const orm = secondReplica.ctx.orm;
    await waitFor(
      async () => {
        const [waiting] = await orm.em.fork().execute<{ count: string }[]>(
          `select count(*) from pg_stat_activity
              where datname = current_database() and application_name = 'payments' and wait_event_type = 'Lock'`,
        );
        return Number(waiting?.count) > 0;
      },
      { what: "the cancel's refund waiting for the deposit's row" },
    );
    stack.stripe.releaseHeld();
    stack.stripe.resumeWebhooks();

    expect(await operatorRefund).toMatchObject({ status: 'refunded', refundedCents: 4900 });
    await everythingSettled();
    expect(await deadLetters(booking.id)).toEqual([]);
    expect(await refundsAtStripe(booking.paymentIntentId)).toEqual([4900]);
    expect(await deposit(booking.id)).toMatchObject({ status: 'refunded', refundedCents: 4900 });
    const refunded = await eventsFor(payments.DepositRefunded.subject, booking.id);
    expect(refunded.map((event) => field(event.data, 'reason'))).toEqual(['customer called to cancel']);
  });
});
