import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { messaging, registry } from '@trades/contracts';
import { DEVELOPMENT_DEFAULTS } from '@trades/runtime';
import { waitFor } from '@trades/testkit';
import { startStack, type Stack } from '@trades/testkit/stack';
import { createTwilioClient, type TwilioClient } from '../services/messaging/src/adapters/twilio-client.ts';
import { SESSION_COOKIE } from '../gateway/src/plugins/admin-auth.ts';
import { BookingClient } from '../services/intake/test/booking-client.ts';

/**
 * A locksmith's whole day by SMS, through the gateway and the Twilio emulator: registered by an operator,
 * offered a customer's job by text, accepting with YES <code> <eta>, on the way, done — and every text
 * in the operators' SMS log.
 */
jest.setTimeout(120_000);

const LOCKSMITH_PHONE = '+14155550177';
const CUSTOMER_PHONE = '+14155550123';

let stack: Stack;
let twilioApi: TwilioClient;
let cookie = '';

beforeAll(async () => {
  stack = await startStack({ env: { DISPATCH_WAVE_SIZE: '20' } });
  twilioApi = createTwilioClient({
    accountSid: stack.env['TWILIO_ACCOUNT_SID'] ?? '',
    authToken: stack.env['TWILIO_AUTH_TOKEN'] ?? '',
    apiBase: stack.twilio.url,
  });
  const login = await fetch(`${stack.gatewayUrl}/api/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'],
      password: DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'],
    }),
  });
  expect(login.status).toBe(204);
  const session = login.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  cookie = session?.split(';')[0] ?? '';
});

afterAll(async () => {
  await stack?.stop();
});

async function admin(
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${stack.gatewayUrl}/api/admin${path}`, {
    method,
    headers: body === undefined ? { cookie } : { cookie, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

function isProvider(value: unknown): value is registry.Provider {
  return registry.ProviderGet.validateReply.check(value);
}

function isMessagePage(value: unknown): value is { items: messaging.Message[]; nextCursor: string | null } {
  return messaging.MessageList.validateReply.check(value);
}

async function textFrom(from: string, body: string): Promise<void> {
  const response = await fetch(`${stack.twilio.url}/__emulator/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from, body }),
  });
  expect(response.status).toBe(200);
}

/** The texts Twilio (the emulator) has sent to a phone, oldest first. */
async function textsTo(phone: string): Promise<string[]> {
  const messages = await twilioApi.messages.list({ to: phone });
  return messages
    .filter((m) => m.direction !== 'inbound')
    .reverse()
    .map((m) => m.body);
}

const waitForText = (phone: string, match: (body: string) => boolean, what: string) =>
  waitFor(async () => (await textsTo(phone)).find(match), { what, timeoutMs: 30_000 });

describe('locksmiths by SMS, end to end', () => {
  let locksmith: registry.Provider;

  it('lets an operator register a locksmith and refuses bad input with a 4xx that says why', async () => {
    const created = await admin('POST', '/locksmiths', {
      name: 'Dana Rivera',
      phone: '(415) 555-0177',
      email: 'dana@rivera-locks.example',
      services: ['home_lockout', 'car_lockout'],
      address: '88 Howard St, San Francisco, CA 94105',
      radiusKm: 10,
    });
    expect(created.status).toBe(201);
    if (!isProvider(created.body)) throw new Error(`not a locksmith: ${JSON.stringify(created.body)}`);
    locksmith = created.body;
    expect(locksmith).toMatchObject({
      phone: LOCKSMITH_PHONE,
      status: 'active',
      available: true,
      radiusKm: 10,
    });
    expect(locksmith.lat).toBeCloseTo(37.79, 1);

    const duplicate = await admin('POST', '/locksmiths', {
      name: 'Copy',
      phone: '+1 415-555-0177',
      services: ['home_lockout'],
      address: 'San Francisco, CA 94105',
    });
    expect(duplicate).toMatchObject({ status: 409, body: { code: 'PHONE_TAKEN' } });
    const nowhere = await admin('POST', '/locksmiths', {
      name: 'Nowhere',
      phone: '+14155550178',
      services: ['home_lockout'],
      address: 'Somewhere over the rainbow',
    });
    expect(nowhere).toMatchObject({ status: 422, body: { code: 'ADDRESS_NOT_FOUND' } });
    const incomplete = await admin('POST', '/locksmiths', {
      name: 'No services',
      phone: '+14155550178',
      address: 'x',
    });
    expect(incomplete).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });

    const found = await admin('GET', `/locksmiths?q=${encodeURIComponent('rivera-locks')}`);
    expect(found.status).toBe(200);
    expect(JSON.stringify(found.body)).toContain(locksmith.id);
  });

  it('offers a booked job by SMS; YES <code> <eta> wins it; the locksmith and the customer are told', async () => {
    const booking = await new BookingClient(stack.gatewayUrl).completed();
    expect(booking.trackingToken).toBeTruthy();

    const offer = await waitForText(LOCKSMITH_PHONE, (body) => body.includes('Reply YES'), 'the offer SMS');
    const jobCode = /^Job ([0-9]{4}):/.exec(offer)?.[1];
    expect(jobCode).toMatch(/^[0-9]{4}$/);
    expect(offer).toContain('Home lockout');
    expect(offer).toContain('Expires in 2 min');

    await textFrom(LOCKSMITH_PHONE, ` yes ${jobCode} 15! `);
    const details = await waitForText(
      LOCKSMITH_PHONE,
      (body) => body.startsWith(`You got job ${jobCode}`),
      'job details',
    );
    expect(details).toContain('500 Howard St');
    expect(details).toContain(`Ada ${CUSTOMER_PHONE}`);
    expect(details).toContain('Blue door');
    const customer = await waitForText(
      CUSTOMER_PHONE,
      (body) => body.startsWith('Your locksmith'),
      'customer told',
    );
    expect(customer).toBe('Your locksmith Dana Rivera is on the way, ETA 15 min.');

    const busy = await waitFor(
      async () => {
        const reply = await admin('GET', `/locksmiths/${locksmith.id}`);
        // Busy comes from job.assigned, the stats from offer.closed: two events, handled in either order.
        return isProvider(reply.body) && reply.body.busyJobId !== null && reply.body.stats.accepted === 1
          ? reply.body
          : undefined;
      },
      { what: 'the locksmith busy on the job, with the accepted offer in their stats' },
    );
    expect(busy.stats).toMatchObject({ offers: 1, accepted: 1, acceptanceRate: 1 });

    await textFrom(LOCKSMITH_PHONE, 'OMW');
    await waitForText(
      CUSTOMER_PHONE,
      (body) => body === 'Dana Rivera is driving to you now.',
      'en route update',
    );
    await waitForText(
      LOCKSMITH_PHONE,
      (body) => body === `Thanks. Ada knows you're on the way to job ${jobCode}. Reply DONE when finished.`,
      'OMW confirmed',
    );
    await textFrom(LOCKSMITH_PHONE, 'done');
    await waitForText(CUSTOMER_PHONE, (body) => body.includes('job is complete'), 'completion update');
    await waitForText(
      LOCKSMITH_PHONE,
      (body) => body === `Job ${jobCode} is marked complete. Thanks for your work!`,
      'DONE confirmed',
    );
    await waitFor(
      async () => {
        const reply = await admin('GET', `/locksmiths/${locksmith.id}`);
        return isProvider(reply.body) && reply.body.busyJobId === null;
      },
      { what: 'the locksmith free again' },
    );
  });

  it("keeps every text in and out in the operators' SMS log, filterable by phone, direction and job", async () => {
    const all = await admin('GET', `/messages?phone=${encodeURIComponent(LOCKSMITH_PHONE)}&limit=100`);
    expect(all.status).toBe(200);
    if (!isMessagePage(all.body)) throw new Error(`not a message page: ${JSON.stringify(all.body)}`);
    const inbound = all.body.items.filter((m) => m.direction === 'inbound').map((m) => m.body.trim());
    expect(inbound).toEqual(expect.arrayContaining(['OMW', 'done']));
    const offer = all.body.items.find((m) => m.purpose?.startsWith('offer:'));
    expect(offer).toMatchObject({ direction: 'outbound', to: LOCKSMITH_PHONE, providerId: locksmith.id });
    expect(offer?.sid).toMatch(/^SM/);
    await waitFor(
      async () => {
        const page = await admin(
          'GET',
          `/messages?phone=${encodeURIComponent(LOCKSMITH_PHONE)}&direction=outbound&status=delivered`,
        );
        return isMessagePage(page.body) && page.body.items.some((m) => m.purpose === offer?.purpose);
      },
      { what: 'the offer SMS delivered' },
    );

    const byJob = await admin('GET', `/messages?jobId=${offer?.jobId ?? ''}`);
    if (!isMessagePage(byJob.body)) throw new Error('not a message page');
    expect(byJob.body.items.map((m) => m.to)).toEqual(
      expect.arrayContaining([LOCKSMITH_PHONE, CUSTOMER_PHONE]),
    );
    expect(await admin('GET', '/messages?status=bogus')).toMatchObject({ status: 400 });
  });

  it('pauses and deactivates a locksmith from the console', async () => {
    const paused = await admin('PATCH', `/locksmiths/${locksmith.id}`, { available: false });
    expect(paused).toMatchObject({ status: 200, body: { available: false } });
    const unknown = await admin('PATCH', '/locksmiths/00000000-0000-4000-8000-000000000000', {
      available: false,
    });
    expect(unknown).toMatchObject({ status: 404, body: { code: 'PROVIDER_NOT_FOUND' } });
    // Deactivated, so no later suite's job is offered to this locksmith.
    const deactivated = await admin('PATCH', `/locksmiths/${locksmith.id}`, { status: 'deactivated' });
    expect(deactivated).toMatchObject({ status: 200, body: { status: 'deactivated' } });
  });
});
