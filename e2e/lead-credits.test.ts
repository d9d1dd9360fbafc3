import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  CONSUMERS,
  credits,
  intake,
  leads,
  messaging,
  payments,
  registry,
  type EndpointContract,
  type EventContract,
  type EventData,
  type ReplyOf,
  type RequestOf,
} from '@trades/contracts';
import { usZips } from '@trades/geo';
import { call, DEVELOPMENT_DEFAULTS, type NatsConnection } from '@trades/runtime';
import { consumerSettled, natsUrl, waitFor } from '@trades/testkit';
import { startStack, type Stack } from '@trades/testkit/stack';
import pg from 'pg';
import type Stripe from 'stripe';
import { SESSION_COOKIE } from '../gateway/src/plugins/admin-auth.ts';
import { createStripeClient } from '../services/payments/src/adapters/stripe-client.ts';

jest.setTimeout(180_000);

const OPERATOR = DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'] ?? '';

/**
 * Credits of sold leads on the whole stack: a plumber asks by SMS (`CREDIT <code> <words>`, published
 * here as messaging's parsed SmsReceived) or through the sale email's link; the objective reasons are
 * credited within seconds with no operator (the refund read back from the Stripe emulator); the rest,
 * and anything from a plumber whose return rate is above the review rate, waits for an operator.
 */
describe('crediting a sold lead', () => {
  let stack: Stack;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let db: pg.Pool;
  let stripe: Stripe;
  const tag = String(Math.floor(Math.random() * 8000) + 2000);
  let counter = 0;

  beforeAll(async () => {
    stack = await startStack({
      env: {
        DISPATCH_TICK_MS: '50',
        DISPATCH_LEAD_WEEK_WAVE_SIZE: '3',
        DISPATCH_LEAD_WEEK_OFFER_TTL_SECONDS: '600',
      },
    });
    nc = await connect({ servers: natsUrl() });
    js = jetstream(nc);
    db = new pg.Pool({ connectionString: stack.env['DATABASE_URL'], max: 2 });
    stripe = createStripeClient({
      secretKey: stack.env['STRIPE_SECRET_KEY'] ?? '',
      apiBase: stack.stripe.url,
      maxNetworkRetries: 0,
    });
  }, 90_000);

  afterAll(async () => {
    await nc?.close();
    await db?.end();
    await stack?.stop();
  }, 60_000);

  const ask = <E extends EndpointContract>(contract: E, request: RequestOf<E>): Promise<ReplyOf<E>> =>
    call(nc, contract, request, { timeoutMs: 15_000 });

  async function publish<E extends EventContract>(contract: E, data: EventData<E>): Promise<void> {
    const id = randomUUID();
    await js.publish(contract.subject, JSON.stringify({ id, occurredAt: new Date().toISOString(), data }), {
      msgID: id,
    });
  }

  /** What a service published (its outbox), oldest first, filtered by `match`. */
  async function published<S extends EventContract>(
    contract: S,
    match: (data: EventData<S>) => boolean,
  ): Promise<EventData<S>[]> {
    const schema = contract.subject.startsWith('evt.payments.') ? 'payments' : 'dispatch';
    const { rows } = await db.query<{ data: unknown }>(
      `select payload->'data' as data from ${schema}.outbox where subject = $1 order by created_at, id`,
      [contract.subject],
    );
    return rows
      .map((r) => r.data)
      .filter((d): d is EventData<S> => contract.validate.check(d))
      .filter(match);
  }

  interface TestPlumber {
    id: string;
    name: string;
    phone: string;
    customer: string;
  }

  /** A plumber with a card saved at Stripe (through their card link, as the card page does it). */
  async function plumber(services: string[], coverageZip: string): Promise<TestPlumber> {
    counter += 1;
    const phone = `+1628${tag}${String(counter).padStart(3, '0')}`;
    const created = await ask(registry.PlumberCreate, {
      firstName: 'Cory',
      lastName: `Credit${counter}`,
      email: `cory${tag}.${counter}@plumbers.test`,
      phone,
      zipCode: coverageZip,
      services,
      coverageZips: [coverageZip],
      actor: 'test',
    });
    const { url } = await ask(payments.ProviderCardLink, {
      providerId: created.id,
      firstName: created.firstName,
      email: created.email,
      phone,
    });
    const token = url.split('/').at(-1) ?? '';
    await ask(payments.ProviderCardTestConfirm, { token, paymentMethod: 'pm_card_visa' });
    await ask(payments.ProviderCardComplete, { token });
    const saved = await waitFor(
      async () => {
        const current = await ask(registry.PlumberGet, { id: created.id });
        return current.card.status === 'saved' && current;
      },
      { what: 'the card saved in the registry' },
    );
    return {
      id: created.id,
      name: `${created.firstName} ${created.lastName}`,
      phone,
      customer: saved.stripeCustomerId ?? '',
    };
  }

  /** A lead intake accepted (each test has a ZIP of its own, so no two tests' plumbers meet). */
  async function leadAccepted(
    service: string,
    zipCode: string,
    homeownerPhone = '+14155550199',
  ): Promise<string> {
    const zip = usZips().lookup(zipCode);
    if (!zip) throw new Error('ZIP data missing');
    const leadId = randomUUID();
    await publish(intake.LeadAccepted, {
      leadId,
      serviceCode: service,
      serviceName: service.replace(/_/g, ' '),
      urgency: 'week',
      zipCode,
      lat: zip.lat,
      lng: zip.lng,
      priceCents: 4500,
      homeowner: {
        firstName: 'Hana',
        lastName: 'Homeowner',
        email: `hana.${homeownerPhone.slice(-4)}@example.test`,
        phone: homeownerPhone,
      },
      description: 'Kitchen sink backs up',
      source: 'partner',
      partnerId: null,
      acceptedAt: new Date().toISOString(),
    });
    return leadId;
  }

  async function leadWhen(
    id: string,
    ready: (lead: leads.LeadSaleDetail) => boolean,
    what: string,
  ): Promise<leads.LeadSaleDetail> {
    return waitFor(
      async () => {
        const lead = await ask(leads.LeadGet, { id }).catch(() => undefined);
        return lead && ready(lead) ? lead : undefined;
      },
      { what, timeoutMs: 30_000 },
    );
  }

  async function textFrom(from: string, body: string): Promise<void> {
    const response = await fetch(`${stack.twilio.url}/__emulator/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from, body }),
    });
    expect(response.status).toBe(200);
  }

  /** The lead sold to `buyer` by their YES (offered to them as a candidate). */
  async function boughtByYes(zip: string, buyer: TestPlumber, homeownerPhone?: string) {
    // The registry frees a plumber's pending-offer flag a moment after their last sale: wait for it, or
    // the lead's first wave finds nobody and waits out the offer TTL.
    const point = usZips().lookup(zip);
    await waitFor(
      async () =>
        (
          await ask(registry.PlumberCandidates, {
            serviceCode: 'drain_cleaning',
            zipCode: zip,
            lat: point?.lat ?? 0,
            lng: point?.lng ?? 0,
            limit: 10,
            excludeProviderIds: [],
          })
        ).items.some((c) => c.providerId === buyer.id),
      { what: 'the buyer free to be offered a lead' },
    );
    const leadId = await leadAccepted('drain_cleaning', zip, homeownerPhone);
    const offered = await leadWhen(
      leadId,
      (l) => l.state === 'OFFERED' && l.offers.some((o) => o.plumberId === buyer.id),
      'the lead offered to the buyer',
    );
    await textFrom(buyer.phone, `YES ${offered.code}`);
    return leadWhen(leadId, (l) => l.state === 'ASSIGNED', 'the lead sold');
  }

  /** `CREDIT <code> <words>` as messaging parses it. */
  async function creditSms(from: TestPlumber, code: string | undefined, words: string): Promise<void> {
    await publish(messaging.SmsReceived, {
      messageSid: `SM${randomUUID().replace(/-/g, '')}`,
      from: from.phone,
      providerId: from.id,
      body: `CREDIT ${code ?? ''} ${words}`.replace(/\s+/g, ' ').trim(),
      command: { kind: 'CREDIT', ...(code !== undefined ? { jobCode: code } : {}), text: words },
      receivedAt: new Date().toISOString(),
    });
  }

  const creditsOf = async (leadId: string) => (await ask(credits.CreditList, { leadId })).items;

  async function creditWhen(
    leadId: string,
    ready: (credit: credits.LeadCredit) => boolean,
    what: string,
  ): Promise<credits.LeadCredit> {
    return waitFor(async () => (await creditsOf(leadId)).find(ready), { what, timeoutMs: 30_000 });
  }

  /** The refunds at Stripe of the buyer's charge for a lead. */
  async function refundsAtStripe(buyer: TestPlumber, leadId: string): Promise<Stripe.Refund[]> {
    const intents = (await stripe.paymentIntents.list({ customer: buyer.customer })).data;
    const intent = intents.find((pi) => pi.metadata['lead_id'] === leadId);
    if (!intent) throw new Error(`no charge of lead ${leadId} at Stripe`);
    return (await stripe.refunds.list({ payment_intent: intent.id })).data;
  }

  let cookie = '';
  async function admin(method: 'GET' | 'POST', path: string, body?: unknown) {
    if (cookie === '') {
      const login = await fetch(`${stack.gatewayUrl}/api/admin/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: OPERATOR, password: DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'] }),
      });
      expect(login.status).toBe(204);
      cookie =
        login.headers
          .getSetCookie()
          .find((c) => c.startsWith(`${SESSION_COOKIE}=`))
          ?.split(';')[0] ?? '';
    }
    return http(method, path, body, { cookie });
  }

  async function http(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const response = await fetch(`${stack.gatewayUrl}${path}`, {
      method,
      headers: body !== undefined ? { ...headers, 'content-type': 'application/json' } : headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  }

  const creditTokenOf = async (leadId: string): Promise<string> => {
    const [assigned] = await published(leads.LeadAssigned, (d) => d.leadId === leadId);
    if (!assigned?.creditToken) throw new Error('the ASSIGNED event carries no credit token');
    return assigned.creditToken;
  };

  /** Everything that shows a credit went through: credited, refunded at Stripe, the lead told. */
  async function expectCredited(buyer: TestPlumber, leadId: string, credit: credits.LeadCredit) {
    expect(credit).toMatchObject({ status: 'credited', amountCents: 4500, plumberId: buyer.id });
    const refunds = await refundsAtStripe(buyer, leadId);
    expect(refunds.map((r) => [r.id, r.amount, r.status])).toEqual([[credit.refundId, 4500, 'succeeded']]);
    const lead = await leadWhen(leadId, (l) => l.state === 'CREDITED', 'the lead CREDITED');
    expect(lead.creditedCents).toBe(4500);
    expect(await published(credits.CreditRefunded, (d) => d.credit.id === credit.id)).toMatchObject([
      { leadCreditedCents: 4500, partnerId: null },
    ]);
  }

  it('wrong number: the homeowner’s confirmation bounced, CREDIT by SMS is credited at once, refunded at Stripe', async () => {
    const buyer = await plumber(['drain_cleaning'], '94102');
    const sold = await boughtByYes('94102', buyer);
    expect(await creditTokenOf(sold.id)).toMatch(new RegExp(`^${sold.id}\\.[A-Za-z0-9_-]{43}$`));
    await publish(credits.HomeownerUnreachable, {
      leadId: sold.id,
      messageSid: 'SM0000000000000000000000000000dead',
      status: 'undelivered',
      errorCode: '30003',
      at: new Date().toISOString(),
    });
    await leadWhen(
      sold.id,
      (l) => l.timeline.some((t) => t.cause.includes('(30003)')),
      'the bounce recorded',
    );
    await creditSms(buyer, sold.code, 'number disconnected');

    const credit = await creditWhen(sold.id, (c) => c.status === 'credited', 'the credit refunded');
    expect(credit).toMatchObject({
      reason: 'wrong_number',
      note: 'number disconnected',
      channel: 'sms',
      automatic: true,
      decidedBy: 'system',
      flagged: false,
    });
    expect(credit.evidence).toContain('30003');
    await expectCredited(buyer, sold.id, credit);
    // Both told: the request (approved) and the refund are messaging's to send.
    expect(await published(credits.CreditRequested, (d) => d.credit.id === credit.id)).toMatchObject([
      { credit: { status: 'approved' } },
    ]);
  });

  it('duplicate: the same homeowner and service sold to the same plumber before', async () => {
    const buyer = await plumber(['drain_cleaning'], '94103');
    await boughtByYes('94103', buyer, '+14155550123');
    const again = await boughtByYes('94103', buyer, '+14155550123');
    await creditSms(buyer, again.code, 'dup');
    const credit = await creditWhen(again.id, (c) => c.status === 'credited', 'the duplicate credited');
    expect(credit).toMatchObject({ reason: 'duplicate', automatic: true });
    await expectCredited(buyer, again.id, credit);
  });

  it.each([
    ['outside_area', 'outside my area', 'drain_cleaning', '94121', '94122'],
    ['not_my_service', 'not my service', 'water_heater', '94123', '94123'],
  ] as const)(
    '%s: an operator sold it to a plumber who did not buy it; their CREDIT is credited at once',
    async (reason, words, buys, covers, leadZip) => {
      const buyer = await plumber([buys], covers);
      const leadId = await leadAccepted('drain_cleaning', leadZip);
      await leadWhen(leadId, (l) => ['DISPATCHING', 'OFFERED', 'UNSOLD'].includes(l.state), 'the lead out');
      // The operator's sale (the admin API's assign: the lead here never went through intake).
      await ask(leads.LeadAssign, { id: leadId, plumberId: buyer.id, actor: OPERATOR });
      const sold = await leadWhen(leadId, (l) => l.state === 'ASSIGNED', 'sold by the operator');
      await creditSms(buyer, sold.code, words);
      const credit = await creditWhen(leadId, (c) => c.status === 'credited', 'credited');
      expect(credit).toMatchObject({ reason, automatic: true });
      await expectCredited(buyer, leadId, credit);
    },
  );

  it('not real: the homeowner replies NO with no request yet; dispatch asks for the credit itself', async () => {
    const buyer = await plumber(['drain_cleaning'], '94104');
    const sold = await boughtByYes('94104', buyer);
    await publish(credits.HomeownerReplied, {
      leadId: sold.id,
      reply: 'NO',
      messageSid: 'SM00000000000000000000000000000n0',
      receivedAt: new Date().toISOString(),
    });
    const credit = await creditWhen(sold.id, (c) => c.status === 'credited', 'the homeowner’s credit');
    expect(credit).toMatchObject({ reason: 'not_real', channel: 'homeowner', requestedBy: 'homeowner' });
    await expectCredited(buyer, sold.id, credit);
  });

  it('a request waiting for review is approved when the homeowner then says they never asked', async () => {
    const buyer = await plumber(['drain_cleaning'], '94109');
    const sold = await boughtByYes('94109', buyer);
    await creditSms(buyer, sold.code, 'no answer after 3 calls');
    const waiting = await creditWhen(sold.id, (c) => c.status === 'review', 'the request in the queue');
    await publish(credits.HomeownerReplied, {
      leadId: sold.id,
      reply: 'NO',
      messageSid: 'SM00000000000000000000000000000n1',
      receivedAt: new Date().toISOString(),
    });
    const credit = await creditWhen(sold.id, (c) => c.status === 'credited', 'the waiting request credited');
    expect(credit).toMatchObject({ id: waiting.id, reason: 'could_not_reach', automatic: true });
    await expectCredited(buyer, sold.id, credit);
  });

  it('could not reach: waits for an operator, who approves it from the console; the refund follows', async () => {
    const buyer = await plumber(['drain_cleaning'], '94107');
    const sold = await boughtByYes('94107', buyer);
    await creditSms(buyer, sold.code, 'no answer after 3 calls');
    const waiting = await creditWhen(sold.id, (c) => c.status === 'review', 'the request in the queue');
    expect(waiting).toMatchObject({ reason: 'could_not_reach', automatic: false, returnRate: 0 });
    const queue = await admin('GET', `/api/admin/credits?status=review&plumberId=${buyer.id}`);
    expect(queue).toMatchObject({ status: 200, body: { items: [{ id: waiting.id }] } });
    // A second request while one waits is refused, by SMS.
    await creditSms(buyer, sold.code, 'hello?');
    await waitFor(
      async () =>
        (await published(credits.CreditRequestRejected, (d) => d.providerId === buyer.id)).length === 1,
      { what: 'the second request refused' },
    );
    expect(await published(credits.CreditRequestRejected, (d) => d.providerId === buyer.id)).toMatchObject([
      { code: 'CREDIT_PENDING', leadCode: sold.code },
    ]);

    const approved = await admin('POST', `/api/admin/credits/${waiting.id}/approve`, {
      note: 'called twice',
    });
    expect(approved).toMatchObject({ status: 200, body: { status: 'approved', decidedBy: OPERATOR } });
    const again = await admin('POST', `/api/admin/credits/${waiting.id}/deny`, { note: 'too late' });
    expect(again).toMatchObject({ status: 409, body: { code: 'CREDIT_ALREADY_DECIDED' } });
    const credit = await creditWhen(sold.id, (c) => c.status === 'credited', 'the approved credit refunded');
    expect(credit.decisionNote).toBe('called twice');
    await expectCredited(buyer, sold.id, credit);
  });

  it('a plumber above the review rate: even an objective request waits for an operator', async () => {
    const buyer = await plumber(['drain_cleaning'], '94108');
    const first = await boughtByYes('94108', buyer);
    await ask(credits.LeadCreditCreate, {
      leadId: first.id,
      amountCents: 4500,
      reason: 'other',
      actor: OPERATOR,
    });
    await creditWhen(first.id, (c) => c.status === 'credited', 'the first credited');
    const second = await boughtByYes('94108', buyer);
    await publish(credits.HomeownerUnreachable, {
      leadId: second.id,
      messageSid: 'SM000000000000000000000000000dead2',
      status: 'failed',
      errorCode: '21211',
      at: new Date().toISOString(),
    });
    await leadWhen(second.id, (l) => l.timeline.some((t) => t.cause.includes('(21211)')), 'the bounce');
    await creditSms(buyer, second.code, 'wrong number');
    const waiting = await creditWhen(second.id, (c) => c.status === 'review', 'the request under review');
    expect(waiting).toMatchObject({
      reason: 'wrong_number',
      flagged: true,
      automatic: false,
      returnRate: 0.5,
    });
    expect(waiting.evidence).toContain('21211');
    expect(await refundsAtStripe(buyer, second.id)).toEqual([]);
  });

  it('credits are asked for within 7 days of the sale: later, by SMS or link, they are refused', async () => {
    const buyer = await plumber(['drain_cleaning'], '94109');
    const sold = await boughtByYes('94109', buyer);
    const token = await creditTokenOf(sold.id);
    await db.query(`update dispatch.lead set sold_at = now() - interval '7 days 1 minute' where id = $1`, [
      sold.id,
    ]);
    const page = await http('GET', `/api/lead-credits/${token}`);
    expect(page).toMatchObject({ status: 200, body: { leadCode: sold.code, open: false, credits: [] } });
    const link = await http('POST', `/api/lead-credits/${token}`, { reason: 'wrong_number' });
    expect(link).toMatchObject({ status: 409, body: { code: 'CREDIT_WINDOW_CLOSED' } });
    await creditSms(buyer, sold.code, 'wrong number');
    await waitFor(
      async () =>
        (await published(credits.CreditRequestRejected, (d) => d.providerId === buyer.id)).length === 1,
      { what: 'the late request refused' },
    );
    expect(await published(credits.CreditRequestRejected, (d) => d.providerId === buyer.id)).toMatchObject([
      { code: 'CREDIT_WINDOW_CLOSED' },
    ]);
    // Without a code, they are told how to ask.
    await creditSms(buyer, undefined, 'bad lead');
    await waitFor(
      async () =>
        (await published(credits.CreditRequestRejected, (d) => d.providerId === buyer.id)).length === 2,
      { what: 'the request without a code answered' },
    );
    const howTo = (await published(credits.CreditRequestRejected, (d) => d.providerId === buyer.id)).find(
      (d) => d.leadCode === null,
    );
    expect(howTo).toMatchObject({ code: 'NO_SUCH_LEAD' });
    expect(howTo?.message).toContain('CREDIT 4821');
    expect(await creditsOf(sold.id)).toEqual([]);
  });

  it('partial, then the rest: two refunds on the one charge, CREDITED at the price; a redelivered approval refunds nothing again', async () => {
    const buyer = await plumber(['drain_cleaning'], '94110');
    const sold = await boughtByYes('94110', buyer);
    const token = await creditTokenOf(sold.id);

    const part = await admin('POST', `/api/admin/leads/${sold.id}/credits`, {
      amountCents: 2000,
      reason: 'other',
      note: 'goodwill',
    });
    expect(part).toMatchObject({
      status: 201,
      body: { status: 'approved', channel: 'console', decidedBy: OPERATOR },
    });
    const first = await creditWhen(sold.id, (c) => c.status === 'credited', 'the partial credit');
    const partly = await leadWhen(sold.id, (l) => l.creditedCents === 2000, 'the partial credit on the lead');
    expect(partly.state).toBe('ASSIGNED');
    const tooMuch = await admin('POST', `/api/admin/leads/${sold.id}/credits`, {
      amountCents: 2600,
      reason: 'other',
    });
    expect(tooMuch).toMatchObject({ status: 409, body: { code: 'CREDIT_TOO_LARGE' } });

    // The buyer asks for the rest through the email's link: could_not_reach waits; the operator approves.
    const asked = await http('POST', `/api/lead-credits/${token}`, {
      reason: 'could_not_reach',
      note: 'no answer',
    });
    expect(asked).toMatchObject({
      status: 201,
      body: { status: 'review', amountCents: 2500, channel: 'email' },
    });
    const rest = await creditWhen(sold.id, (c) => c.status === 'review', 'the rest under review');
    await admin('POST', `/api/admin/credits/${rest.id}/approve`, {});
    await creditWhen(sold.id, (c) => c.id === rest.id && c.status === 'credited', 'the rest credited');
    const credited = await leadWhen(sold.id, (l) => l.state === 'CREDITED', 'the lead CREDITED');
    expect(credited.creditedCents).toBe(4500);
    const refunds = await refundsAtStripe(buyer, sold.id);
    expect(refunds.map((r) => r.amount).sort()).toEqual([2000, 2500]);
    const page = await http('GET', `/api/lead-credits/${token}`);
    expect(page).toMatchObject({ status: 200, body: { open: false, creditedCents: 4500 } });
    expect(
      await admin('POST', `/api/admin/leads/${sold.id}/credits`, { amountCents: 1, reason: 'other' }),
    ).toMatchObject({
      status: 409,
      body: { code: 'ALREADY_CREDITED' },
    });

    // The first approval delivered again (a redelivery, a replay): Stripe is not asked to refund again.
    const [approval] = await published(credits.CreditApproved, (d) => d.credit.id === first.id);
    if (!approval) throw new Error('no credit_approved event');
    await publish(credits.CreditApproved, approval);
    await waitFor(() => consumerSettled(nc, CONSUMERS.paymentsLeads), { what: 'payments read it' });
    await waitFor(() => consumerSettled(nc, CONSUMERS.dispatchLeadCharges), { what: 'dispatch read it' });
    expect(await refundsAtStripe(buyer, sold.id)).toHaveLength(2);
    expect(await published(credits.LeadChargeCredited, (d) => d.creditId === first.id)).toHaveLength(1);
    expect((await ask(leads.LeadGet, { id: sold.id })).creditedCents).toBe(4500);
  });

  it('denied with a note: nothing refunded, the plumber told why, and they may ask again', async () => {
    const buyer = await plumber(['drain_cleaning'], '94111');
    const sold = await boughtByYes('94111', buyer);
    await creditSms(buyer, sold.code, 'did not like the job');
    const waiting = await creditWhen(sold.id, (c) => c.status === 'review', 'the request in the queue');
    expect(waiting).toMatchObject({ reason: 'other', note: 'did not like the job' });
    const denied = await admin('POST', `/api/admin/credits/${waiting.id}/deny`, {
      note: 'The homeowner hired you.',
    });
    expect(denied).toMatchObject({
      status: 200,
      body: { status: 'denied', decidedBy: OPERATOR, decisionNote: 'The homeowner hired you.' },
    });
    expect(await published(credits.CreditDenied, (d) => d.credit.id === waiting.id)).toMatchObject([
      { credit: { status: 'denied', decisionNote: 'The homeowner hired you.' } },
    ]);
    expect(await refundsAtStripe(buyer, sold.id)).toEqual([]);
    await creditSms(buyer, sold.code, 'wrong number');
    await creditWhen(sold.id, (c) => c.id !== waiting.id && c.status === 'review', 'a second request taken');
  });

  it('Stripe refuses the refund for good: the credit fails for an operator, nothing is credited on the lead', async () => {
    const buyer = await plumber(['drain_cleaning'], '94112');
    const sold = await boughtByYes('94112', buyer);
    const intents = (await stripe.paymentIntents.list({ customer: buyer.customer })).data;
    const intent = intents.find((pi) => pi.metadata['lead_id'] === sold.id);
    if (!intent) throw new Error('no charge at Stripe');
    // Refunded in full at Stripe behind the platform's back: nothing is left to refund.
    await stripe.refunds.create({ payment_intent: intent.id });
    await ask(credits.LeadCreditCreate, {
      leadId: sold.id,
      amountCents: 4500,
      reason: 'other',
      actor: OPERATOR,
    });
    const failed = await creditWhen(sold.id, (c) => c.status === 'failed', 'the credit failed');
    expect(failed.failure).toContain('charge_already_refunded');
    expect(await published(credits.LeadChargeCreditFailed, (d) => d.creditId === failed.id)).toMatchObject([
      { code: 'charge_already_refunded', paymentIntentId: intent.id },
    ]);
    const lead = await ask(leads.LeadGet, { id: sold.id });
    expect(lead).toMatchObject({ state: 'ASSIGNED', creditedCents: 0 });
  });

  it('a refund whose answer is lost is asked again with the same key: one refund', async () => {
    const buyer = await plumber(['drain_cleaning'], '94114');
    const sold = await boughtByYes('94114', buyer);
    // Stripe makes the refund but the answer never arrives, more times than the SDK retries by itself.
    stack.stripe.injectFault({
      pathPrefix: '/v1/refunds',
      method: 'POST',
      when: 'after',
      status: 500,
      times: 3,
    });
    try {
      await ask(credits.LeadCreditCreate, {
        leadId: sold.id,
        amountCents: 4500,
        reason: 'other',
        actor: OPERATOR,
      });
      const credit = await creditWhen(sold.id, (c) => c.status === 'credited', 'credited after the retry');
      await expectCredited(buyer, sold.id, credit);
    } finally {
      stack.stripe.clearFaults();
    }
  });

  it('a credit link dispatch did not sign opens nothing', async () => {
    const forged = `${randomUUID()}.${'A'.repeat(43)}`;
    expect(await http('GET', `/api/lead-credits/${forged}`)).toMatchObject({
      status: 404,
      body: { code: 'CREDIT_LINK_NOT_FOUND' },
    });
    expect(await http('POST', `/api/lead-credits/${forged}`, { reason: 'other' })).toMatchObject({
      status: 404,
    });
    // Shaped like a token, but no lead id at all.
    const shapeOnly = `${'-'.repeat(36)}.${'A'.repeat(43)}`;
    expect(await http('GET', `/api/lead-credits/${shapeOnly}`)).toMatchObject({ status: 404 });
  });
});
