import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { dispatch, payments, registry } from '@trades/contracts';
import { call, type NatsConnection } from '@trades/runtime';
import { waitFor } from '@trades/testkit';
import { startStack, type Stack } from '@trades/testkit/stack';
import { BookingClient, connectTestNats } from '../services/intake/test/booking-client.ts';

jest.setTimeout(90_000);

interface TwilioMessage {
  to: string;
  from: string;
  body: string;
  direction: string;
}

/**
 * The whole loop a customer and a locksmith live through, with every part real: a paid booking through
 * the gateway becomes a job, the first wave's offers go out as SMS through the Twilio emulator, a signed
 * YES wins the job, the deposit is captured, both sides are told, and OMW / DONE finish it.
 */
describe('dispatch loop end to end', () => {
  let stack: Stack;
  let nc: NatsConnection;

  beforeAll(async () => {
    stack = await startStack({ env: { DISPATCH_WAVE_SIZE: '2' } });
    ({ nc } = await connectTestNats());
  }, 90_000);
  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  }, 60_000);

  /** What Twilio's own Messages API says was sent to a number. */
  async function messagesTo(phone: string): Promise<TwilioMessage[]> {
    const sid = stack.env['TWILIO_ACCOUNT_SID'] ?? '';
    const auth = Buffer.from(`${sid}:${stack.env['TWILIO_AUTH_TOKEN'] ?? ''}`).toString('base64');
    const response = await fetch(
      `${stack.twilio.url}/2010-04-01/Accounts/${sid}/Messages.json?To=${encodeURIComponent(phone)}`,
      {
        headers: { authorization: `Basic ${auth}` },
      },
    );
    expect(response.status).toBe(200);
    const page: unknown = await response.json();
    if (typeof page !== 'object' || page === null || !('messages' in page) || !Array.isArray(page.messages))
      return [];
    return page.messages.filter(
      (m): m is TwilioMessage =>
        typeof m === 'object' &&
        m !== null &&
        typeof m.to === 'string' &&
        typeof m.body === 'string' &&
        typeof m.direction === 'string',
    );
  }

  /** A locksmith texting the platform: the emulator posts Twilio's signed inbound form to the gateway. */
  async function text(from: string, body: string): Promise<void> {
    const response = await fetch(`${stack.twilio.url}/__emulator/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from, body }),
    });
    expect(response.status).toBeLessThan(300);
  }

  it('takes a paid booking to a completed job by SMS', async () => {
    const suffix = String(Math.floor(Math.random() * 9000) + 1000);
    const locksmiths = [
      await call(nc, registry.ProviderCreate, {
        name: 'Avery Keys',
        phone: `+1415556${suffix}`,
        services: ['home_lockout'],
        address: '1 Market St, San Francisco, CA 94105',
        radiusKm: 25,
        actor: 'test',
      }),
      await call(nc, registry.ProviderCreate, {
        name: 'Blake Bolt',
        phone: `+1415557${suffix}`,
        services: ['home_lockout'],
        address: '50 Fremont St, San Francisco, CA 94105',
        radiusKm: 25,
        actor: 'test',
      }),
    ];
    const booking = await new BookingClient(stack.gatewayUrl).completed();

    const job = await waitFor(
      async () => {
        const found = (await call(nc, dispatch.JobByBooking, { bookingId: booking.id })).job;
        return found?.state === 'OFFERED' ? found : undefined;
      },
      { what: 'the job with its first wave out', timeoutMs: 20_000 },
    );

    // Each locksmith of the wave got the offer with the job code, as Twilio recorded it.
    for (const locksmith of locksmiths) {
      await waitFor(async () => (await messagesTo(locksmith.phone)).some((m) => m.body.includes(job.code)), {
        what: `the offer SMS to ${locksmith.name}`,
      });
    }

    const [winner, other] = locksmiths;
    if (!winner || !other) throw new Error('locksmiths missing');
    await text(winner.phone, `YES ${job.code} 15`);
    const assigned = await waitFor(
      async () => {
        const detail = await call(nc, dispatch.JobGet, { id: job.id });
        return detail.state === 'ASSIGNED' ? detail : undefined;
      },
      { what: 'the assignment' },
    );
    expect(assigned).toMatchObject({ locksmithId: winner.id, locksmithName: 'Avery Keys', etaMinutes: 15 });

    // The deposit is captured once, the customer hears who is coming, the locksmith gets the job.
    await waitFor(
      async () => (await call(nc, payments.DepositGet, { bookingId: booking.id })).status === 'captured',
      {
        what: 'the deposit capture',
      },
    );
    await waitFor(async () => (await messagesTo('+14155550123')).some((m) => m.body.includes('Avery')), {
      what: 'the customer told who is coming',
    });
    await waitFor(async () => (await messagesTo(winner.phone)).length >= 2, {
      what: 'the job details to the locksmith',
    });

    // The other locksmith's late YES is told the job is taken.
    await text(other.phone, `YES ${job.code}`);
    await waitFor(async () => (await messagesTo(other.phone)).some((m) => /took it|taken/i.test(m.body)), {
      what: 'the late YES told the job is taken',
    });

    await text(winner.phone, 'OMW');
    await waitFor(async () => (await call(nc, dispatch.JobGet, { id: job.id })).state === 'EN_ROUTE', {
      what: 'en route',
    });
    await text(winner.phone, 'DONE');
    const done = await waitFor(
      async () => {
        const detail = await call(nc, dispatch.JobGet, { id: job.id });
        return detail.state === 'COMPLETED' ? detail : undefined;
      },
      { what: 'completed' },
    );
    expect(done.timeline.map((t) => t.state)).toEqual([
      'CREATED',
      'DISPATCHING',
      'OFFERED',
      'ASSIGNED',
      'EN_ROUTE',
      'COMPLETED',
    ]);
    const deposit = await call(nc, payments.DepositGet, { bookingId: booking.id });
    expect(deposit.capturedCents).toBe(deposit.amountCents);

    // The operator sees the whole story in one place and refunds part of the deposit.
    const login = await fetch(`${stack.gatewayUrl}/api/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: stack.env['ADMIN_EMAIL'], password: stack.env['ADMIN_PASSWORD'] }),
    });
    expect(login.status).toBe(204);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const detail = await fetch(`${stack.gatewayUrl}/api/admin/jobs/${job.id}`, { headers: { cookie } });
    expect(detail.status).toBe(200);
    expect(await detail.json()).toMatchObject({
      state: 'COMPLETED',
      warnings: [],
      messages: expect.arrayContaining([expect.objectContaining({ jobId: job.id })]),
      payment: { status: 'captured', capturedCents: deposit.amountCents, refundedCents: 0 },
    });

    const refund = await fetch(`${stack.gatewayUrl}/api/admin/jobs/${job.id}/refund`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ amountCents: 1000, reason: 'arrived late' }),
    });
    expect(refund.status).toBe(200);
    expect(await refund.json()).toMatchObject({ payment: { refundedCents: 1000 } });
  });
});
