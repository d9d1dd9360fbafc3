import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CONSUMERS, payments, registry, type EventEnvelope } from '@trades/contracts';
import { call, DEVELOPMENT_DEFAULTS, type NatsConnection } from '@trades/runtime';
import { consumerSettled, waitFor } from '@trades/testkit';
import { startStack, type Stack } from '@trades/testkit/stack';
import type Stripe from 'stripe';
import { SESSION_COOKIE } from '../gateway/src/plugins/admin-auth.ts';
import { createTwilioClient, type TwilioClient } from '../services/messaging/src/adapters/twilio-client.ts';
import { createStripeClient } from '../services/payments/src/adapters/stripe-client.ts';
import { connectTestNats, field, streamEvents } from '../services/intake/test/booking-client.ts';

/**
 * A plumber's card on file, through the gateway, payments, the registry and messaging against the Stripe
 * and Twilio emulators: the link a new plumber is sent, the SetupIntent page's API, the one fold shared
 * by the page's complete and Stripe's setup_intent.succeeded webhook, and every link that no longer works.
 */
jest.setTimeout(120_000);

let stack: Stack;
let stripe: Stripe;
let twilioApi: TwilioClient;
let nc: NatsConnection;
let cookie = '';
let serial = 0;

beforeAll(async () => {
  stack = await startStack({ without: ['dispatch'] });
  ({ nc } = await connectTestNats());
  stripe = createStripeClient({
    secretKey: stack.env['STRIPE_SECRET_KEY'] ?? '',
    apiBase: stack.stripe.url,
    maxNetworkRetries: 0,
  });
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
}, 120_000);

afterAll(async () => {
  await nc?.close();
  await stack?.stop();
}, 60_000);

interface Reply {
  status: number;
  body: unknown;
}

async function request(method: 'GET' | 'POST', path: string, body?: unknown, admin = false): Promise<Reply> {
  const headers: Record<string, string> = admin ? { cookie } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${stack.gatewayUrl}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: await response.json() };
}

const isPlumber = (value: unknown): value is registry.Plumber =>
  registry.PlumberGet.validateReply.check(value);

async function newPlumber(firstName: string): Promise<registry.Plumber> {
  serial += 1;
  const created = await request(
    'POST',
    '/api/admin/plumbers',
    {
      firstName,
      lastName: 'Cardholder',
      email: `${firstName.toLowerCase()}${serial}@cards.example`,
      phone: `+1415555${String(3000 + serial)}`,
      zipCode: '94110',
      services: ['leak_repair'],
    },
    true,
  );
  if (created.status !== 201 || !isPlumber(created.body))
    throw new Error(`POST /api/admin/plumbers: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body;
}

async function newLink(plumberId: string): Promise<{ url: string; token: string }> {
  const link = await request('POST', `/api/admin/plumbers/${plumberId}/card-link`, undefined, true);
  expect(link.status).toBe(200);
  const url = String(field(link.body, 'url'));
  return { url, token: url.split('/').pop() ?? '' };
}

const eventsAbout = async (subject: string, providerId: string): Promise<EventEnvelope[]> =>
  (await streamEvents(nc, 'EVT_PAYMENTS', subject)).filter(
    (event) => field(event.data, 'providerId') === providerId,
  );
/** The card_updated events saying a card was saved (the first, status none, announces the Stripe customer). */
const cardUpdates = async (providerId: string) =>
  (await eventsAbout(payments.ProviderCardUpdated.subject, providerId)).filter(
    (event) => field(event.data, 'status') === 'saved',
  );

async function textsTo(phone: string): Promise<string[]> {
  const messages = await twilioApi.messages.list({ to: phone });
  return messages.filter((m) => m.direction !== 'inbound').map((m) => m.body);
}

const card = (pathToken: string) => `/api/plumber-card/${pathToken}`;

describe("a plumber's card on file", () => {
  it('sends a new plumber a single-use card link by SMS and email, from payments’ consumer of provider.created', async () => {
    const plumber = await newPlumber('Nadia');
    const [created] = await waitFor(
      async () => {
        const found = await eventsAbout(payments.ProviderCardLinkCreated.subject, plumber.id);
        return found.length > 0 && found;
      },
      { what: 'card_link_created for the new plumber' },
    );
    expect(created?.data).toMatchObject({
      providerId: plumber.id,
      firstName: 'Nadia',
      email: plumber.email,
      phone: plumber.phone,
      url: expect.stringMatching(/^http:\/\/localhost:3000\/plumber\/card\/[A-Za-z0-9_-]{43}$/),
    });
    const url = String(field(created?.data, 'url'));
    const [sms] = await waitFor(
      async () => {
        const texts = (await textsTo(plumber.phone)).filter((body) => body.includes(url));
        return texts.length > 0 && texts;
      },
      { what: 'the card link SMS' },
    );
    expect(sms).toContain('Hi Nadia');
    const email = await stack.smtp.waitForEmail((e) => e.to.includes(plumber.email) && e.text.includes(url));
    expect(email.subject).toBe('Save the card you pay for plumbing leads with');
    expect(email.text).toContain('Never for a lead you don');
    expect(email.html).toContain(`<a href="${url}">`);
    // The plumber shows their Stripe customer (no card yet) as soon as payments made it.
    const shown = await waitFor(async () => {
      const got = await request('GET', `/api/admin/plumbers/${plumber.id}`, undefined, true);
      return isPlumber(got.body) && got.body.stripeCustomerId !== null && got.body;
    });
    expect(shown.card).toEqual({ status: 'none' });
    const customer = await stripe.customers.retrieve(shown.stripeCustomerId ?? '');
    expect(!customer.deleted && customer.metadata).toEqual({ provider_id: plumber.id });
    // The link works: it opens a SetupIntent for the plumber's Stripe customer.
    const session = await request('GET', card(url.split('/').pop() ?? ''));
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ plumber: { firstName: 'Nadia' }, mode: 'emulator' });
  });

  it('saves a card: link, SetupIntent, test confirmation, complete; the default payment method at Stripe; card_updated once', async () => {
    const plumber = await newPlumber('Omar');
    const { url, token } = await newLink(plumber.id);
    expect(url).toBe(`http://localhost:3000/plumber/card/${token}`);

    const session = await request('GET', card(token));
    expect(session.status).toBe(200);
    expect(session.body).toEqual({
      setupIntentId: expect.stringMatching(/^seti_/),
      clientSecret: expect.stringMatching(/^seti_.+_secret_/),
      plumber: { firstName: 'Omar' },
      mode: 'emulator',
      expiresAt: expect.any(String),
    });
    const setupIntentId = String(field(session.body, 'setupIntentId'));
    const intent = await stripe.setupIntents.retrieve(setupIntentId);
    expect(intent).toMatchObject({ usage: 'off_session', metadata: { provider_id: plumber.id } });
    // Opening the page again shows the same SetupIntent.
    expect(field((await request('GET', card(token))).body, 'setupIntentId')).toBe(setupIntentId);

    const early = await request('POST', `${card(token)}/complete`);
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'CARD_NOT_CONFIRMED' });

    const confirmed = await request('POST', `${card(token)}/test-confirm`, { paymentMethod: 'pm_card_visa' });
    expect(confirmed).toEqual({ status: 200, body: { setupIntentId, status: 'succeeded' } });

    const completed = await request('POST', `${card(token)}/complete`);
    expect(completed).toEqual({
      status: 200,
      body: { card: { status: 'saved', brand: 'visa', last4: '4242' } },
    });
    expect(await request('POST', `${card(token)}/complete`)).toEqual(completed);

    const saved = await stripe.setupIntents.retrieve(setupIntentId);
    const customerId = typeof saved.customer === 'string' ? saved.customer : '';
    const customer = await stripe.customers.retrieve(customerId);
    expect(!customer.deleted && customer.invoice_settings.default_payment_method).toBe(saved.payment_method);

    // The webhook for the same SetupIntent arrives too (or already did): still one card_updated.
    await stack.stripe.settled();
    const updates = await waitFor(async () => {
      const found = await cardUpdates(plumber.id);
      return found.length > 0 && found;
    });
    await stack.stripe.settled();
    expect(await cardUpdates(plumber.id)).toHaveLength(1);
    expect(updates[0]?.data).toMatchObject({
      providerId: plumber.id,
      stripeCustomerId: customerId,
      status: 'saved',
      brand: 'visa',
      last4: '4242',
    });

    // The registry hears it: the plumber now has a saved card (and can be offered leads).
    const shown = await waitFor(async () => {
      const got = await request('GET', `/api/admin/plumbers/${plumber.id}`, undefined, true);
      return isPlumber(got.body) && got.body.card.status === 'saved' && got.body;
    });
    expect(shown).toMatchObject({
      stripeCustomerId: customerId,
      card: { status: 'saved', brand: 'visa', last4: '4242' },
    });

    // The used link opens no second SetupIntent; it says the card is saved.
    const reopened = await request('GET', card(token));
    expect(reopened.status).toBe(410);
    expect(reopened.body).toMatchObject({
      code: 'CARD_LINK_EXPIRED',
      details: { reason: 'used', card: { status: 'saved', brand: 'visa', last4: '4242' } },
    });
  });

  it('saves the card from the setup_intent.succeeded webhook alone; complete afterwards answers the same, with no second event', async () => {
    const plumber = await newPlumber('Priya');
    const { token } = await newLink(plumber.id);
    const session = await request('GET', card(token));
    const setupIntentId = String(field(session.body, 'setupIntentId'));
    // Confirmed at Stripe as Stripe.js would, without telling our API: only the webhook reports it.
    await stripe.setupIntents.confirm(setupIntentId, { payment_method: 'pm_card_mastercard' });
    await waitFor(async () => (await cardUpdates(plumber.id)).length === 1, {
      what: 'card saved by webhook',
    });

    const completed = await request('POST', `${card(token)}/complete`);
    expect(completed).toEqual({
      status: 200,
      body: { card: { status: 'saved', brand: 'mastercard', last4: '4444' } },
    });
    await stack.stripe.settled();
    expect(await cardUpdates(plumber.id)).toHaveLength(1);
  });

  it('publishes one card_updated however many completes race each other and the webhook', async () => {
    const plumber = await newPlumber('Vera');
    const { token } = await newLink(plumber.id);
    await request('POST', `${card(token)}/test-confirm`, { paymentMethod: 'pm_card_visa' });
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => call(nc, payments.ProviderCardComplete, { token })),
    );
    expect(new Set(answers.map((answer) => JSON.stringify(answer)))).toEqual(
      new Set([JSON.stringify({ card: { status: 'saved', brand: 'visa', last4: '4242' } })]),
    );
    await stack.stripe.settled();
    expect(await cardUpdates(plumber.id)).toHaveLength(1);
  });

  it('refuses a superseded, an expired, an unknown and a malformed link with a sentence the plumber can act on', async () => {
    const plumber = await newPlumber('Quinn');
    const older = await newLink(plumber.id);
    const newer = await newLink(plumber.id);

    for (const [method, path, body] of [
      ['GET', card(older.token), undefined],
      ['POST', `${card(older.token)}/test-confirm`, { paymentMethod: 'pm_card_visa' }],
      ['POST', `${card(older.token)}/complete`, undefined],
    ] as const) {
      const refused = await request(method, path, body);
      expect(refused.status).toBe(410);
      expect(refused.body).toMatchObject({
        code: 'CARD_LINK_EXPIRED',
        message: 'A newer link was sent to you. Use the latest link in your texts or email.',
        details: { reason: 'superseded' },
      });
    }
    expect((await request('GET', card(newer.token))).status).toBe(200);

    const [paymentsService] = stack.services.get('payments') ?? [];
    await paymentsService?.ctx.orm.em
      .fork()
      .execute(
        `update payments.card_link set expires_at = now() - interval '1 second' where provider_id = ?`,
        [plumber.id],
      );
    const expired = await request('GET', card(newer.token));
    expect(expired).toEqual({
      status: 410,
      body: {
        code: 'CARD_LINK_EXPIRED',
        message: 'This link has expired. Ask us for a new link to save your card.',
        details: { reason: 'expired' },
      },
    });

    const unknown = await request('GET', card('x'.repeat(43)));
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'CARD_LINK_NOT_FOUND' });
    const malformed = await request('GET', card('not a token'));
    expect(malformed.status).toBe(404);
    expect(malformed.body).toMatchObject({ code: 'CARD_LINK_NOT_FOUND' });
    expect(await cardUpdates(plumber.id)).toHaveLength(0);
  });

  it('answers a declined card with 402 and saves nothing; another card then saves', async () => {
    const plumber = await newPlumber('Rafael');
    const { token } = await newLink(plumber.id);
    const declined = await request('POST', `${card(token)}/test-confirm`, {
      paymentMethod: 'pm_card_chargeDeclined',
    });
    expect(declined.status).toBe(402);
    expect(declined.body).toMatchObject({ code: 'CARD_DECLINED', message: 'Your card was declined.' });
    expect((await request('POST', `${card(token)}/complete`)).status).toBe(409);

    await request('POST', `${card(token)}/test-confirm`, { paymentMethod: 'pm_card_visa' });
    const completed = await request('POST', `${card(token)}/complete`);
    expect(completed.body).toEqual({ card: { status: 'saved', brand: 'visa', last4: '4242' } });
  });

  it('keeps the link an operator sent right after creating the plumber: the automatic first link never supersedes it', async () => {
    const plumber = await newPlumber('Tariq');
    const { token } = await newLink(plumber.id);
    await waitFor(() => consumerSettled(nc, CONSUMERS.paymentsProviders), {
      what: 'payments to have handled provider.created',
    });
    expect((await request('GET', card(token))).status).toBe(200);
  });

  it('leaves exactly one working link when several are asked for at once', async () => {
    const plumber = await newPlumber('Ulla');
    const recipient = {
      providerId: plumber.id,
      firstName: plumber.firstName,
      email: plumber.email,
      phone: plumber.phone,
    };
    const links = await Promise.all(
      Array.from({ length: 20 }, () => call(nc, payments.ProviderCardLink, recipient)),
    );
    const statuses = await Promise.all(
      links.map(async ({ url }) => (await request('GET', card(url.slice(url.lastIndexOf('/') + 1)))).status),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 410)).toHaveLength(19);
  });

  it('needs an operator to send a link, and a plumber that exists', async () => {
    const plumber = await newPlumber('Sofia');
    expect((await request('POST', `/api/admin/plumbers/${plumber.id}/card-link`)).status).toBe(401);
    const missing = await request(
      'POST',
      '/api/admin/plumbers/00000000-0000-4000-8000-000000000000/card-link',
      undefined,
      true,
    );
    expect(missing.status).toBe(404);
  });
});
