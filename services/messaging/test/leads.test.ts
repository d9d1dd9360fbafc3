// The lead sale's texts and emails: dispatch's lead events in, SMS out through the Twilio emulator (the
// real SDK) and email out through the testkit's SMTP sink. A redelivered event sends nothing more.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CONSUMERS, credits, leads, messaging, type EventContract, type EventData } from '@trades/contracts';
import { DEVELOPMENT_DEFAULTS, encodeJson, startService, type RunningService } from '@trades/runtime';
import {
  consumerSettled,
  migrateService,
  resetJetStream,
  serviceEnv,
  startSmtpSink,
  waitFor,
  type SmtpSink,
} from '@trades/testkit';
import { createTwilioEmulator, type TwilioEmulator } from '@trades/twilio-emulator';
import { createTwilioClient, type TwilioClient } from '../src/adapters/twilio-client.ts';
import { messagingService } from '../src/app.ts';
import { capTemplates, creditTemplates, leadTemplates } from '../src/domain/templates.ts';

jest.setTimeout(60_000);

const secrets = {
  TWILIO_ACCOUNT_SID: DEVELOPMENT_DEFAULTS['TWILIO_ACCOUNT_SID'] ?? '',
  TWILIO_AUTH_TOKEN: DEVELOPMENT_DEFAULTS['TWILIO_AUTH_TOKEN'] ?? '',
  TWILIO_PHONE_NUMBER: DEVELOPMENT_DEFAULTS['TWILIO_PHONE_NUMBER'] ?? '',
};
const FRONTEND_URL = 'https://app.trades.test/';

let twilio: TwilioEmulator;
let twilioApi: TwilioClient;
let sink: SmtpSink;
let messagingRunning: RunningService<unknown>;

beforeAll(async () => {
  await resetJetStream();
  await migrateService(messagingService);
  sink = await startSmtpSink();
  twilio = await createTwilioEmulator({
    accountSid: secrets.TWILIO_ACCOUNT_SID,
    authToken: secrets.TWILIO_AUTH_TOKEN,
    phoneNumber: secrets.TWILIO_PHONE_NUMBER,
    statusStepMs: 20,
  });
  twilioApi = createTwilioClient({
    accountSid: secrets.TWILIO_ACCOUNT_SID,
    authToken: secrets.TWILIO_AUTH_TOKEN,
    apiBase: twilio.url,
  });
  messagingRunning = await startService(
    messagingService,
    serviceEnv({
      ...secrets,
      TWILIO_API_BASE: twilio.url,
      // Nobody answers status callbacks here: these tests read what reached Twilio, not its callbacks.
      BASE_URL: 'http://127.0.0.1:9',
      FRONTEND_URL,
      SMTP_URL: sink.url,
      EMAIL_FROM: 'Trades Marketplace <no-reply@trades.test>',
    }),
  );
});

afterAll(async () => {
  await messagingRunning?.stop();
  await twilio?.close();
  await sink?.close();
});

async function publish<E extends EventContract>(contract: E, data: EventData<E>): Promise<string> {
  const id = randomUUID();
  await messagingRunning.ctx.js.publish(
    contract.subject,
    encodeJson({ id, occurredAt: new Date().toISOString(), data }),
    { msgID: id },
  );
  return id;
}

/** Every phone number and address of a test is its own, so tests never read each other's messages. */
let sequence = 160;
const phone = () => `+1415555${String(sequence++).padStart(4, '0')}`;
const email = (who: string) => `${who}-${randomUUID().slice(0, 8)}@example.test`;

const sentTo = async (to: string) =>
  (await twilioApi.messages.list({ to })).filter((m) => m.direction !== 'inbound').map((m) => m.body);

const textsTo = (to: string, count: number, what: string) =>
  waitFor(
    async () => {
      const bodies = await sentTo(to);
      return bodies.length >= count ? bodies : undefined;
    },
    { what },
  );

/**
 * Waits until the consumer has handled everything published so far and this lead's messages have left
 * (other suites share the database: their pending messages are not this test's business).
 */
async function settled(leadId: string): Promise<void> {
  await waitFor(() => consumerSettled(messagingRunning.ctx.nc, CONSUMERS.messagingOffers), {
    what: 'the consumer caught up',
  });
  await waitFor(
    async () => {
      const { items } = await messagingRunning.ctx.call(messaging.MessageList, { leadId, limit: 200 });
      return items.every((m) => m.status !== 'pending') ? true : undefined;
    },
    { what: 'no message left pending' },
  );
}

interface Plumber {
  id: string;
  phone: string;
  email: string;
  name: string;
}
const plumber = (name: string): Plumber => ({
  id: randomUUID(),
  phone: phone(),
  email: email('plumber'),
  name,
});

function offerSent(lead: { id: string; code: string }, to: Plumber): EventData<typeof leads.LeadOfferSent> {
  const offerId = randomUUID();
  return {
    offerId,
    leadId: lead.id,
    leadCode: lead.code,
    providerId: to.id,
    providerName: to.name,
    providerPhone: to.phone,
    providerEmail: to.email,
    wave: 1,
    serviceCode: 'drain_cleaning',
    serviceName: 'Drain cleaning',
    urgency: 'day',
    zipCode: '94105',
    priceCents: 4500,
    distanceKm: 2.4,
    expiresAt: new Date(Date.now() + 5 * 60_000).toISOString(),
    acceptToken: `${offerId}.${'Ab_-'.repeat(11)}`,
  };
}

function offerClosed(
  offer: EventData<typeof leads.LeadOfferSent>,
  status: EventData<typeof leads.LeadOfferClosed>['status'],
  reason: string,
  inLine = false,
): EventData<typeof leads.LeadOfferClosed> {
  return {
    offerId: offer.offerId,
    leadId: offer.leadId,
    leadCode: offer.leadCode,
    providerId: offer.providerId,
    providerName: offer.providerName,
    providerPhone: offer.providerPhone,
    providerEmail: offer.providerEmail,
    status,
    reason,
    responseSeconds: 12,
    inLine,
  };
}

const HOMEOWNER = () => ({
  firstName: 'Dana',
  lastName: 'Whitfield',
  email: email('dana'),
  phone: phone(),
});

function sold(
  lead: { id: string; code: string },
  buyer: Plumber,
  homeowner: ReturnType<typeof HOMEOWNER>,
  state: 'ASSIGNED' | 'COMPLETED' = 'ASSIGNED',
): EventData<typeof leads.LeadAssigned> {
  return {
    leadId: lead.id,
    leadCode: lead.code,
    state,
    previousState: state === 'ASSIGNED' ? 'CHARGING' : 'ASSIGNED',
    cause: 'charged',
    actor: 'payments',
    at: new Date().toISOString(),
    priceCents: 4500,
    serviceCode: 'drain_cleaning',
    serviceName: 'Drain cleaning',
    urgency: 'day',
    zipCode: '94105',
    homeowner,
    description: 'Kitchen sink backs up; water under the cabinet. Gate code 4411.',
    partnerId: null,
    buyer: { id: buyer.id, name: buyer.name, phone: buyer.phone, email: buyer.email },
    chargeAttempt: 1,
    creditToken: creditToken(lead.id),
  };
}

/** A credit link token of dispatch's shape (`<leadId>.<signature>`); messaging only puts it in a link. */
const creditToken = (leadId: string) => `${leadId}.${'Cr_-'.repeat(11)}`;

const newLead = () => ({ id: randomUUID(), code: String(1000 + (sequence % 9000)) });

describe('lead sale messages', () => {
  it('offers a lead by SMS and by email with its accept link, naming no homeowner, once', async () => {
    const lead = newLead();
    const rosa = plumber('Rosa Delgado');
    const offer = offerSent(lead, rosa);
    await publish(leads.LeadOfferSent, offer);

    const [sms] = await textsTo(rosa.phone, 1, 'the offer SMS');
    expect(sms).toBe(
      `Lead ${lead.code}: Drain cleaning, needed within a day, ZIP 94105. Price $45.00. ` +
        `Reply YES ${lead.code} to buy it (charged to your card on file), NO to pass. Expires in 5 min.`,
    );
    const mail = await sink.waitForEmail((m) => m.to.includes(rosa.email));
    expect(mail.subject).toBe(`Lead ${lead.code}: Drain cleaning in 94105, $45.00`);
    const link = `https://app.trades.test/lead-offer/${offer.acceptToken}`;
    expect(mail.text).toContain(`Buy it: ${link}`);
    expect(mail.text).toContain(`reply YES ${lead.code}`);
    expect(mail.html).toContain(`<a href="${link}">`);

    // Dispatch publishing the same offer again (a retried outbox relay, a new event id) sends nothing more.
    await publish(leads.LeadOfferSent, offer);
    await settled(lead.id);
    expect(await sentTo(rosa.phone)).toHaveLength(1);
    expect(sink.to(rosa.email)).toHaveLength(1);
    const logged = await messagingRunning.ctx.call(messaging.MessageList, { leadId: lead.id, limit: 10 });
    expect(logged.items.map((m) => [m.channel, m.purpose]).sort()).toEqual([
      ['email', `lead-offer-email:${offer.offerId}`],
      ['sms', `lead-offer:${offer.offerId}`],
    ]);
  });

  it("sends the buyer the homeowner's details and the homeowner the plumber's name, once", async () => {
    const lead = newLead();
    const rosa = plumber('Rosa Delgado');
    const homeowner = HOMEOWNER();
    const sale = sold(lead, rosa, homeowner);
    await publish(leads.LeadAssigned, sale);

    const [bought] = await textsTo(rosa.phone, 1, "the buyer's SMS");
    expect(bought).toBe(
      `You bought lead ${lead.code} ($45.00 charged): Drain cleaning, ZIP 94105. Homeowner: Dana Whitfield, ` +
        `(415) 555-${homeowner.phone.slice(-4)}, ${homeowner.email}. ` +
        `"Kitchen sink backs up; water under the cabinet. Gate code 4411." ` +
        `Call them soon. Reply DONE ${lead.code} when the job is done.`,
    );
    const buyerMail = await sink.waitForEmail((m) => m.to.includes(rosa.email));
    expect(buyerMail.subject).toBe(`Lead ${lead.code} is yours: Dana Whitfield, Drain cleaning`);
    expect(buyerMail.text).toContain(`Phone: (415) 555-${homeowner.phone.slice(-4)}`);
    expect(buyerMail.text).toContain(`Email: ${homeowner.email}`);
    expect(buyerMail.text).toContain('Kitchen sink backs up; water under the cabinet. Gate code 4411.');
    const creditLink = `https://app.trades.test/lead-credit/${creditToken(lead.id)}`;
    expect(buyerMail.text).toContain(`Bad lead? Ask for a credit within 7 days of the sale: ${creditLink}`);
    expect(buyerMail.text).toContain(`reply CREDIT ${lead.code}`);
    expect(buyerMail.text).toContain('wrong or disconnected number; duplicate of a lead I bought;');
    expect(buyerMail.html).toContain(`<a href="${creditLink}">`);

    const homeownerMail = await sink.waitForEmail((m) => m.to.includes(homeowner.email));
    expect(homeownerMail.subject).toBe('Rosa Delgado will contact you about your plumbing request');
    expect(homeownerMail.text).toContain(`Phone: (415) 555-${rosa.phone.slice(-4)}`);
    const [toHomeowner] = await textsTo(homeowner.phone, 1, "the homeowner's SMS");
    expect(toHomeowner).toBe(
      `Hi Dana, Rosa Delgado, a local plumber, will call you about your drain cleaning request. ` +
        `Their number: (415) 555-${rosa.phone.slice(-4)}. Reply STOP to opt out. ` +
        `Reply NO if you did not ask for a plumber.`,
    );

    await publish(leads.LeadAssigned, sale);
    await publish(leads.LeadCompleted, sold(lead, rosa, homeowner, 'COMPLETED'));
    await textsTo(rosa.phone, 2, 'the completion SMS');
    await settled(lead.id);
    const toRosa = await sentTo(rosa.phone);
    expect(toRosa).toHaveLength(2);
    expect(toRosa).toContain(`Lead ${lead.code} is marked complete. Thanks for your work!`);
    expect(await sentTo(homeowner.phone)).toHaveLength(1);
    expect(sink.to(rosa.email)).toHaveLength(1);
    expect(sink.to(homeowner.email)).toHaveLength(1);
  });

  it('tells the others the lead was sold, once each, and the one in line that the plumber ahead bought it', async () => {
    const lead = newLead();
    const [ahead, inLine, late] = [plumber('Ann Ahead'), plumber('Ian Line'), plumber('Lou Late')];
    const offers = [ahead, inLine, late].map((p) => offerSent(lead, p));
    for (const offer of offers) await publish(leads.LeadOfferSent, offer);
    for (const p of [ahead, inLine, late]) await textsTo(p.phone, 1, 'the offer SMS');

    const [, inLineOffer, lateOffer] = offers;
    if (!inLineOffer || !lateOffer) throw new Error('three offers');
    const {
      status: _s,
      reason: _r,
      responseSeconds: _t,
      inLine: _i,
      ...ref
    } = offerClosed(inLineOffer, 'PENDING', '');
    await publish(leads.LeadOfferQueued, { ...ref, position: 1 });
    await publish(leads.LeadOfferClosed, offerClosed(inLineOffer, 'CANCELED', 'lead sold', true));
    await publish(leads.LeadOfferClosed, offerClosed(lateOffer, 'CANCELED', 'lead sold'));
    // Their YES crossed the "sold" text: they are told once, not twice.
    await publish(leads.LeadReplyRejected, {
      providerId: late.id,
      providerPhone: late.phone,
      channel: 'sms',
      reason: 'lead_sold',
      leadId: lead.id,
      leadCode: lead.code,
    });

    await settled(lead.id);
    const inLineTexts = await sentTo(inLine.phone);
    expect(inLineTexts).toHaveLength(3);
    expect(inLineTexts).toEqual(
      expect.arrayContaining([
        leadTemplates.nextInLine(lead.code, 1),
        `Lead ${lead.code} was sold: the plumber ahead of you completed the purchase. Your card was not charged.`,
      ]),
    );
    // Whichever of the two events messaging handled first decided the words; there is one text either way.
    const lateTexts = await sentTo(late.phone);
    expect(lateTexts).toHaveLength(2);
    expect(
      lateTexts.filter(
        (body) =>
          body === leadTemplates.soldToAnother(lead.code) ||
          body === leadTemplates.replyRejected('lead_sold', lead.code),
      ),
    ).toHaveLength(1);
    // The buyer's own offer closes ACCEPTED: lead.assigned tells them, not this.
    expect(await sentTo(ahead.phone)).toHaveLength(1);
  });

  it('tells a plumber whose card did not go through, and answers expiry and NO', async () => {
    const lead = newLead();
    const [card, slow, no] = [plumber('Cara Card'), plumber('Sol Slow'), plumber('Nora No')];
    const offers = [card, slow, no].map((p) => offerSent(lead, p));
    for (const offer of offers) await publish(leads.LeadOfferSent, offer);
    for (const p of [card, slow, no]) await textsTo(p.phone, 1, 'the offer SMS');
    const [cardOffer, slowOffer, noOffer] = offers;
    if (!cardOffer || !slowOffer || !noOffer) throw new Error('three offers');

    await publish(
      leads.LeadOfferClosed,
      offerClosed(cardOffer, 'FAILED', 'card did not go through (card_declined)'),
    );
    await publish(leads.LeadOfferClosed, offerClosed(slowOffer, 'EXPIRED', 'no reply in time'));
    await publish(leads.LeadOfferClosed, offerClosed(noOffer, 'DECLINED', 'declined by SMS'));

    expect(await textsTo(card.phone, 2, 'the card SMS')).toContain(
      `Your card did not go through for lead ${lead.code}, so you did not get it and were not charged. ` +
        `We'll text you a link to update your card.`,
    );
    expect(await textsTo(slow.phone, 2, 'the expiry SMS')).toContain(
      `Lead ${lead.code} offer expired. Reply UNAVAILABLE to pause lead offers.`,
    );
    expect(await textsTo(no.phone, 2, 'the NO confirmation')).toContain(
      `OK, you passed on lead ${lead.code}. We'll text you the next one.`,
    );
  });

  it('answers a YES by SMS that came too late, but not one through the accept page', async () => {
    const lead = newLead();
    const slow = plumber('Sol Slow');
    await publish(leads.LeadReplyRejected, {
      providerId: slow.id,
      providerPhone: slow.phone,
      channel: 'link',
      reason: 'offer_expired',
      leadId: lead.id,
      leadCode: lead.code,
    });
    await publish(leads.LeadReplyRejected, {
      providerId: slow.id,
      providerPhone: slow.phone,
      channel: 'sms',
      reason: 'offer_expired',
      leadId: lead.id,
      leadCode: lead.code,
    });
    await settled(lead.id);
    expect(await sentTo(slow.phone)).toEqual([
      `Sorry, the offer for lead ${lead.code} expired before your reply reached us. Your card was not charged.`,
    ]);
  });
});

function credit(
  lead: { id: string; code: string },
  to: Plumber,
  fields: Partial<credits.LeadCredit> = {},
): credits.LeadCredit {
  return {
    id: randomUUID(),
    leadId: lead.id,
    leadCode: lead.code,
    serviceName: 'Drain cleaning',
    zipCode: '94105',
    priceCents: 4500,
    plumberId: to.id,
    plumberName: to.name,
    plumberPhone: to.phone,
    plumberEmail: to.email,
    reason: 'could_not_reach',
    note: 'Called three times, voicemail full',
    channel: 'sms',
    status: 'review',
    amountCents: 4500,
    automatic: false,
    evidence: null,
    returnRate: 0,
    flagged: false,
    requestedBy: to.id,
    decidedBy: null,
    decisionNote: null,
    refundId: null,
    failure: null,
    requestedAt: new Date().toISOString(),
    decidedAt: null,
    creditedAt: null,
    ...fields,
  };
}

describe('credit and cap messages', () => {
  it('acknowledges a request waiting for an operator, then tells the refund by SMS and email, once each', async () => {
    const lead = newLead();
    const rosa = plumber('Rosa Delgado');
    const asked = credit(lead, rosa);
    await publish(credits.CreditRequested, { credit: asked });
    await publish(credits.CreditRequested, { credit: asked });
    const [received] = await textsTo(rosa.phone, 1, 'the acknowledgement');
    expect(received).toBe(
      `We got your credit request for lead ${lead.code} (could not reach after trying). ` +
        `We're still checking it: the homeowner's reply or a bounced number credits it at once; otherwise an operator decides today. We'll text you the outcome.`,
    );

    const refunded = {
      ...asked,
      status: 'credited' as const,
      refundId: 're_123',
      creditedAt: new Date().toISOString(),
    };
    await publish(credits.CreditRefunded, { credit: refunded, leadCreditedCents: 4500, partnerId: null });
    await publish(credits.CreditRefunded, { credit: refunded, leadCreditedCents: 4500, partnerId: null });
    const texts = await textsTo(rosa.phone, 2, 'the refund SMS');
    expect(texts).toContain(
      `Lead ${lead.code} credited: $45.00 refunded to your card. Banks take 5-10 days to show it.`,
    );
    const mail = await sink.waitForEmail((m) => m.to.includes(rosa.email));
    expect(mail.subject).toBe(`Lead ${lead.code} credited: $45.00 refunded`);
    expect(mail.text).toContain('Reason: Could not reach after trying');
    expect(mail.text).toContain('Credited on this lead in all: $45.00 of $45.00');

    await settled(lead.id);
    expect(await sentTo(rosa.phone)).toHaveLength(2);
    expect(sink.to(rosa.email)).toHaveLength(1);
    const logged = await messagingRunning.ctx.call(messaging.MessageList, { leadId: lead.id, limit: 10 });
    expect(logged.items.map((m) => [m.channel, m.purpose, m.providerId]).sort()).toEqual([
      ['email', `lead-credit-refunded-email:${asked.id}`, rosa.id],
      ['sms', `lead-credit-received:${asked.id}`, rosa.id],
      ['sms', `lead-credit-refunded:${asked.id}`, rosa.id],
    ]);
  });

  it('says nothing of an approval (the refund is the news), nor of a credit the plumber did not ask for', async () => {
    const lead = newLead();
    const rosa = plumber('Rosa Delgado');
    await publish(credits.CreditRequested, {
      credit: credit(lead, rosa, { status: 'approved', automatic: true }),
    });
    await publish(credits.CreditRequested, {
      credit: credit(lead, rosa, { channel: 'homeowner', reason: 'not_real', requestedBy: 'homeowner' }),
    });
    await publish(credits.CreditRequested, {
      credit: credit(lead, rosa, { channel: 'console', status: 'approved', requestedBy: 'ops@trades.test' }),
    });
    await settled(lead.id);
    expect(await sentTo(rosa.phone)).toEqual([]);
    expect(sink.to(rosa.email)).toEqual([]);
  });

  it("tells a denial with the operator's note by SMS and email", async () => {
    const lead = newLead();
    const rosa = plumber('Rosa Delgado');
    const denied = credit(lead, rosa, {
      status: 'denied',
      decidedBy: 'ops@trades.test',
      decisionNote: 'The homeowner confirmed your visit on Tuesday.',
      decidedAt: new Date().toISOString(),
    });
    await publish(credits.CreditDenied, { credit: denied });
    await publish(credits.CreditDenied, { credit: denied });
    const [sms] = await textsTo(rosa.phone, 1, 'the denial SMS');
    expect(sms).toBe(
      `Your credit request for lead ${lead.code} was declined: The homeowner confirmed your visit on Tuesday. ` +
        `Questions? Reply HELP.`,
    );
    const mail = await sink.waitForEmail((m) => m.to.includes(rosa.email));
    expect(mail.subject).toBe(`Lead ${lead.code}: your credit request was declined`);
    expect(mail.text).toContain("The operator's note:\nThe homeowner confirmed your visit on Tuesday.");
    expect(mail.text).toContain('Your note: Called three times, voicemail full');
    await settled(lead.id);
    expect(await sentTo(rosa.phone)).toHaveLength(1);
    expect(sink.to(rosa.email)).toHaveLength(1);
  });

  it("texts back dispatch's reason a CREDIT could not be taken, once per event", async () => {
    const rosa = plumber('Rosa Delgado');
    const rejected = {
      providerId: rosa.id,
      providerPhone: rosa.phone,
      leadCode: null,
      code: 'NO_SUCH_LEAD',
      message:
        'Which lead? Reply CREDIT and the 4-digit lead code, then the reason: CREDIT 4821 wrong number.',
    };
    const id = await publish(credits.CreditRequestRejected, rejected);
    // Dispatch's outbox relay re-sending the same event (same id): a no-op.
    await messagingRunning.ctx.js.publish(
      credits.CreditRequestRejected.subject,
      encodeJson({ id, occurredAt: new Date().toISOString(), data: rejected }),
    );
    await waitFor(() => consumerSettled(messagingRunning.ctx.nc, CONSUMERS.messagingOffers), {
      what: 'the consumer caught up',
    });
    expect(await textsTo(rosa.phone, 1, 'the answer')).toEqual([rejected.message]);
    const logged = await messagingRunning.ctx.call(messaging.MessageList, { phone: rosa.phone, limit: 10 });
    expect(logged.items.map((m) => m.purpose)).toEqual([`lead-credit-rejected:${id}`]);
  });

  it('tells a plumber which cap they reached and when offers resume in their time zone, once', async () => {
    const rosa = plumber('Rosa Delgado');
    const cap = {
      providerId: rosa.id,
      providerName: rosa.name,
      providerPhone: rosa.phone,
      providerEmail: rosa.email,
      cap: 'daily' as const,
      limit: 3,
      used: 3,
      resetsAt: '2030-03-04T06:00:00.000Z',
      timeZone: 'America/Chicago',
    };
    await publish(leads.PlumberCapReached, cap);
    await publish(leads.PlumberCapReached, cap);
    await publish(leads.PlumberCapReached, {
      ...cap,
      cap: 'monthly_spend',
      limit: 50000,
      used: 50000,
      resetsAt: '2030-04-01T05:00:00.000Z',
    });
    const texts = await textsTo(rosa.phone, 2, 'the cap texts');
    await waitFor(() => consumerSettled(messagingRunning.ctx.nc, CONSUMERS.messagingOffers), {
      what: 'the consumer caught up',
    });
    expect((await sentTo(rosa.phone)).sort()).toEqual(
      [
        "You've reached your daily cap of 3 leads, so we'll send you no lead offers until " +
          'Mon, Mar 4, 12:00 AM CST. No need to reply.',
        "You've reached your $500.00 monthly spend cap, so we'll send you no lead offers until " +
          'Mon, Apr 1, 12:00 AM CDT. No need to reply.',
      ].sort(),
    );
    expect(texts).toHaveLength(2);
    const logged = await messagingRunning.ctx.call(messaging.MessageList, { phone: rosa.phone, limit: 10 });
    expect(logged.items).toHaveLength(2);
  });
});

describe('lead texts', () => {
  const sale = {
    leadCode: '4821',
    serviceName: 'Drain cleaning',
    urgency: 'week' as const,
    zipCode: '94105',
    priceCents: 4500,
    homeowner: { firstName: 'Dana', lastName: 'Whitfield', email: 'dana@example.com', phone: '+14155550134' },
    description: 'Water everywhere. '.repeat(40),
    buyer: { name: 'Rosa Delgado', phone: '+14155550150', email: 'rosa@example.com' },
  };
  const offer = {
    leadCode: '4821',
    serviceName: 'Drain cleaning',
    urgency: 'month' as const,
    zipCode: '94105',
    priceCents: 2000,
    distanceKm: 3,
    expiresInMinutes: 120,
  };

  it('are plain ASCII and say what to reply', () => {
    const texts = [
      leadTemplates.offer(offer),
      leadTemplates.bought(sale),
      leadTemplates.homeowner(sale),
      leadTemplates.nextInLine('4821', 2),
      leadTemplates.cardFailed('4821'),
      leadTemplates.soldToAnother('4821'),
      leadTemplates.soldAheadOfYou('4821'),
      leadTemplates.offerExpired('4821'),
      capTemplates.reached({
        cap: 'weekly',
        limit: 1,
        resetsAt: '2030-03-04T06:00:00.000Z',
        timeZone: 'Nowhere/Else',
      }),
      creditTemplates.denied({
        ...credit({ id: randomUUID(), code: '4821' }, plumber('Rosa Delgado')),
        decisionNote: 'No. '.repeat(200),
      }),
    ];
    for (const body of texts) expect(body).toMatch(/^[\x20-\x7e]+$/);
    expect(leadTemplates.offer(offer)).toContain('Reply YES 4821');
    expect(leadTemplates.offer(offer)).toContain('Expires in 2 h.');
    expect(leadTemplates.bought(sale)).toContain('Reply DONE 4821');
    // An unknown time zone falls back to UTC rather than failing the text.
    expect(
      capTemplates.reached({
        cap: 'weekly',
        limit: 1,
        resetsAt: '2030-03-04T06:00:00.000Z',
        timeZone: 'Nowhere/Else',
      }),
    ).toContain("weekly cap of 1 lead, so we'll send you no lead offers until Mon, Mar 4, 6:00 AM UTC.");
  });

  it('keep a long description out of the SMS but whole in the email', () => {
    const sms = leadTemplates.bought(sale);
    expect(sms.length).toBeLessThan(480);
    expect(sms).toContain('..."');
    expect(leadTemplates.boughtEmail(sale).text).toContain(sale.description);
  });

  it("never put the homeowner's name or number in an offer", () => {
    const { subject, text } = leadTemplates.offerEmail({
      ...offer,
      acceptUrl: 'https://app.test/lead-offer/x',
    });
    for (const body of [leadTemplates.offer(offer), subject, text]) {
      expect(body).not.toMatch(/Dana|Whitfield|555-0134/);
    }
  });
});
