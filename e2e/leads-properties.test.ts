import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Service } from '@nats-io/services';
import { intake } from '@trades/contracts';
import type { NatsConnection } from '@trades/runtime';
import type { Stack } from '@trades/testkit/stack';
import fc from 'fast-check';
import { field, streamEvents, type HttpReply } from '../services/intake/test/booking-client.ts';
import type { LeadClient } from '../services/intake/test/lead-client.ts';
import { PARTNER_CONSENT, startLeadStack, validLead } from '../services/intake/test/lead-client.ts';
import {
  anyBody,
  expectClientError,
  hostileStrings,
  sendBody,
  wrongType,
} from '../services/intake/test/hostile-input.ts';

jest.setTimeout(240_000);

const RUNS = 60;
// Under the public form's per-address limit (20 a minute), so every answer is the route's own.
const FORM_RUNS = 15;

const hostileString = hostileStrings(200, 5_000);
const maybe = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 25, arbitrary: good }, hostileString, wrongType);
const isoTime = fc
  .date({ min: new Date('1990-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
  .map((d) => d.toISOString());

/** Lead bodies from nearly right to nonsense: each field valid most of the time, else hostile or mistyped. */
const leadShape = {
  firstName: maybe(fc.constantFrom('Ada', 'José', '李', "O'Brien")),
  lastName: maybe(fc.constantFrom('Lovelace', 'Núñez-García')),
  email: maybe(
    fc.oneof(
      { weight: 4, arbitrary: fc.emailAddress() },
      fc.constantFrom('ada@localhost', 'ada@example.c0m', 'ADA@EXAMPLE.COM'),
    ),
  ),
  phone: maybe(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.integer({ min: 0, max: 9999 }).map((n) => `(415) 555-${String(n).padStart(4, '0')}`),
      },
      fc.constantFrom('+44 20 7946 0958', '911', '+1 000 000 0000'),
    ),
  ),
  serviceNeeded: maybe(
    fc.constantFrom('leak_repair', 'sewer_line', 'repiping', 'toilet_repair', 'roofing', 'LEAK_REPAIR'),
  ),
  urgency: maybe(fc.constantFrom('day', 'week', 'month', 'asap')),
  zipCode: maybe(fc.constantFrom('94105', '94110', '94103', ' 94103 ', '02108', '00000', '9410')),
  description: maybe(fc.string({ maxLength: 2_100 })),
  externalId: maybe(fc.string({ maxLength: 210 })),
};
/** Lead bodies from nearly right to nonsense; now and then with fields left out. */
const leadFields = fc.oneof(
  { weight: 4, arbitrary: fc.record(leadShape) },
  fc.record(leadShape, { requiredKeys: [] }),
);
const partnerConsent = fc.oneof(
  { weight: 8, arbitrary: fc.constant(PARTNER_CONSENT) },
  fc.record(
    {
      text: maybe(fc.constant('I agree.')),
      capturedAt: maybe(isoTime),
      ip: maybe(fc.ipV4()),
      pageUrl: maybe(fc.webUrl()),
    },
    { requiredKeys: [] },
  ),
  wrongType,
);
describe('the lead routes under random, malformed and hostile bodies', () => {
  let stack: Stack;
  let client: LeadClient;
  let nc: NatsConnection;
  let coverage: Service;
  let partnerId: string;
  let key: string;

  beforeAll(async () => {
    ({ stack, client, nc, coverage } = await startLeadStack());
    partnerId = await client.createPartner('Property Leads', 100_000);
    ({ key } = await client.createKey(partnerId));
  }, 90_000);
  afterAll(async () => {
    await coverage?.stop();
    await nc?.close();
    await stack?.stop();
  }, 60_000);

  const send = (path: string, body: unknown, headers: Record<string, string>): Promise<HttpReply> =>
    sendBody(client, path, body, headers);

  it('partner API: any body is a 201 that stored one lead, or a 4xx that stored none; never a 5xx', async () => {
    let keys = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          anyBody,
          fc.tuple(leadFields, partnerConsent).map(([lead, consent]) => ({ ...lead, consent })),
        ),
        fc.boolean(),
        async (body, withKey) => {
          const before = (await client.leadsOf(partnerId)).length;
          keys += 1;
          const reply = await send('/api/partner/v1/leads', body, {
            authorization: `Bearer ${key}`,
            ...(withKey ? { 'idempotency-key': `property-${keys}` } : {}),
          });
          const after = await client.leadsOf(partnerId);
          if (reply.status === 201) {
            expect(reply.body).toEqual({
              leadId: expect.any(String),
              status: 'accepted',
              priceCents: expect.any(Number),
            });
            expect(after.length).toBe(before + 1);
            const lead = await client.admin('GET', `/api/admin/leads/${String(field(reply.body, 'leadId'))}`);
            expect(lead).toMatchObject({
              status: 200,
              body: { status: 'new', timeline: [{ status: 'new' }] },
            });
          } else {
            expectClientError(reply);
            expect(after.length).toBe(before);
          }
        },
      ),
      {
        numRuns: RUNS,
        examples: [
          [{ ...validLead(), consent: PARTNER_CONSENT }, true],
          [{ ...validLead({ firstName: '\u0000' }), consent: PARTNER_CONSENT }, false],
          [
            {
              ...validLead({ description: 'nul \u0000 inside' }),
              consent: { ...PARTNER_CONSENT, text: '\u0000' },
            },
            true,
          ],
          [{ ...validLead(), consent: { text: 'ok', capturedAt: 'yesterday' } }, false],
          [[], false],
        ],
      },
    );
  });

  it('public form: any body is a 201 or a 4xx with the error shape; never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          anyBody,
          leadFields.map((lead) => ({ ...lead, consent: true })),
          fc.tuple(leadFields, maybe(fc.constant(true))).map(([lead, consent]) => ({ ...lead, consent })),
        ),
        async (body) => {
          const reply = await send('/api/leads', body, {});
          if (reply.status !== 201) expectClientError(reply);
        },
      ),
      { numRuns: FORM_RUNS },
    );
  });

  it('every lead stored was published once, and only those', async () => {
    const leads = await client.leadsOf(partnerId);
    const live = leads.map((lead) => field(lead, 'id'));
    expect(live.length).toBeGreaterThan(0);
    const deadline = Date.now() + 30_000;
    const publishedOf = async (): Promise<unknown[]> => {
      const events = await streamEvents(nc, 'EVT_INTAKE', intake.LeadAccepted.subject);
      return events.map((e) => field(e.data, 'leadId')).filter((id) => live.includes(id));
    };
    let published = await publishedOf();
    while (published.length < live.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      published = await publishedOf();
    }
    expect([...published].sort()).toEqual([...live].sort());
  });
});
