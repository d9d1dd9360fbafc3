// What the people in a lead sale are told, end to end on the whole stack: a homeowner's lead (through
// intake, as the public form sends it) is offered to two plumbers with saved cards by SMS (at the Twilio
// emulator) and by email with the accept link (at the SMTP sink); one buys it with YES by SMS and gets
// the homeowner's contact details by SMS and email, the other hears it was sold, and the homeowner gets
// an email and an SMS naming the plumber. Nobody is told the homeowner's details before the sale.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { intake, leads, payments, registry, type EndpointContract } from '@trades/contracts';
import type { ReplyOf, RequestOf } from '@trades/contracts';
import { call } from '@trades/runtime';
import { waitFor } from '@trades/testkit';
import { startStack, type Stack } from '@trades/testkit/stack';

jest.setTimeout(180_000);

const HOMEOWNER = {
  firstName: 'Hana',
  lastName: 'Homeowner',
  email: 'hana.sale@example.test',
  phone: '+14155550177',
};

describe('the lead sale, as its people hear it', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      env: {
        DISPATCH_TICK_MS: '50',
        DISPATCH_LEAD_DAY_WAVE_SIZE: '3',
        DISPATCH_LEAD_DAY_OFFER_TTL_SECONDS: '600',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  const nats = () => {
    const service = stack.services.get('intake')?.[0];
    if (!service) throw new Error('the stack has no intake');
    return service.ctx.nc;
  };
  const ask = <E extends EndpointContract>(contract: E, request: RequestOf<E>): Promise<ReplyOf<E>> =>
    call(nats(), contract, request, { timeoutMs: 15_000 });

  /** A plumber of `service` leads in 94105 whose card is saved through their card link. */
  async function plumberWithCard(
    n: number,
    baseZip: string,
    service = 'drain_cleaning',
    card = 'pm_card_visa',
  ) {
    const plumber = await ask(registry.PlumberCreate, {
      firstName: ['Rosa', 'Omar', 'Dora', 'Ivan'][n] ?? 'Pat',
      lastName: 'Piper',
      email: `piper${n}.sale@plumbers.test`,
      phone: `+141555501${60 + n}`,
      zipCode: baseZip,
      services: [service],
      coverageZips: ['94105'],
      actor: 'test',
    });
    const link = await ask(payments.ProviderCardLink, {
      providerId: plumber.id,
      firstName: plumber.firstName,
      email: plumber.email,
      phone: plumber.phone,
    });
    const token = new URL(link.url).pathname.split('/').pop() ?? '';
    await ask(payments.ProviderCardTestConfirm, { token, paymentMethod: card });
    await ask(payments.ProviderCardComplete, { token });
    await waitFor(async () => (await ask(registry.PlumberGet, { id: plumber.id })).card.status === 'saved', {
      what: `${plumber.firstName}'s card saved`,
      timeoutMs: 30_000,
    });
    return plumber;
  }

  /** The texts Twilio sent to a number, oldest first. */
  const textsTo = async (phone: string) => {
    const url = `${stack.twilio.url}/2010-04-01/Accounts/${stack.env['TWILIO_ACCOUNT_SID'] ?? ''}/Messages.json?To=${encodeURIComponent(phone)}`;
    const auth = Buffer.from(
      `${stack.env['TWILIO_ACCOUNT_SID'] ?? ''}:${stack.env['TWILIO_AUTH_TOKEN'] ?? ''}`,
    );
    const response = await fetch(url, { headers: { authorization: `Basic ${auth.toString('base64')}` } });
    const body: unknown = await response.json();
    const messages =
      typeof body === 'object' && body !== null && 'messages' in body && Array.isArray(body.messages)
        ? body.messages
        : [];
    return messages
      .flatMap((m: unknown) =>
        typeof m === 'object' && m !== null && 'body' in m && typeof m.body === 'string' ? [m.body] : [],
      )
      .reverse();
  };
  const textMatching = (phone: string, pattern: RegExp, what: string) =>
    waitFor(async () => (await textsTo(phone)).find((body) => pattern.test(body)), {
      what,
      timeoutMs: 30_000,
    });

  it('offers by SMS and email, tells the buyer who to call, the others that it sold, the homeowner who will call', async () => {
    const rosa = await plumberWithCard(0, '94105');
    const omar = await plumberWithCard(1, '94103');

    const receipt = await ask(intake.LeadSubmit, {
      lead: {
        ...HOMEOWNER,
        serviceNeeded: 'drain_cleaning',
        urgency: 'day',
        zipCode: '94105',
        description: 'Sink backs up',
      },
      consent: { text: 'I agree to be contacted.', capturedAt: new Date().toISOString() },
      source: 'form',
    });

    // The offer, to both: by SMS with the code to reply, by email with the accept link; no homeowner.
    const offerText = await textMatching(rosa.phone, /^Lead \d{4}: Drain cleaning/, "Rosa's offer SMS");
    const code = /^Lead (\d{4})/.exec(offerText)?.[1] ?? '';
    expect(offerText).toContain(`Reply YES ${code} to buy it`);
    await textMatching(omar.phone, new RegExp(`^Lead ${code}:`), "Omar's offer SMS");
    const offerMail = await stack.smtp.waitForEmail(
      (m) => m.to.includes(omar.email) && m.subject.startsWith(`Lead ${code}`),
    );
    const acceptLink = /Buy it: (\S+)/.exec(offerMail.text)?.[1] ?? '';
    expect(acceptLink).toMatch(/\/lead-offer\/[0-9a-f-]{36}\.[\w-]+$/);
    const token = acceptLink.split('/').pop() ?? '';
    const page = await fetch(`${stack.gatewayUrl}/api/lead-offers/${token}`);
    expect(await page.json()).toMatchObject({ leadCode: code, open: true, plumber: { firstName: 'Omar' } });
    for (const said of [offerText, offerMail.text, offerMail.subject]) {
      expect(said).not.toMatch(/Hana|Homeowner|555-0177|hana\.sale/);
    }

    // Rosa buys it by SMS.
    const inbound = await fetch(`${stack.twilio.url}/__emulator/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: rosa.phone, body: `YES ${code}` }),
    });
    expect(inbound.status).toBe(200);
    await waitFor(async () => (await ask(leads.LeadGet, { id: receipt.leadId })).state === 'ASSIGNED', {
      what: 'the lead sold',
      timeoutMs: 30_000,
    });

    const bought = await textMatching(rosa.phone, /^You bought lead/, "Rosa's contact details SMS");
    expect(bought).toContain(`Homeowner: Hana Homeowner, (415) 555-0177, ${HOMEOWNER.email}.`);
    expect(bought).toContain('"Sink backs up"');
    const boughtMail = await stack.smtp.waitForEmail(
      (m) => m.to.includes(rosa.email) && m.subject.includes('is yours'),
    );
    expect(boughtMail.text).toContain('Phone: (415) 555-0177');

    await textMatching(
      omar.phone,
      new RegExp(`^Lead ${code} was sold to another plumber`),
      "Omar's 'sold' SMS",
    );

    const homeownerMail = await stack.smtp.waitForEmail((m) => m.to.includes(HOMEOWNER.email));
    expect(homeownerMail.subject).toBe('Rosa Piper will contact you about your plumbing request');
    expect(
      await textMatching(HOMEOWNER.phone, /^Hi Hana, Rosa Piper, a local plumber/, "the homeowner's SMS"),
    ).toContain(`Their number: (415) 555-0160.`);
  });

  it('tells a plumber whose card did not go through, and sends them a fresh card link by SMS and email', async () => {
    const dora = await plumberWithCard(2, '94105', 'leak_repair', 'pm_card_chargeCustomerFail');
    const ivan = await plumberWithCard(3, '94103', 'leak_repair');
    const linksBefore = stack.smtp.to(dora.email).filter((m) => m.text.includes('/plumber/card/')).length;
    const linkTexts = async () =>
      (await textsTo(dora.phone)).filter((body) => body.includes('/plumber/card/'));
    const linkTextsBefore = (await linkTexts()).length;

    const receipt = await ask(intake.LeadSubmit, {
      lead: { ...HOMEOWNER, serviceNeeded: 'leak_repair', urgency: 'day', zipCode: '94105' },
      consent: { text: 'I agree to be contacted.', capturedAt: new Date().toISOString() },
      source: 'form',
    });
    const offer = await textMatching(dora.phone, /^Lead \d{4}: Leak repair/, "Dora's offer SMS");
    const code = /^Lead (\d{4})/.exec(offer)?.[1] ?? '';
    await textMatching(ivan.phone, new RegExp(`^Lead ${code}:`), "Ivan's offer SMS");

    const inbound = await fetch(`${stack.twilio.url}/__emulator/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: dora.phone, body: `YES ${code}` }),
    });
    expect(inbound.status).toBe(200);
    await textMatching(
      dora.phone,
      new RegExp(
        `^Your card did not go through for lead ${code}, so you did not get it and were not charged`,
      ),
      "Dora's card-failed SMS",
    );
    await waitFor(
      () => stack.smtp.to(dora.email).filter((m) => m.text.includes('/plumber/card/')).length > linksBefore,
      { what: 'a fresh card link emailed to Dora', timeoutMs: 30_000 },
    );
    await waitFor(async () => (await linkTexts()).length > linkTextsBefore, {
      what: 'a fresh card link texted to Dora',
      timeoutMs: 30_000,
    });
    expect((await ask(leads.LeadGet, { id: receipt.leadId })).state).not.toBe('ASSIGNED');
  });
});
