import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { credits, intake, partners, registry } from '@trades/contracts';
import { DEVELOPMENT_DEFAULTS } from '@trades/runtime';
import { waitFor } from '@trades/testkit';
import { startStack, type Stack } from '@trades/testkit/stack';
import pg from 'pg';
import type Stripe from 'stripe';
import { Compile } from 'typebox/compile';
import { SESSION_COOKIE } from '../gateway/src/plugins/admin-auth.ts';
import {
  createTwilioClient,
  twilioSignature,
  type TwilioClient,
} from '../services/messaging/src/adapters/twilio-client.ts';
import { createStripeClient } from '../services/payments/src/adapters/stripe-client.ts';

jest.setTimeout(240_000);

/**
 * Lead operations on the whole stack, driven only as the outside world drives it: operators through the
 * admin API, partners through the partner API, plumbers and homeowners by SMS (Twilio's signed inbound
 * webhook, posted to the gateway), plumbers' cards through their card link; read back from the Stripe
 * emulator (charges, refunds), the Twilio emulator (texts sent) and the SMTP sink (emails). Credits of
 * every automatic reason and one an operator approves, caps under a race of a YES and two operator sales,
 * PAUSE / RESUME, and a partner's signed webhooks with a retry after a 500.
 */
describe('lead operations through public routes', () => {
  let stack: Stack;
  let stripe: Stripe;
  let twilioApi: TwilioClient;
  let db: pg.Pool;
  /** A partner without a webhook, whose key posts the leads of the credit and cap tests. */
  let partnerKey = '';
  const tag = String(Math.floor(Math.random() * 8000) + 2000);
  let counter = 0;
  const webhookBody = Compile(partners.PartnerWebhookBody);

  beforeAll(async () => {
    stack = await startStack({
      dispatchReplicas: 2,
      env: {
        DISPATCH_TICK_MS: '50',
        // One plumber per wave, so who is offered a lead is known: the nearest free one.
        DISPATCH_LEAD_WEEK_WAVE_SIZE: '1',
        DISPATCH_LEAD_WEEK_OFFER_TTL_SECONDS: '600',
        DISPATCH_LEAD_WEEK_MAX_WAVES: '4',
        INTAKE_WEBHOOK_POLL_MS: '200',
      },
    });
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
    db = new pg.Pool({ connectionString: stack.env['DATABASE_URL'], max: 1 });
    const partner = await admin('POST', '/partners', { name: 'Lead Vendor Co' });
    expect(partner.status).toBe(201);
    partnerKey = await keyFor(idOf(partner.body));
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await stack?.stop();
  }, 60_000);

  // -------------------------------------------------------------------------------------------------
  // HTTP as operators, partners and plumbers' phones

  interface Reply {
    status: number;
    body: unknown;
  }

  async function login(): Promise<string> {
    const response = await fetch(`${stack.gatewayUrl}/api/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'],
        password: DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'],
      }),
    });
    expect(response.status).toBe(204);
    const session = response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    return session?.split(';')[0] ?? '';
  }

  async function http(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    const response = await fetch(`${stack.gatewayUrl}${path}`, {
      method,
      headers: body !== undefined ? { ...headers, 'content-type': 'application/json' } : headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: await response.json() };
  }

  let operatorCookie = '';
  /** The admin API as an operator (one session; `cookie` for another operator's). */
  async function admin(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body?: unknown,
    cookie?: string,
  ): Promise<Reply> {
    if (cookie === undefined && operatorCookie === '') operatorCookie = await login();
    return http(method, `/api/admin${path}`, body, { cookie: cookie ?? operatorCookie });
  }

  const field = (value: unknown, key: string): unknown =>
    typeof value === 'object' && value !== null && key in value
      ? Object.entries(value).find(([k]) => k === key)?.[1]
      : undefined;

  function idOf(body: unknown): string {
    const id = field(body, 'id');
    if (typeof id !== 'string') throw new Error(`no id in ${JSON.stringify(body)}`);
    return id;
  }

  async function keyFor(partnerId: string): Promise<string> {
    const created = await admin('POST', `/partners/${partnerId}/keys`, { name: 'production' });
    expect(created.status).toBe(201);
    const key = field(created.body, 'key');
    if (typeof key !== 'string') throw new Error('no key in the answer');
    return key;
  }

  /**
   * Twilio's inbound-SMS webhook as Twilio posts it: the form, signed with the account's auth token
   * (X-Twilio-Signature over the URL and the fields), to the gateway.
   */
  async function textIn(from: string, body: string): Promise<void> {
    const url = `${stack.gatewayUrl}/api/webhooks/twilio/sms`;
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const params: Record<string, string> = {
      AccountSid: stack.env['TWILIO_ACCOUNT_SID'] ?? '',
      ApiVersion: '2010-04-01',
      Body: body,
      From: from,
      FromCountry: 'US',
      MessageSid: sid,
      NumMedia: '0',
      NumSegments: '1',
      SmsMessageSid: sid,
      SmsSid: sid,
      SmsStatus: 'received',
      To: stack.env['TWILIO_PHONE_NUMBER'] ?? '',
      ToCountry: 'US',
    };
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(stack.env['TWILIO_AUTH_TOKEN'] ?? '', url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(response.status).toBe(200);
  }

  /** The texts the platform sent a phone (the Twilio emulator's Messages list), oldest first. */
  async function textsTo(phone: string): Promise<string[]> {
    const messages = await twilioApi.messages.list({ to: phone });
    return messages
      .filter((m) => m.direction !== 'inbound')
      .reverse()
      .map((m) => m.body);
  }

  async function textWhen(phone: string, match: (text: string) => boolean, what: string): Promise<string> {
    return waitFor(async () => (await textsTo(phone)).find(match), { what, timeoutMs: 30_000 });
  }

  // -------------------------------------------------------------------------------------------------
  // Plumbers, leads and sales

  interface TestPlumber {
    id: string;
    phone: string;
    email: string;
    customer: string;
  }

  const isPlumber = (value: unknown): value is registry.Plumber =>
    registry.PlumberGet.validateReply.check(value);

  async function plumberNow(id: string): Promise<registry.Plumber & { leadStats?: unknown }> {
    const got = await admin('GET', `/plumbers/${id}`);
    if (got.status !== 200 || !isPlumber(got.body)) throw new Error(`GET /plumbers/${id}: ${got.status}`);
    return got.body;
  }

  /**
   * A plumber an operator registered, who saved a card through the link texted to them (the card page's
   * API: open, confirm with a test card, complete).
   */
  async function plumber(
    baseZip: string,
    options: { services?: string[]; coverage?: string[]; dailyCap?: number } = {},
  ): Promise<TestPlumber> {
    counter += 1;
    const phone = `+1628${tag}${String(counter).padStart(3, '0')}`;
    const email = `pia${tag}.${counter}@plumbers.test`;
    const created = await admin('POST', '/plumbers', {
      firstName: 'Pia',
      lastName: `Plumber${counter}`,
      email,
      phone,
      zipCode: baseZip,
      services: options.services ?? ['drain_cleaning'],
      coverageZips: options.coverage ?? [baseZip],
      timeZone: 'America/Los_Angeles',
      ...(options.dailyCap !== undefined ? { dailyCap: options.dailyCap } : {}),
    });
    expect(created.status).toBe(201);
    const id = idOf(created.body);
    const link = await textWhen(phone, (t) => t.includes('/plumber/card/'), 'the card link texted');
    const token = /\/plumber\/card\/([A-Za-z0-9_-]+)/.exec(link)?.[1] ?? '';
    expect((await http('GET', `/api/plumber-card/${token}`)).status).toBe(200);
    expect(
      await http('POST', `/api/plumber-card/${token}/test-confirm`, { paymentMethod: 'pm_card_visa' }),
    ).toMatchObject({ status: 200, body: { status: 'succeeded' } });
    expect(await http('POST', `/api/plumber-card/${token}/complete`)).toMatchObject({
      status: 200,
      body: { card: { status: 'saved' } },
    });
    const saved = await waitFor(
      async () => {
        const now = await plumberNow(id);
        return now.card.status === 'saved' && now;
      },
      { what: 'the card saved on the plumber' },
    );
    return { id, phone, email, customer: saved.stripeCustomerId ?? '' };
  }

  interface Homeowner {
    phone: string;
    email: string;
  }

  function homeowner(): Homeowner {
    counter += 1;
    return {
      phone: `+1415${tag}${String(counter).padStart(3, '0')}`,
      email: `hana${tag}.${counter}@homeowners.test`,
    };
  }

  /** A lead a partner posts (`POST /api/partner/v1/leads`); its id. */
  async function postLead(
    zipCode: string,
    who: Homeowner = homeowner(),
    options: { key?: string; externalId?: string; service?: string } = {},
  ): Promise<{ leadId: string; priceCents: number }> {
    const posted = await http(
      'POST',
      '/api/partner/v1/leads',
      {
        firstName: 'Hana',
        lastName: 'Homeowner',
        email: who.email,
        phone: who.phone,
        serviceNeeded: options.service ?? 'drain_cleaning',
        urgency: 'week',
        zipCode,
        description: 'Kitchen sink backs up',
        ...(options.externalId !== undefined ? { externalId: options.externalId } : {}),
        consent: { text: 'I agree to be contacted by a plumber.', capturedAt: new Date().toISOString() },
      },
      { authorization: `Bearer ${options.key ?? partnerKey}` },
    );
    if (posted.status !== 201 || !intake.LeadSubmit.validateReply.check(posted.body))
      throw new Error(`POST /api/partner/v1/leads: ${posted.status} ${JSON.stringify(posted.body)}`);
    return { leadId: posted.body.leadId, priceCents: posted.body.priceCents };
  }

  interface LeadPage {
    id: string;
    status: string;
    priceCents: number;
    offers: { plumberId: string; status: string; reason: string | null }[];
    sale?: { code: string; state: string; buyer: { id: string } | null; timeline: { cause: string }[] };
  }

  function isLeadPage(value: unknown): value is LeadPage {
    return (
      typeof value === 'object' &&
      value !== null &&
      'id' in value &&
      'offers' in value &&
      Array.isArray(value.offers)
    );
  }

  /** The lead's page in the console (`GET /api/admin/leads/:id`) once `ready` holds. */
  async function leadWhen(
    id: string,
    ready: (lead: LeadPage) => boolean,
    what: string,
    timeoutMs = 30_000,
  ): Promise<LeadPage> {
    let last: LeadPage | undefined;
    try {
      return await waitFor(
        async () => {
          const got = await admin('GET', `/leads/${id}`);
          last = isLeadPage(got.body) ? got.body : undefined;
          return last && ready(last) ? last : undefined;
        },
        { what, timeoutMs },
      );
    } catch (error) {
      const where = last
        ? [
            `lead ${last.sale?.state ?? last.status}:`,
            ...(last.sale?.timeline ?? []).map((t) => `  ${t.cause}`),
            ...last.offers.map((o) => `  offer ${o.plumberId} ${o.status} ${o.reason ?? ''}`),
          ].join('\n')
        : 'never read';
      throw new Error(`${String(error)}\n${where}`, { cause: error });
    }
  }

  const pendingOffer = (lead: LeadPage) => lead.offers.find((o) => o.status === 'PENDING');
  const soldTo = (lead: LeadPage, p: { id: string }) =>
    lead.sale?.state === 'ASSIGNED' && lead.sale.buyer?.id === p.id;

  /** Waits for the lead offered to `buyer`, who texts YES; the lead once sold to them. */
  async function buyByYes(leadId: string, buyer: TestPlumber): Promise<LeadPage> {
    const offered = await leadWhen(
      leadId,
      (l) => pendingOffer(l)?.plumberId === buyer.id,
      'the lead offered to the buyer',
    );
    await textIn(buyer.phone, `YES ${offered.sale?.code ?? ''}`);
    return leadWhen(leadId, (l) => soldTo(l, buyer), 'the lead sold by YES');
  }

  /** An operator sells the lead to `buyer` from the console, once dispatch has it. */
  async function sellByOperator(leadId: string, buyer: TestPlumber): Promise<LeadPage> {
    await leadWhen(leadId, (l) => l.sale !== undefined, 'the lead at dispatch');
    const sold = await admin('POST', `/leads/${leadId}/assign`, { plumberId: buyer.id });
    expect(sold.status).toBe(200);
    return leadWhen(leadId, (l) => soldTo(l, buyer), 'the lead sold by the operator');
  }

  // -------------------------------------------------------------------------------------------------
  // Credits, read back from the console, Stripe, Twilio and the SMTP sink

  const isCreditPage = (value: unknown): value is { items: credits.LeadCredit[] } =>
    credits.CreditList.validateReply.check(value);

  async function creditWhen(
    leadId: string,
    ready: (credit: credits.LeadCredit) => boolean,
    what: string,
  ): Promise<credits.LeadCredit> {
    return waitFor(
      async () => {
        const got = await admin('GET', `/credits?leadId=${leadId}`);
        return isCreditPage(got.body) ? got.body.items.find(ready) : undefined;
      },
      { what, timeoutMs: 30_000 },
    );
  }

  /** The buyer's charges at Stripe: their PaymentIntents. */
  const intentsOf = async (p: TestPlumber) =>
    (await stripe.paymentIntents.list({ customer: p.customer, limit: 100 })).data;

  async function refundsAtStripe(buyer: TestPlumber, leadId: string): Promise<Stripe.Refund[]> {
    const intent = (await intentsOf(buyer)).find((pi) => pi.metadata['lead_id'] === leadId);
    if (!intent) throw new Error(`no charge of lead ${leadId} at Stripe`);
    return (await stripe.refunds.list({ payment_intent: intent.id })).data;
  }

  const dollars = (cents: number) => `$${(cents / 100).toFixed(2)}`;

  /**
   * Credited in full, with no operator unless `decidedBy` says otherwise: refunded at Stripe, the lead
   * CREDITED, and the plumber told by SMS and by email.
   */
  async function expectRefundedAndTold(
    buyer: TestPlumber,
    lead: { leadId: string; priceCents: number; code: string },
    credit: credits.LeadCredit,
  ): Promise<void> {
    expect(credit).toMatchObject({
      status: 'credited',
      amountCents: lead.priceCents,
      plumberId: buyer.id,
    });
    const refunds = await refundsAtStripe(buyer, lead.leadId);
    expect(refunds.map((r) => [r.id, r.amount, r.status])).toEqual([
      [credit.refundId, lead.priceCents, 'succeeded'],
    ]);
    await leadWhen(lead.leadId, (l) => l.sale?.state === 'CREDITED', 'the lead CREDITED');
    const told = `Lead ${lead.code} credited: ${dollars(lead.priceCents)} refunded to your card`;
    await textWhen(buyer.phone, (t) => t.startsWith(told), 'the plumber told by SMS');
    const email = await stack.smtp.waitForEmail(
      (e) => e.to.includes(buyer.email) && e.subject.startsWith(`Lead ${lead.code} credited`),
      30_000,
    );
    expect(email.text).toContain(`We refunded ${dollars(lead.priceCents)} for lead ${lead.code}`);
  }

  // -------------------------------------------------------------------------------------------------
  // 1. Credits

  describe('credits asked for by SMS, credited within seconds for the objective reasons', () => {
    it("wrong number: the homeowner's confirmation SMS came back 30003; CREDIT by SMS is refunded at once", async () => {
      const buyer = await plumber('94102');
      const dead = homeowner();
      // Twilio will report the homeowner's number as unreachable (30003) for whatever is sent to it.
      const undeliverable = await fetch(`${stack.twilio.url}/__emulator/undeliverable`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phone: dead.phone, code: 30003 }),
      });
      expect(undeliverable.status).toBeLessThan(300);
      const lead = await postLead('94102', dead);
      const sold = await buyByYes(lead.leadId, buyer);
      const code = sold.sale?.code ?? '';
      // The confirmation SMS to the homeowner, as Twilio's API shows it: undelivered, 30003.
      await waitFor(
        async () =>
          (await twilioApi.messages.list({ to: dead.phone })).find(
            (m) => m.status === 'undelivered' && m.errorCode === 30003,
          ),
        { what: "the homeowner's confirmation undelivered", timeoutMs: 30_000 },
      );

      await textIn(buyer.phone, `CREDIT ${code} number disconnected`);
      const credit = await creditWhen(lead.leadId, (c) => c.status === 'credited', 'the credit refunded');
      expect(credit).toMatchObject({
        reason: 'wrong_number',
        channel: 'sms',
        automatic: true,
        decidedBy: 'system',
      });
      expect(credit.evidence).toContain('30003');
      await expectRefundedAndTold(buyer, { ...lead, code }, credit);
    });

    it('duplicate: the same homeowner asked for the same service again and it was sold to the same plumber', async () => {
      const buyer = await plumber('94103');
      const again = homeowner();
      const first = await postLead('94103', again);
      await buyByYes(first.leadId, buyer);
      // Intake refuses the same homeowner and service for 30 days: the first lead is made 31 days old
      // there, as time would (the only thing here not done through a public route).
      await db.query(`update intake.lead set created_at = created_at - interval '31 days' where id = $1`, [
        first.leadId,
      ]);
      const second = await postLead('94103', again);
      const sold = await sellByOperator(second.leadId, buyer);
      const code = sold.sale?.code ?? '';

      await textIn(buyer.phone, `CREDIT ${code} dup`);
      const credit = await creditWhen(
        second.leadId,
        (c) => c.status === 'credited',
        'the duplicate credited',
      );
      expect(credit).toMatchObject({ reason: 'duplicate', automatic: true, decidedBy: 'system' });
      await expectRefundedAndTold(buyer, { ...second, code }, credit);
      // The first sale stands.
      expect(await refundsAtStripe(buyer, first.leadId)).toEqual([]);
    });

    it.each([
      ['outside_area', 'outside my area', '94121', '94122', 'drain_cleaning'],
      ['not_my_service', 'not my service', '94123', '94123', 'water_heater'],
    ])(
      '%s: an operator sold it to a plumber who does not buy it; their CREDIT is refunded at once',
      async (reason, words, zip, buyerCovers, buyerBuys) => {
        // Someone buys this lead's service in its ZIP, or intake would not take it.
        await plumber(zip);
        const buyer = await plumber(buyerCovers, { services: [buyerBuys] });
        const lead = await postLead(zip);
        const sold = await sellByOperator(lead.leadId, buyer);
        const code = sold.sale?.code ?? '';
        await textIn(buyer.phone, `CREDIT ${code} ${words}`);
        const credit = await creditWhen(lead.leadId, (c) => c.status === 'credited', 'credited');
        expect(credit).toMatchObject({ reason, automatic: true, decidedBy: 'system' });
        await expectRefundedAndTold(buyer, { ...lead, code }, credit);
      },
    );

    it('not real: the homeowner answers the confirmation SMS with NO; credited with no request from the plumber', async () => {
      const buyer = await plumber('94104');
      const who = homeowner();
      const lead = await postLead('94104', who);
      const sold = await buyByYes(lead.leadId, buyer);
      const code = sold.sale?.code ?? '';
      await textWhen(who.phone, (t) => t.includes('Reply NO if you did not ask'), 'the confirmation SMS');

      await textIn(who.phone, 'NO');
      const credit = await creditWhen(lead.leadId, (c) => c.status === 'credited', "the homeowner's credit");
      expect(credit).toMatchObject({
        reason: 'not_real',
        channel: 'homeowner',
        requestedBy: 'homeowner',
        automatic: true,
      });
      await expectRefundedAndTold(buyer, { ...lead, code }, credit);
    });

    it('could not reach: waits in the operator queue with its evidence; approved from the console, refunded, the plumber told', async () => {
      const buyer = await plumber('94107');
      const lead = await postLead('94107');
      const sold = await buyByYes(lead.leadId, buyer);
      const code = sold.sale?.code ?? '';

      await textIn(buyer.phone, `CREDIT ${code} could not reach them after 3 calls`);
      const waiting = await creditWhen(lead.leadId, (c) => c.status === 'review', 'the request in the queue');
      expect(waiting).toMatchObject({
        reason: 'could_not_reach',
        automatic: false,
        channel: 'sms',
        returnRate: 0,
      });
      await textWhen(
        buyer.phone,
        (t) => t.startsWith(`We got your credit request for lead ${code}`),
        'the request acknowledged by SMS',
      );
      expect(await refundsAtStripe(buyer, lead.leadId)).toEqual([]);
      const queue = await admin('GET', `/credits?status=review&plumberId=${buyer.id}`);
      expect(queue).toMatchObject({ status: 200, body: { items: [{ id: waiting.id }] } });

      const approved = await admin('POST', `/credits/${waiting.id}/approve`, { note: 'called twice' });
      expect(approved).toMatchObject({
        status: 200,
        body: { status: 'approved', decidedBy: DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'] },
      });
      const credit = await creditWhen(lead.leadId, (c) => c.status === 'credited', 'the approved credit');
      expect(credit).toMatchObject({ automatic: false, decisionNote: 'called twice' });
      await expectRefundedAndTold(buyer, { ...lead, code }, credit);
    });
  });

  // -------------------------------------------------------------------------------------------------
  // 2. Caps

  describe('caps', () => {
    /**
     * Where each run plays: the capped plumber's base is the leads' ZIP (the nearest to them), three
     * others farther away cover it too; their first two sales of the day are leads of `earlierZip`; a
     * spare plumber from `spareBase` is there for the lead after.
     */
    const zones = {
      together: {
        zip: '94110',
        others: ['94114', '94131', '94124'],
        earlierZip: '94111',
        spareBase: '94127',
      },
      yesFirst: {
        zip: '94133',
        others: ['94108', '94109', '94104'],
        earlierZip: '94132',
        spareBase: '94105',
      },
    };

    it.each([
      ['their YES and two operator sales at the same instant', 'together'],
      ['their YES a moment ahead of two operator sales at the same instant', 'yesFirst'],
    ] as const)(
      'a plumber at 2 of a daily cap of 3, %s: exactly one more sale to them',
      async (_what, how) => {
        const zone = zones[how];
        // The capped plumber covers the ZIP from there (nearest to its leads); three others farther out.
        const capped = await plumber(zone.zip, { dailyCap: 3 });
        const others: TestPlumber[] = [];
        for (const base of zone.others) others.push(await plumber(base, { coverage: [zone.zip] }));
        // Two sales today already: leads elsewhere, sold to them by an operator (caps count every sale).
        await plumber(zone.earlierZip);
        for (let i = 0; i < 2; i++) await sellByOperator((await postLead(zone.earlierZip)).leadId, capped);
        expect(
          await waitFor(async () => {
            const stats = field((await admin('GET', `/plumbers/${capped.id}`)).body, 'leadStats');
            const today = field(field(stats, 'usage'), 'today');
            return today === 2 && stats;
          }),
        ).toMatchObject({ usage: { today: 2, atCap: null } });
        expect((await intentsOf(capped)).filter((pi) => pi.status === 'succeeded')).toHaveLength(2);

        // Lead A offered to them (the nearest); B and C to others (they hold A's offer).
        const a = await postLead(zone.zip);
        const offeredA = await leadWhen(
          a.leadId,
          (l) => pendingOffer(l)?.plumberId === capped.id,
          'lead A offered to the capped plumber',
        );
        const b = await postLead(zone.zip);
        await leadWhen(b.leadId, (l) => pendingOffer(l) !== undefined, 'lead B offered');
        const c = await postLead(zone.zip);
        await leadWhen(c.leadId, (l) => pendingOffer(l) !== undefined, 'lead C offered');

        const secondOperator = await login();
        const yes = () => textIn(capped.phone, `YES ${offeredA.sale?.code ?? ''}`);
        const operatorSales = () =>
          Promise.all([
            admin('POST', `/leads/${b.leadId}/assign`, { plumberId: capped.id }),
            admin('POST', `/leads/${c.leadId}/assign`, { plumberId: capped.id }, secondOperator),
          ]);
        let saleB: Reply;
        let saleC: Reply;
        if (how === 'together') {
          // Their YES for A and two operators selling them B and C, sent at once. (The YES goes the longer
          // way, through messaging and JetStream, so one of the operators' usually gets there first.)
          [, [saleB, saleC]] = await Promise.all([yes(), operatorSales()]);
        } else {
          // Their YES is being charged when the two operators sell them B and C at once.
          await yes();
          await leadWhen(a.leadId, (l) => l.sale?.buyer?.id === capped.id, 'their YES taken');
          [saleB, saleC] = await operatorSales();
          expect([saleB.status, saleC.status]).toEqual([409, 409]);
        }
        for (const sale of [saleB, saleC]) {
          expect([200, 409]).toContain(sale.status);
          if (sale.status === 409) expect(sale.body).toMatchObject({ code: 'PLUMBER_AT_CAP' });
        }

        // Each lead settles: sold to them, or on offer to someone else (their offer closed).
        const ids = [a.leadId, b.leadId, c.leadId];
        const settled = await Promise.all(
          ids.map((id) =>
            leadWhen(
              id,
              (l) =>
                soldTo(l, capped) ||
                (l.sale?.state === 'OFFERED' &&
                  pendingOffer(l) !== undefined &&
                  pendingOffer(l)?.plumberId !== capped.id &&
                  l.offers.every((o) => o.plumberId !== capped.id || o.status !== 'PENDING')),
              'the lead sold to them or on offer to another',
            ),
          ),
        );
        const theirs = settled.filter((l) => soldTo(l, capped));
        expect(theirs).toHaveLength(1);
        expect([saleB, saleC].filter((s) => s.status === 200).length).toBe(
          theirs[0]?.id === a.leadId ? 0 : 1,
        );
        const succeeded = async () =>
          (await intentsOf(capped))
            .filter((pi) => pi.status === 'succeeded')
            .map((pi) => pi.metadata['lead_id']);
        expect((await succeeded()).length).toBe(3);
        expect(await succeeded()).toContain(theirs[0]?.id);

        // The other two go on to other plumbers, who buy them.
        for (const lead of settled.filter((l) => !soldTo(l, capped))) {
          const to = others.find((p) => p.id === pendingOffer(lead)?.plumberId);
          if (!to) throw new Error(`lead ${lead.id} offered to nobody of the others`);
          await textIn(to.phone, `YES ${lead.sale?.code ?? ''}`);
          await leadWhen(lead.id, (l) => soldTo(l, to), 'the lead sold to another plumber');
        }
        expect(await succeeded()).toHaveLength(3);
        if (theirs[0]?.id !== a.leadId) {
          // Their YES lost: they were told it was not sold to them.
          await textWhen(
            capped.phone,
            (t) => t.startsWith('You have reached one of your lead caps'),
            'the refused YES answered',
          );
          const afterA = await leadWhen(a.leadId, (l) => l.sale?.state === 'ASSIGNED', 'lead A sold');
          expect(afterA.offers.find((o) => o.plumberId === capped.id)).toMatchObject({
            status: 'CANCELED',
            reason: 'cap reached',
          });
        }
        // Told once that they reached the cap.
        await textWhen(
          capped.phone,
          (t) => t.startsWith("You've reached your daily cap of 3 leads"),
          'the cap-reached SMS',
        );
        expect((await textsTo(capped.phone)).filter((t) => t.startsWith("You've reached"))).toHaveLength(1);

        // The next lead is not offered to them, though they are the nearest: the console says why.
        await plumber(zone.spareBase, { coverage: [zone.zip] }); // someone surely free to take it
        const next = await postLead(zone.zip);
        const offeredNext = await leadWhen(
          next.leadId,
          (l) => pendingOffer(l) !== undefined,
          'the next lead offered',
        );
        expect(offeredNext.offers.map((o) => o.plumberId)).not.toContain(capped.id);
        const sellTo = await admin('GET', `/leads/${next.leadId}/plumbers`);
        expect(sellTo.status).toBe(200);
        const items = field(sellTo.body, 'items');
        expect(Array.isArray(items) && items.find((p) => field(p, 'plumberId') === capped.id)).toMatchObject({
          usage: { today: 3, atCap: 'daily' },
        });
        // And an operator's sale to them is refused with the cap named.
        expect(await admin('POST', `/leads/${next.leadId}/assign`, { plumberId: capped.id })).toMatchObject({
          status: 409,
          body: { code: 'PLUMBER_AT_CAP' },
        });
      },
    );

    it('PAUSE by SMS stops lead offers, RESUME starts them again', async () => {
      const nearest = await plumber('94115');
      const farther = await plumber('94118', { coverage: ['94115'] });

      await textIn(nearest.phone, 'PAUSE');
      await textWhen(nearest.phone, (t) => t.startsWith('Offers paused'), 'PAUSE confirmed');
      await waitFor(async () => !(await plumberNow(nearest.id)).available, { what: 'paused' });
      const whilePaused = await postLead('94115');
      const offered = await leadWhen(whilePaused.leadId, (l) => pendingOffer(l) !== undefined, 'offered');
      expect(offered.offers.map((o) => o.plumberId)).toEqual([farther.id]);

      await textIn(nearest.phone, 'RESUME');
      await textWhen(nearest.phone, (t) => t.startsWith('Offers resumed'), 'RESUME confirmed');
      await waitFor(async () => (await plumberNow(nearest.id)).available, { what: 'resumed' });
      const afterResume = await postLead('94115');
      const offeredAgain = await leadWhen(
        afterResume.leadId,
        (l) => pendingOffer(l) !== undefined,
        'offered',
      );
      expect(offeredAgain.offers.map((o) => o.plumberId)).toEqual([nearest.id]);
      await textWhen(
        nearest.phone,
        (t) => t.startsWith(`Lead ${offeredAgain.sale?.code ?? ''}:`),
        'the offer texted after RESUME',
      );
    });
  });

  // -------------------------------------------------------------------------------------------------
  // 3. Partner webhooks

  describe("a partner's webhooks", () => {
    interface Received {
      signature: string;
      raw: string;
      answered: number;
    }
    let server: Server;
    const received: Received[] = [];

    beforeAll(async () => {
      // The partner's endpoint: fails the first POST with a 500, takes every later one.
      server = createServer((request, response) => {
        let raw = '';
        request.setEncoding('utf8');
        request.on('data', (chunk: string) => (raw += chunk));
        request.on('end', () => {
          const answered = received.length === 0 ? 500 : 200;
          const header = request.headers['trades-signature'];
          received.push({ signature: typeof header === 'string' ? header : '', raw, answered });
          response
            .writeHead(answered, { 'content-type': 'text/plain' })
            .end(answered === 200 ? 'ok' : 'oops');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    /** The partner's check, exactly as services/intake/README.md (Partners, Webhooks) documents it. */
    function verifyTradesSignature(secret: string, rawBody: string, header: string, toleranceSeconds = 300) {
      const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2)));
      const t = Number(parts['t']);
      const v1: string = parts['v1'] ?? '';
      if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return false;
      if (Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
      const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
      return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
    }

    const bodies = () =>
      received.map((r) => {
        const parsed: unknown = JSON.parse(r.raw);
        if (!webhookBody.Check(parsed)) throw new Error(`not a webhook body: ${r.raw}`);
        return { ...r, body: parsed };
      });
    const deliveredOf = (type: string) => bodies().filter((r) => r.body.type === type && r.answered === 200);

    it('gets lead.accepted (retried after a 500), lead.sold and lead.credited, each once, each signed', async () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/trades`;
      const created = await admin('POST', '/partners', { name: 'Webhook Leads LLC', webhookUrl: url });
      expect(created.status).toBe(201);
      const partnerId = idOf(created.body);
      const rotated = await admin('POST', `/partners/${partnerId}/webhook-secret`);
      expect(rotated.status).toBe(201);
      const secret = String(field(rotated.body, 'secret'));
      expect(secret).toMatch(/^whsec_/);
      const key = await keyFor(partnerId);
      const buyer = await plumber('94116');

      const lead = await postLead('94116', homeowner(), { key, externalId: 'wl-1001' });
      // The first attempt is answered 500; the same delivery comes again and is taken.
      const [accepted] = await waitFor(
        () => deliveredOf('lead.accepted').length > 0 && deliveredOf('lead.accepted'),
        {
          what: 'lead.accepted taken after a retry',
          timeoutMs: 60_000,
        },
      );
      expect(received[0]?.answered).toBe(500);
      expect(JSON.parse(received[0]?.raw ?? '{}')).toMatchObject({
        id: accepted?.body.id,
        type: 'lead.accepted',
      });
      expect(accepted?.body.data).toMatchObject({ leadId: lead.leadId, externalId: 'wl-1001' });

      await buyByYes(lead.leadId, buyer);
      const [soldHook] = await waitFor(
        () => deliveredOf('lead.sold').length > 0 && deliveredOf('lead.sold'),
        {
          what: 'lead.sold',
        },
      );
      expect(soldHook?.body.data).toMatchObject({
        leadId: lead.leadId,
        externalId: 'wl-1001',
        status: 'assigned',
        priceCents: lead.priceCents,
        creditedCents: 0,
      });

      const credit = await admin('POST', `/leads/${lead.leadId}/credits`, {
        amountCents: lead.priceCents,
        reason: 'not_real',
        note: 'the partner says the homeowner never asked',
      });
      expect(credit).toMatchObject({ status: 201, body: { status: 'approved', channel: 'console' } });
      await creditWhen(lead.leadId, (c) => c.status === 'credited', 'credited');
      const [creditedHook] = await waitFor(
        () => deliveredOf('lead.credited').length > 0 && deliveredOf('lead.credited'),
        { what: 'lead.credited' },
      );
      expect(creditedHook?.body.data).toMatchObject({
        leadId: lead.leadId,
        creditedCents: lead.priceCents,
      });
      expect(await refundsAtStripe(buyer, lead.leadId)).toHaveLength(1);

      // The operator's view: three deliveries, each delivered, the first after two attempts.
      const deliveries = await waitFor(
        async () => {
          const got = await admin('GET', `/partners/${partnerId}/deliveries`);
          const items = field(got.body, 'items');
          return (
            Array.isArray(items) &&
            items.length === 3 &&
            items.every((d) => field(d, 'status') === 'delivered') &&
            (items as partners.WebhookDelivery[])
          );
        },
        { what: 'three deliveries delivered' },
      );
      const byOutcome = Object.fromEntries(deliveries.map((d) => [d.outcome, d]));
      expect(Object.keys(byOutcome).sort()).toEqual(['accepted', 'credited', 'sold']);
      expect(byOutcome['accepted']).toMatchObject({
        id: accepted?.body.id,
        attempts: 2,
        lastStatusCode: 200,
      });
      expect(byOutcome['sold']).toMatchObject({ id: soldHook?.body.id, attempts: 1, lastStatusCode: 200 });
      expect(byOutcome['credited']).toMatchObject({ id: creditedHook?.body.id, attempts: 1 });

      // Each outcome taken once, in order, and every POST signed as documented.
      const taken = bodies().filter((r) => r.answered === 200);
      expect(taken.map((r) => r.body.type)).toEqual(['lead.accepted', 'lead.sold', 'lead.credited']);
      expect(new Set(taken.map((r) => r.body.id)).size).toBe(3);
      for (const r of received) expect(verifyTradesSignature(secret, r.raw, r.signature)).toBe(true);
      expect(
        verifyTradesSignature('whsec_not_the_secret', received[1]?.raw ?? '', received[1]?.signature ?? ''),
      ).toBe(false);
    });
  });
});
