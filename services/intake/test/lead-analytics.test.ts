import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
import { intake, pricing, type EndpointContract, type ReplyOf, type RequestOf } from '@trades/contracts';
import { call, startService, type NatsConnection, type RunningService } from '@trades/runtime';
import { migrateService, natsUrl, resetJetStream, serviceEnv } from '@trades/testkit';
import pg from 'pg';
import { intakeService } from '../src/app.ts';

// Real intake, PostgreSQL and NATS: give each test and hook room on a slow machine.
jest.setTimeout(30_000);

let nc: NatsConnection;
let db: pg.Pool;
let service: RunningService<unknown>;

const ask = <E extends EndpointContract>(contract: E, request: RequestOf<E>): Promise<ReplyOf<E>> =>
  call(nc, contract, request, { timeoutMs: 10_000 });

/**
 * The period: 10 and 11 January 2023 in New York (UTC-5), which is 05:00Z on the 10th to 05:00Z on the
 * 12th. In 2023, long before this run: only this suite's rows are in it.
 */
const FROM = '2023-01-10T05:00:00.000Z';
const TO = '2023-01-12T05:00:00.000Z';

interface LeadFacts {
  source: 'form' | 'partner';
  partnerId?: string;
  service: string;
  priceCents: number;
  status: intake.LeadStatus;
  createdAt: string;
  offeredAt?: string;
  soldAt?: string;
  completedAt?: string;
  creditedCents?: number;
  test?: boolean;
}

/**
 * The sale's facts on intake's lead (offered_at, sold_at, completed_at, credited_cents) and the
 * rejections are written by the partners' work (dispatch's events, submissions refused) in parallel with
 * this suite, and a lead's acceptance time is always "now" through `lead.submit`: the rows are inserted
 * here with SQL, as those writers leave them.
 */
async function insertLead(facts: LeadFacts): Promise<void> {
  const n = Math.floor(Math.random() * 1e7);
  await db.query(
    `insert into intake.lead (id, status, first_name, last_name, email, phone, service_code, urgency, zip, lat, lng,
                              source, partner_id, test, consent, price_cents, rejection_reason, created_at,
                              offered_at, sold_at, completed_at, credited_cents)
     values ($1, $2, 'Ada', 'Homeowner', $3, $4, $5, 'week', '94105', 37.79, -122.39, $6, $7, $8, $9, $10, $11,
             $12, $13, $14, $15, $16)`,
    [
      randomUUID(),
      facts.status,
      `analytics.${n}@example.com`,
      `+1415${String(n).padStart(7, '0')}`,
      facts.service,
      facts.source,
      facts.partnerId ?? null,
      facts.test ?? false,
      JSON.stringify({ text: 'I agree to be contacted.', capturedAt: facts.createdAt }),
      facts.priceCents,
      facts.test ? 'test' : null,
      facts.createdAt,
      facts.offeredAt ?? null,
      facts.soldAt ?? null,
      facts.completedAt ?? null,
      facts.creditedCents ?? 0,
    ],
  );
}

async function insertRejection(
  source: 'form' | 'partner',
  partnerId: string | null,
  reason: 'invalid' | 'duplicate' | 'not_served',
  service: string | null,
  at: string,
): Promise<void> {
  await db.query(
    `insert into intake.lead_rejection (source, partner_id, reason, service_code, at) values ($1, $2, $3, $4, $5)`,
    [source, partnerId, reason, service, at],
  );
}

let acme: string;
let brook: string;

beforeAll(async () => {
  await resetJetStream();
  await migrateService(intakeService);
  nc = await connect({ servers: natsUrl() });
  db = new pg.Pool({ connectionString: process.env['DATABASE_URL'], max: 2 });
  service = await startService(intakeService, serviceEnv());
  const run = randomUUID().slice(0, 6);
  acme = (await ask(intake.PartnerCreate, { name: `Acme Leads ${run}` })).id;
  brook = (await ask(intake.PartnerCreate, { name: `Brook Leads ${run}` })).id;

  // A: the period's first instant (midnight in New York); sold 10 minutes later; completed on the 11th.
  await insertLead({
    source: 'form',
    service: 'leak_repair',
    priceCents: 5000,
    status: 'completed',
    createdAt: '2023-01-10T05:00:00.000Z',
    offeredAt: '2023-01-10T05:01:00.000Z',
    soldAt: '2023-01-10T05:10:00.000Z',
    completedAt: '2023-01-11T15:00:00.000Z',
  });
  // B: 23:59:59.999 on the 10th in New York (already the 11th in UTC); sold 30 minutes later, just after
  // midnight on the 11th in New York; $10 of $30 credited.
  await insertLead({
    source: 'partner',
    partnerId: acme,
    service: 'leak_repair',
    priceCents: 3000,
    status: 'assigned',
    createdAt: '2023-01-11T04:59:59.999Z',
    offeredAt: '2023-01-11T05:00:30.000Z',
    soldAt: '2023-01-11T05:29:59.999Z',
    creditedCents: 1000,
  });
  // C: offered, nobody bought it.
  await insertLead({
    source: 'partner',
    partnerId: acme,
    service: 'drain_cleaning',
    priceCents: 4000,
    status: 'unsold',
    createdAt: '2023-01-11T12:00:00.000Z',
    offeredAt: '2023-01-11T12:01:00.000Z',
  });
  // D: not offered yet.
  await insertLead({
    source: 'form',
    service: 'drain_cleaning',
    priceCents: 4000,
    status: 'new',
    createdAt: '2023-01-11T13:00:00.000Z',
  });
  // E: sold an hour after acceptance, credited in full.
  await insertLead({
    source: 'partner',
    partnerId: brook,
    service: 'water_heater',
    priceCents: 6000,
    status: 'credited',
    createdAt: '2023-01-11T14:00:00.000Z',
    offeredAt: '2023-01-11T14:00:10.000Z',
    soldAt: '2023-01-11T15:00:00.000Z',
    creditedCents: 6000,
  });
  // G: accepted the evening before the period (New York), sold in it, two hours later.
  await insertLead({
    source: 'form',
    service: 'leak_repair',
    priceCents: 2000,
    status: 'assigned',
    createdAt: '2023-01-10T04:00:00.000Z',
    offeredAt: '2023-01-10T04:00:05.000Z',
    soldAt: '2023-01-10T06:00:00.000Z',
  });
  // Outside the period (the first instant after it), and a test lead inside it: neither counts.
  await insertLead({
    source: 'form',
    service: 'leak_repair',
    priceCents: 5000,
    status: 'new',
    createdAt: TO,
  });
  await insertLead({
    source: 'partner',
    partnerId: acme,
    service: 'leak_repair',
    priceCents: 5000,
    status: 'rejected',
    test: true,
    createdAt: '2023-01-10T10:00:00.000Z',
  });

  await insertRejection('form', null, 'invalid', null, '2023-01-10T12:00:00.000Z');
  // 23:00 on the 10th in New York, the 11th in UTC.
  await insertRejection('partner', brook, 'not_served', 'drain_cleaning', '2023-01-11T04:00:00.000Z');
  await insertRejection('partner', acme, 'duplicate', 'leak_repair', '2023-01-11T06:00:00.000Z');
  await insertRejection('partner', acme, 'duplicate', 'leak_repair', TO);
});

afterAll(async () => {
  await service?.stop();
  await db?.end();
  await nc?.drain();
});

describe('lead analytics', () => {
  it('follows the leads received in the period down the funnel, test leads and other periods left out', async () => {
    const report = await ask(pricing.LeadAnalyticsGet, { from: FROM, to: TO, timeZone: 'America/New_York' });
    expect(report.from).toBe(FROM);
    expect(report.to).toBe(TO);
    // A, B, C, D, E accepted; three submissions refused. An operator sale never offered would count as offered.
    expect(report.funnel).toEqual({
      received: 8,
      accepted: 5,
      offered: 4,
      sold: 3,
      completed: 1,
      credited: 2,
    });
    expect(report.rejected).toEqual({ invalid: 1, duplicate: 1, notServed: 1 });
  });

  it('counts sales, revenue (less credits) and credits when the sale happened', async () => {
    const report = await ask(pricing.LeadAnalyticsGet, { from: FROM, to: TO, timeZone: 'America/New_York' });
    // Sold in the period: A $50, B $30 less $10, E $60 less $60, G $20 (accepted before the period).
    expect(report.revenueCents).toBe(5000 + 2000 + 0 + 2000);
    expect(report.creditedCents).toBe(1000 + 6000);
    expect(report.bySource).toEqual([
      {
        source: 'form',
        partnerId: null,
        partnerName: null,
        received: 3,
        accepted: 2,
        sold: 2,
        revenueCents: 7000,
      },
      {
        source: 'partner',
        partnerId: acme,
        partnerName: expect.stringMatching(/^Acme Leads/),
        received: 3,
        accepted: 2,
        sold: 1,
        revenueCents: 2000,
      },
      {
        source: 'partner',
        partnerId: brook,
        partnerName: expect.stringMatching(/^Brook Leads/),
        received: 2,
        accepted: 1,
        sold: 1,
        revenueCents: 0,
      },
    ]);
    // In the catalogue's order; the invalid submission named no service.
    expect(report.byService).toEqual([
      {
        serviceCode: 'drain_cleaning',
        serviceName: 'Drain cleaning',
        received: 3,
        accepted: 2,
        sold: 0,
        revenueCents: 0,
      },
      {
        serviceCode: 'leak_repair',
        serviceName: 'Leak repair',
        received: 3,
        accepted: 2,
        sold: 3,
        revenueCents: 9000,
      },
      {
        serviceCode: 'water_heater',
        serviceName: 'Water heater',
        received: 1,
        accepted: 1,
        sold: 1,
        revenueCents: 0,
      },
    ]);
  });

  it('counts days in the time zone asked for, every day of the period listed', async () => {
    const newYork = await ask(pricing.LeadAnalyticsGet, { from: FROM, to: TO, timeZone: 'America/New_York' });
    expect(newYork.byDay).toEqual([
      // A, B, the invalid form, the 23:00 not-served; A and G sold.
      {
        day: '2023-01-10',
        received: 4,
        accepted: 2,
        sold: 2,
        completed: 0,
        revenueCents: 7000,
        creditedCents: 0,
      },
      // C, D, E, the duplicate; B (00:29 New York) and E sold; A completed.
      {
        day: '2023-01-11',
        received: 4,
        accepted: 3,
        sold: 2,
        completed: 1,
        revenueCents: 2000,
        creditedCents: 7000,
      },
    ]);

    // The same period in UTC touches three days, and B and the not-served submission move to the 11th.
    const utc = await ask(pricing.LeadAnalyticsGet, { from: FROM, to: TO });
    expect(utc.byDay.map(({ day, received, accepted, sold }) => ({ day, received, accepted, sold }))).toEqual(
      [
        { day: '2023-01-10', received: 2, accepted: 1, sold: 2 },
        { day: '2023-01-11', received: 6, accepted: 4, sold: 2 },
        { day: '2023-01-12', received: 0, accepted: 0, sold: 0 },
      ],
    );
    expect(utc.funnel).toEqual(newYork.funnel);
  });

  it('gives the median and 90th percentile of the time from acceptance to sale', async () => {
    const report = await ask(pricing.LeadAnalyticsGet, { from: FROM, to: TO });
    // A 600 s, B 1800 s, E 3600 s, G 7200 s: p50 halfway between 1800 and 3600; p90 at 2.7 of 3 steps.
    expect(report.timeToSale.count).toBe(4);
    expect(report.timeToSale.p50Seconds).toBeCloseTo(2700, 6);
    expect(report.timeToSale.p90Seconds).toBeCloseTo(3600 + 0.7 * 3600, 6);

    const quiet = await ask(pricing.LeadAnalyticsGet, {
      from: '2022-06-01T00:00:00.000Z',
      to: '2022-06-02T00:00:00.000Z',
    });
    expect(quiet.timeToSale).toEqual({ count: 0, p50Seconds: null, p90Seconds: null });
    expect(quiet.funnel.received).toBe(0);
    expect(quiet.byDay).toHaveLength(1);
  });

  it('covers the last 30 days by default, and refuses a backwards period or an unknown time zone', async () => {
    const report = await ask(pricing.LeadAnalyticsGet, {});
    expect(Date.parse(report.to) - Date.parse(report.from)).toBe(30 * 24 * 60 * 60 * 1000);
    expect(Math.abs(Date.parse(report.to) - Date.now())).toBeLessThan(60_000);
    expect(report.byDay.length).toBeGreaterThanOrEqual(30);

    await expect(ask(pricing.LeadAnalyticsGet, { from: TO, to: FROM })).rejects.toMatchObject({
      status: 400,
      code: 'INVALID_PERIOD',
    });
    await expect(ask(pricing.LeadAnalyticsGet, { from: FROM, to: FROM })).rejects.toMatchObject({
      status: 400,
      code: 'INVALID_PERIOD',
    });
    await expect(
      ask(pricing.LeadAnalyticsGet, { from: FROM, to: TO, timeZone: 'Mars/Olympus_Mons' }),
    ).rejects.toMatchObject({ status: 400, code: 'UNKNOWN_TIME_ZONE' });
    // An offset looks like a zone to PostgreSQL but is read with the sign reversed (POSIX): refused.
    await expect(
      ask(pricing.LeadAnalyticsGet, { from: FROM, to: TO, timeZone: '+05:00' }),
    ).rejects.toMatchObject({ status: 400, code: 'UNKNOWN_TIME_ZONE' });
    await expect(
      ask(pricing.LeadAnalyticsGet, { from: '2020-01-01T00:00:00Z', to: '2023-01-01T00:00:00Z' }),
    ).rejects.toMatchObject({ status: 400, code: 'PERIOD_TOO_LONG' });
  });
});
