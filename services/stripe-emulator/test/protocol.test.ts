import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import Stripe from 'stripe';
import { decodeStripeForm } from '../src/http/form.ts';
import { createStripeEmulator, type StripeEmulator } from '../src/index.ts';
import { startEmulator, stripeError, stripeFor } from './helpers.ts';

describe('Stripe’s request encoding', () => {
  it('decodes bracketed keys into objects and indexed keys into arrays', () => {
    expect(
      decodeStripeForm(
        'amount=4900&metadata[job_id]=j%201&expand[0]=latest_charge&expand[1]=customer&card[exp_month]=12&a+b=c+d',
      ),
    ).toEqual({
      amount: '4900',
      metadata: { job_id: 'j 1' },
      expand: ['latest_charge', 'customer'],
      card: { exp_month: '12' },
      'a b': 'c d',
    });
    expect(decodeStripeForm('expand[]=a&expand[]=b&metadata=')).toEqual({ expand: ['a', 'b'], metadata: '' });
  });

  it('refuses names that would reach an object prototype', () => {
    expect(() => decodeStripeForm('metadata[__proto__][x]=1')).toThrow();
  });
});

describe('the emulator’s HTTP behaviour', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;

  beforeAll(async () => {
    emulator = await startEmulator();
    stripe = stripeFor(emulator);
  });
  afterAll(async () => emulator.close());
  beforeEach(() => emulator.reset());
  afterEach(() => emulator.clearFaults());

  it('replays the first result for a repeated Idempotency-Key, creating nothing twice', async () => {
    const params = { amount: 4900, currency: 'usd', capture_method: 'manual' as const };
    const first = await stripe.paymentIntents.create(params, { idempotencyKey: 'deposit-bk_1' });
    const second = await stripe.paymentIntents.create(params, { idempotencyKey: 'deposit-bk_1' });

    expect(second.id).toBe(first.id);
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    const all = await stripe.paymentIntents.list();
    expect(all.data).toHaveLength(1);
    expect(emulator.events()).toHaveLength(1);
  });

  it('replays a card decline too, as Stripe stores any request that ran', async () => {
    const params = { amount: 4900, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true };
    const first = await stripeError(() =>
      stripe.paymentIntents.create(params, { idempotencyKey: 'declined' }),
    );
    const second = await stripeError(() =>
      stripe.paymentIntents.create(params, { idempotencyKey: 'declined' }),
    );

    expect(second.payment_intent?.id).toBe(first.payment_intent?.id);
  });

  it('rejects a reused Idempotency-Key with different parameters', async () => {
    await stripe.customers.create({ name: 'A' }, { idempotencyKey: 'provider-1' });

    const error = await stripeError(() =>
      stripe.customers.create({ name: 'B' }, { idempotencyKey: 'provider-1' }),
    );

    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('does not store a request rejected for its parameters, so a corrected retry goes through', async () => {
    const bad = await stripeError(() =>
      stripe.paymentIntents.create({ amount: 10, currency: 'usd' }, { idempotencyKey: 'fix-me' }),
    );
    const fixed = await stripe.paymentIntents.create(
      { amount: 4900, currency: 'usd' },
      { idempotencyKey: 'fix-me' },
    );

    expect(bad.code).toBe('amount_too_small');
    expect(fixed.amount).toBe(4900);
  });

  it('lets an SDK retry after a lost response recover the original result instead of charging twice', async () => {
    const retrying = stripeFor(emulator, 'sk_test_emulator', 2);
    emulator.injectFault({ pathPrefix: '/v1/payment_intents', method: 'POST', when: 'after', status: 500 });

    const intent = await retrying.paymentIntents.create({
      amount: 4900,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });

    expect(intent.status).toBe('succeeded');
    const charges = await stripe.charges.list();
    expect(charges.data).toHaveLength(1);
  });

  it('recovers from a connection dropped after the charge went through, without charging twice', async () => {
    emulator.injectFault({
      pathPrefix: '/v1/payment_intents',
      method: 'POST',
      when: 'after',
      response: 'drop',
    });

    // The SDK retries a closed connection once, with the same Idempotency-Key, even with retries off.
    const intent = await stripe.paymentIntents.create({
      amount: 4900,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });

    expect(intent.status).toBe('succeeded');
    expect(intent.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await stripe.charges.list()).data).toHaveLength(1);
  });

  it('loses a replayed answer too while the fault lasts: the charge still happens once', async () => {
    const retrying = stripeFor(emulator, 'sk_test_emulator', 2);
    const params = { amount: 4900, currency: 'usd', payment_method: 'pm_card_visa', confirm: true };
    emulator.injectFault({
      pathPrefix: '/v1/payment_intents',
      method: 'POST',
      when: 'after',
      status: 500,
      times: 3,
    });

    const lost = await stripeError(() => retrying.paymentIntents.create(params, { idempotencyKey: 'lost' }));
    const again = await retrying.paymentIntents.create(params, { idempotencyKey: 'lost' });

    expect(lost).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await stripe.charges.list()).data).toHaveLength(1);
  });

  it('holds a call after its effect until released, as a Stripe slow to answer', async () => {
    const intent = await stripe.paymentIntents.create({
      amount: 4900,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    emulator.injectFault({
      pathPrefix: `/v1/payment_intents/${intent.id}/capture`,
      method: 'POST',
      when: 'after',
      response: 'hold',
    });

    const capturing = stripe.paymentIntents.capture(intent.id);
    while (emulator.heldCount() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const meanwhile = await stripe.paymentIntents.retrieve(intent.id);
    emulator.releaseHeld();

    expect(meanwhile.status).toBe('succeeded');
    expect((await capturing).status).toBe('succeeded');
    expect(emulator.heldCount()).toBe(0);
  });

  it('holds and releases calls through its control API too', async () => {
    const control = (path: string, init?: RequestInit) =>
      fetch(`${emulator.url}/__emulator/${path}`, init).then((response) => response.json());
    await control('faults', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/v1/customers', method: 'POST', when: 'before', response: 'hold' }),
    });

    const creating = stripe.customers.create({ name: 'Held' });
    while (emulator.heldCount() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await control('faults/held')).toEqual({ held: 1 });
    expect((await stripe.customers.list()).data).toHaveLength(0);
    expect(await control('faults/release', { method: 'POST' })).toEqual({ released: 1 });

    expect((await creating).name).toBe('Held');
  });

  it('surfaces injected failures as Stripe API errors', async () => {
    emulator.injectFault({ pathPrefix: '/v1/customers', status: 503 });

    const error = await stripeError(() => stripe.customers.create({ name: 'Down' }));

    expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(error.statusCode).toBe(503);
  });

  it('rejects parameters it does not implement instead of ignoring them', async () => {
    const error = await stripeError(() =>
      stripe.paymentIntents.create({
        amount: 4900,
        currency: 'usd',
        shipping: { name: 'x', address: { line1: 'y' } },
      }),
    );

    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error.code).toBe('parameter_unknown');
    expect(error.param).toBe('shipping');
  });

  it('names a missing required parameter', async () => {
    const error = await stripeError(() => stripe.refunds.create({}));

    expect(error.code).toBe('parameter_missing');
  });

  it('answers an unknown URL with a Stripe-shaped 404', async () => {
    const error = await stripeError(() => stripe.invoices.list());

    expect(error.statusCode).toBe(404);
    expect(error.message).toContain('Unrecognized request URL (GET: /v1/invoices)');
  });

  it('needs a test-mode key and refuses live keys without echoing them', async () => {
    const missing = await fetch(`${emulator.url}/v1/customers`);
    const live = await fetch(`${emulator.url}/v1/customers`, {
      headers: { authorization: 'Bearer sk_live_abcdef123456' },
    });
    const body: unknown = await live.json();

    expect(missing.status).toBe(401);
    expect(live.status).toBe(401);
    expect(JSON.stringify(body)).toContain('Invalid API Key provided');
    expect(JSON.stringify(body)).not.toContain('abcdef123456');
  });

  it('accepts only its configured secret key when it has one', async () => {
    const strict = await createStripeEmulator({
      port: 0,
      webhookSecret: 'whsec_x',
      secretKey: 'sk_test_only_this_one',
    });
    try {
      const other = await stripeError(() => stripeFor(strict, 'sk_test_another_key').customers.list());
      const right = await stripeFor(strict, 'sk_test_only_this_one').customers.list();

      expect(other).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
      expect(right.data).toEqual([]);
    } finally {
      await strict.close();
    }
  });

  it('expands ids into objects, including inside lists', async () => {
    const customer = await stripe.customers.create({ name: 'Pat' });
    const intent = await stripe.paymentIntents.create({
      amount: 4900,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      expand: ['latest_charge', 'customer'],
    });
    const listed = await stripe.paymentIntents.list({
      customer: customer.id,
      expand: ['data.latest_charge'],
    });
    const refused = await stripeError(() =>
      stripe.paymentIntents.retrieve(intent.id, { expand: ['amount'] }),
    );

    expect(typeof intent.latest_charge === 'object' && intent.latest_charge?.object).toBe('charge');
    expect(typeof intent.customer === 'object' && intent.customer?.id).toBe(customer.id);
    expect((listed.data[0]?.latest_charge as Stripe.Charge).amount).toBe(4900);
    expect(refused.param).toBe('expand');
  });

  it('pages through lists with the SDK’s auto-pagination', async () => {
    for (let index = 0; index < 25; index += 1) await stripe.customers.create({ name: `c${index}` });

    const page = await stripe.customers.list({ limit: 10 });
    const all = await stripe.customers.list({ limit: 10 }).autoPagingToArray({ limit: 100 });

    expect(page.has_more).toBe(true);
    expect(page.data[0]?.name).toBe('c24');
    expect(all.map((customer) => customer.name)).toEqual(
      Array.from({ length: 25 }, (_, index) => `c${24 - index}`),
    );
  });

  it('merges metadata on update: new keys added, empty values removed', async () => {
    const customer = await stripe.customers.create({ metadata: { a: '1', b: '2' } });

    const updated = await stripe.customers.update(customer.id, { metadata: { b: '', c: '3' } });

    expect(updated.metadata).toEqual({ a: '1', c: '3' });
    const event = emulator.events().at(-1);
    expect(event?.type).toBe('customer.updated');
    expect(event?.data.previous_attributes).toEqual({ metadata: { b: '2', c: null } });
  });

  it('forgets everything on reset but keeps its webhook endpoints', async () => {
    emulator.addWebhookEndpoint({
      url: 'http://127.0.0.1:9/unused',
      enabledEvents: ['charge.dispute.created'],
    });
    await stripe.customers.create({ name: 'Gone soon' });

    const response = await fetch(`${emulator.url}/__emulator/reset`, { method: 'POST' });

    expect(response.status).toBe(200);
    expect((await stripe.customers.list()).data).toHaveLength(0);
    expect(emulator.webhookEndpoints().some((endpoint) => endpoint.url === 'http://127.0.0.1:9/unused')).toBe(
      true,
    );
  });
});
