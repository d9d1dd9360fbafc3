import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { intake } from '@trades/contracts';
import { createStripeClient } from '../services/payments/src/adapters/stripe-client.ts';
import { call, type NatsConnection } from '@trades/runtime';
import { waitFor } from '@trades/testkit';
import { buildServer, loadGatewayConfig } from '@trades/gateway';
import { startStack, type Stack } from '@trades/testkit/stack';
import type { AddressInfo } from 'node:net';
import {
  BookingClient,
  connectTestNats,
  field,
  registerSanFranciscoLocksmith,
  streamEvents,
  text,
  UNSERVED_ADDRESS,
} from '../services/intake/test/booking-client.ts';

/** Reads Server-Sent Events until `enough` says stop; returns the `status` events' data. */
async function readStatusEvents(url: string, enough: (events: unknown[]) => boolean): Promise<unknown[]> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const events: unknown[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    while (!enough(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = frame.split('\n');
        if (lines.includes('event: status')) {
          const data = lines.find((line) => line.startsWith('data: '));
          if (data) events.push(JSON.parse(data.slice('data: '.length)));
        }
        end = buffer.indexOf('\n\n');
      }
    }
  } finally {
    controller.abort();
  }
  return events;
}

jest.setTimeout(60_000);

describe('customer booking through the gateway (real PostgreSQL, NATS, services and the Stripe emulator)', () => {
  let stack: Stack;
  let client: BookingClient;
  let nc: NatsConnection;

  beforeAll(async () => {
    stack = await startStack();
    client = new BookingClient(stack.gatewayUrl);
    ({ nc } = await connectTestNats());
    await registerSanFranciscoLocksmith(nc);
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  }, 60_000);

  it('goes from start to "a locksmith is being found" and emits booking.ready exactly once', async () => {
    const id = await client.start({
      referrer: 'https://www.google.com/',
      utm: { source: 'google', medium: 'cpc' },
    });
    expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);

    const location = await client.post(`/api/request/${id}/location`, {
      address: '500 Howard St, San Francisco, CA 94105',
    });
    expect(location).toEqual({
      status: 200,
      body: {
        served: true,
        address: {
          formatted: '500 Howard St, San Francisco, CA 94105',
          lat: expect.any(Number),
          lng: expect.any(Number),
          zip: '94105',
        },
      },
    });
    expect(
      await client.post(`/api/request/${id}/service`, {
        serviceCode: 'home_lockout',
        name: 'Ada',
        phone: '415 555 0123',
      }),
    ).toEqual({
      status: 200,
      body: { depositCents: 4900 },
    });
    const intent = await client.post(`/api/request/${id}/payment-intent`);
    expect(intent).toMatchObject({
      status: 200,
      body: {
        paymentIntentId: expect.stringMatching(/^pi_/),
        clientSecret: expect.stringMatching(/^pi_.+_secret_/),
        amountCents: 4900,
        mode: 'emulator',
      },
    });
    // Asking again returns the same PaymentIntent rather than a second hold.
    const again = await client.post(`/api/request/${id}/payment-intent`);
    expect(text(again.body, 'paymentIntentId')).toBe(text(intent.body, 'paymentIntentId'));

    expect(await client.post(`/api/request/${id}/test-confirm`, { paymentMethod: 'pm_card_visa' })).toEqual({
      status: 200,
      body: { status: 'requires_capture' },
    });
    const complete = await client.post(`/api/request/${id}/complete`);
    expect(complete).toEqual({
      status: 200,
      body: { state: 'completed', trackingToken: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) },
    });
    const trackingToken = text(complete.body, 'trackingToken');

    // Idempotent: the same answer, and still one booking.ready.
    expect(await client.post(`/api/request/${id}/complete`)).toEqual(complete);

    const view = await client.get(`/api/track/${trackingToken}`);
    expect(view).toMatchObject({
      status: 200,
      body: { id, step: 'complete', state: 'completed', trackingToken, serviceCode: 'home_lockout' },
    });
    expect(field(view.body, 'address')).toMatchObject({ zip: '94105' });
    expect(await client.get(`/api/request/${id}`)).toMatchObject({
      status: 200,
      body: { state: 'completed', trackingToken },
    });

    const ready = await waitFor(async () => {
      const events = (await streamEvents(nc, 'EVT_INTAKE', intake.BookingReady.subject)).filter(
        (event) => field(event.data, 'bookingId') === id,
      );
      return events.length > 0 && events;
    });
    // Give a duplicate every chance to show up (the relay, the deposit.authorized consumer, a retried
    // complete) before counting: wait until intake's outbox is empty.
    await client.post(`/api/request/${id}/complete`);
    const settled = await waitFor(async () => {
      const inbox = await stack.services
        .get('intake')![0]!
        .ctx.orm.em.fork()
        .execute<{ n: number }[]>(`select count(*)::int as n from intake.outbox where published_at is null`);
      return inbox[0]?.n === 0 && (await streamEvents(nc, 'EVT_INTAKE', intake.BookingReady.subject));
    });
    const mine = settled.filter((event) => field(event.data, 'bookingId') === id);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.data).toMatchObject({
      bookingId: id,
      trackingToken,
      serviceCode: 'home_lockout',
      serviceName: 'Home lockout',
      customer: { name: 'Ada', phone: '+14155550123' },
      address: { zip: '94105' },
      depositCents: 4900,
      paymentIntentId: text(intent.body, 'paymentIntentId'),
    });
    expect(ready).toHaveLength(1);

    // Every step is in the funnel, with the attribution the admin list shows.
    const sessions = await call(nc, intake.SessionList, { limit: 200 });
    const summary = sessions.items.find((item) => item.id === id);
    expect(summary).toMatchObject({
      step: 'complete',
      furthestStep: 'complete',
      completed: true,
      serviceCode: 'home_lockout',
      served: true,
      referrer: 'https://www.google.com/',
      utm: { source: 'google', medium: 'cpc' },
      userAgentClass: 'mobile',
    });
  });

  it('streams the booking on the live status page as Server-Sent Events', async () => {
    const booking = await client.completed();
    const events = await readStatusEvents(
      `${stack.gatewayUrl}/api/track/${booking.trackingToken}/events`,
      (seen) => seen.length >= 1,
    );
    expect(events[0]).toMatchObject({
      id: booking.id,
      state: 'completed',
      trackingToken: booking.trackingToken,
    });
  });

  it('ends open status streams when the gateway shuts down, so the shutdown does not hang', async () => {
    const booking = await client.completed();
    const gateway = buildServer(
      loadGatewayConfig({ ...stack.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error' }),
    );
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    const { port } = gateway.server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/api/track/${booking.trackingToken}/events`);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    while (!received.includes('event: status')) received += (await reader.read()).value ?? '';

    await gateway.close();
    let done = false;
    while (!done) done = (await reader.read()).done;
    expect(done).toBe(true);
  });

  it('declines a declined card with Stripe’s message and does not complete the booking', async () => {
    const booking = await client.readyToPay();
    const declined = await client.post(`/api/request/${booking.id}/test-confirm`, {
      paymentMethod: 'pm_card_chargeDeclined',
    });
    expect(declined).toMatchObject({
      status: 402,
      body: { code: 'CARD_DECLINED', message: expect.stringMatching(/declined/i) },
    });

    const complete = await client.post(`/api/request/${booking.id}/complete`);
    expect(complete).toMatchObject({
      status: 409,
      body: {
        code: 'DEPOSIT_NOT_AUTHORIZED',
        message: expect.stringMatching(/card was not authorized.*declined/i),
      },
    });
    expect(await client.get(`/api/request/${booking.id}`)).toMatchObject({
      status: 200,
      body: { state: 'awaiting_payment', step: 'payment' },
    });

    // Another card then works.
    expect(
      await client.post(`/api/request/${booking.id}/test-confirm`, { paymentMethod: 'pm_card_visa' }),
    ).toMatchObject({ status: 200 });
    expect(await client.post(`/api/request/${booking.id}/complete`)).toMatchObject({
      status: 200,
      body: { state: 'completed' },
    });
  });

  it('completes a booking from the Stripe webhook when the customer closed the tab before "complete"', async () => {
    const booking = await client.readyToPay();
    // The browser confirms with Stripe directly (Stripe.js); the platform hears of it only by webhook.
    const stripe = createStripeClient({
      secretKey: stack.env['STRIPE_SECRET_KEY']!,
      apiBase: stack.stripe.url,
      maxNetworkRetries: 0,
    });
    await stripe.paymentIntents.confirm(booking.paymentIntentId, { payment_method: 'pm_card_visa' });

    const view = await waitFor(async () => {
      const reply = await client.get(`/api/request/${booking.id}`);
      return field(reply.body, 'state') === 'completed' && reply.body;
    });
    const trackingToken = text(view, 'trackingToken');
    // The customer comes back later: complete answers with the same token.
    expect(await client.post(`/api/request/${booking.id}/complete`)).toEqual({
      status: 200,
      body: { state: 'completed', trackingToken },
    });
    const ready = (await streamEvents(nc, 'EVT_INTAKE', intake.BookingReady.subject)).filter(
      (event) => field(event.data, 'bookingId') === booking.id,
    );
    expect(ready).toHaveLength(1);
  });

  it('answers steps taken out of order with 409 and the step it expects', async () => {
    const id = await client.start();
    expect(
      await client.post(`/api/request/${id}/service`, {
        serviceCode: 'home_lockout',
        name: 'Ada',
        phone: '4155550123',
      }),
    ).toMatchObject({
      status: 409,
      body: { code: 'STEP_OUT_OF_ORDER', message: expect.any(String), details: { expected: 'location' } },
    });
    expect(await client.post(`/api/request/${id}/payment-intent`)).toMatchObject({
      status: 409,
      body: { details: { expected: 'location' } },
    });
    expect(await client.post(`/api/request/${id}/complete`)).toMatchObject({
      status: 409,
      body: { details: { expected: 'location' } },
    });

    await client.post(`/api/request/${id}/location`, { address: '500 Howard St, San Francisco, CA 94105' });
    expect(await client.post(`/api/request/${id}/payment-intent`)).toMatchObject({
      status: 409,
      body: { details: { expected: 'service' } },
    });
    expect(
      await client.post(`/api/request/${id}/test-confirm`, { paymentMethod: 'pm_card_visa' }),
    ).toMatchObject({
      status: 409,
      body: { details: { expected: 'service' } },
    });
    await client.post(`/api/request/${id}/service`, {
      serviceCode: 'home_lockout',
      name: 'Ada',
      phone: '4155550123',
    });
    expect(await client.post(`/api/request/${id}/complete`)).toMatchObject({
      status: 409,
      body: { details: { expected: 'payment' } },
    });

    const booking = await client.completed();
    expect(
      await client.post(`/api/request/${booking.id}/location`, {
        address: '500 Howard St, San Francisco, CA 94105',
      }),
    ).toMatchObject({
      status: 409,
      body: { details: { expected: 'complete' } },
    });
  });

  it('tells the customer an area is not served yet, and an address it cannot place is a 422', async () => {
    const id = await client.start();
    const outside = await client.post(`/api/request/${id}/location`, { address: UNSERVED_ADDRESS });
    expect(outside).toMatchObject({
      status: 200,
      body: { served: false, address: { zip: '02108' }, message: expect.stringMatching(/Boston.*yet/) },
    });
    expect(
      await client.post(`/api/request/${id}/service`, {
        serviceCode: 'home_lockout',
        name: 'Ada',
        phone: '4155550123',
      }),
    ).toMatchObject({
      status: 409,
      body: { details: { expected: 'location' } },
    });
    expect(
      await client.post(`/api/request/${id}/location`, { address: 'somewhere over the rainbow' }),
    ).toMatchObject({
      status: 422,
      body: { code: 'ADDRESS_NOT_FOUND', message: expect.stringMatching(/could not find/) },
    });
  });

  it('rejects an unknown service and a number that is not a mobile number', async () => {
    const id = await client.start();
    await client.post(`/api/request/${id}/location`, { address: '500 Howard St, San Francisco, CA 94105' });
    expect(
      await client.post(`/api/request/${id}/service`, {
        serviceCode: 'piano_tuning',
        name: 'Ada',
        phone: '4155550123',
      }),
    ).toMatchObject({
      status: 400,
      body: { code: 'UNKNOWN_SERVICE' },
    });
    expect(
      await client.post(`/api/request/${id}/service`, {
        serviceCode: 'home_lockout',
        name: 'Ada',
        phone: '12345',
      }),
    ).toEqual({
      status: 400,
      body: { code: 'INVALID_PHONE', message: 'Enter a mobile number like (415) 555-0123' },
    });
    expect(await client.get(`/api/request/${id}`)).toMatchObject({ status: 200, body: { step: 'service' } });
  });

  it('answers 404 SESSION_NOT_FOUND for an unknown session and BOOKING_NOT_FOUND for an unknown tracking token', async () => {
    expect(
      await client.post('/api/request/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/location', { address: '94105' }),
    ).toMatchObject({
      status: 404,
      body: { code: 'SESSION_NOT_FOUND' },
    });
    expect(await client.get('/api/request/not-a-session')).toMatchObject({
      status: 404,
      body: { code: 'SESSION_NOT_FOUND' },
    });
    expect(await client.get('/api/track/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toMatchObject({
      status: 404,
      body: { code: 'BOOKING_NOT_FOUND' },
    });
    expect(await client.get('/api/track/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/events')).toMatchObject({
      status: 404,
    });
  });

  it('expires a session abandoned for a day', async () => {
    const id = await client.start();
    const intakeService = stack.services.get('intake')![0]!;
    await intakeService.ctx.orm.em
      .fork()
      .execute(`update intake.booking_session set updated_at = now() - interval '25 hours' where id = ?`, [
        id,
      ]);
    const { expireAbandonedSessions } = await import('../services/intake/src/handlers/sweep.ts');
    expect(await expireAbandonedSessions(intakeService.ctx, 24)).toBeGreaterThanOrEqual(1);
    expect(await client.get(`/api/request/${id}`)).toMatchObject({
      status: 404,
      body: { code: 'SESSION_NOT_FOUND' },
    });
  });

  it('counts the funnel by step', async () => {
    const funnel = await call(nc, intake.FunnelSummary, {});
    const counts = Object.fromEntries(funnel.steps.map((step) => [step.step, step.sessions]));
    expect(funnel.steps.map((step) => step.step)).toEqual([
      'start',
      'location',
      'service',
      'payment',
      'complete',
    ]);
    expect(counts['start']).toBeGreaterThanOrEqual(counts['location'] ?? 0);
    expect(counts['complete']).toBeGreaterThanOrEqual(3);
  });
});
