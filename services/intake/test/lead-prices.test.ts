import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Service } from '@nats-io/services';
import { connect } from '@nats-io/transport-node';
import {
  intake,
  LEAD_URGENCIES,
  PLUMBING_SERVICE_CODES,
  pricing,
  type EndpointContract,
  type ReplyOf,
  type RequestOf,
} from '@trades/contracts';
import { call, startService, type NatsConnection, type RunningService } from '@trades/runtime';
import { migrateService, natsUrl, resetJetStream, serviceEnv } from '@trades/testkit';
import { intakeService } from '../src/app.ts';
import { DEFAULT_LEAD_PRICES } from '../src/domain/lead-price.ts';
import { serveTestCoverage } from './lead-client.ts';

// Real intake, PostgreSQL and NATS: give each test and hook room on a slow machine.
jest.setTimeout(30_000);

// A service and urgency no other suite prices leads with; its seeded price is put back after the suite.
const SERVICE = 'toilet_repair';
const URGENCY = 'month';
const BASE = { serviceCode: SERVICE, urgency: URGENCY, zipPrefix: null } as const;
const SEEDED = DEFAULT_LEAD_PRICES[SERVICE][URGENCY];
const RUN = Math.floor(Math.random() * 9000) + 1000;

let nc: NatsConnection;
let service: RunningService<unknown>;
let coverage: Service;
let leadCount = 0;

const ask = <E extends EndpointContract>(contract: E, request: RequestOf<E>): Promise<ReplyOf<E>> =>
  call(nc, contract, request, { timeoutMs: 10_000 });

/** A lead from the public form for the suite's service and urgency in `zipCode`, as `lead.submit` takes it. */
async function submitLead(zipCode: string): Promise<intake.LeadReceipt> {
  leadCount += 1;
  const n = String(leadCount).padStart(2, '0');
  return ask(intake.LeadSubmit, {
    lead: {
      firstName: 'Grace',
      lastName: 'Homeowner',
      email: `grace.${RUN}.${n}@example.com`,
      phone: `(415) 555-${String(RUN).slice(0, 2)}${n}`,
      serviceNeeded: SERVICE,
      urgency: URGENCY,
      zipCode,
    },
    consent: { text: 'I agree to be contacted.', capturedAt: new Date().toISOString() },
    source: 'form',
  });
}

beforeAll(async () => {
  await resetJetStream();
  await migrateService(intakeService);
  nc = await connect({ servers: natsUrl() });
  coverage = await serveTestCoverage(nc);
  service = await startService(intakeService, serviceEnv());
});

afterAll(async () => {
  await ask(pricing.LeadPriceSet, { ...BASE, priceCents: SEEDED, actor: 'test cleanup' }).catch(() => null);
  for (const zipPrefix of ['941', '94105'])
    await ask(pricing.LeadPriceRemove, {
      serviceCode: SERVICE,
      urgency: URGENCY,
      zipPrefix,
      actor: 'test cleanup',
    }).catch(() => null);
  await service?.stop();
  await coverage?.stop();
  await nc?.drain();
});

describe('the lead price table', () => {
  it('lists a base price for every service and urgency of the catalogue, named', async () => {
    const { items } = await ask(pricing.LeadPriceList, {});
    const bases = items.filter((p) => p.zipPrefix === null);
    expect(bases.map((p) => `${p.serviceCode}/${p.urgency}`).sort()).toEqual(
      PLUMBING_SERVICE_CODES.flatMap((code) => LEAD_URGENCIES.map((u) => `${code}/${u}`)).sort(),
    );
    expect(items.find((p) => p.serviceCode === 'emergency_plumbing' && p.urgency === 'day')).toMatchObject({
      serviceName: 'Emergency plumbing',
      priceCents: DEFAULT_LEAD_PRICES.emergency_plumbing.day,
    });
  });

  it('prices the next lead accepted with a change, the longest ZIP prefix first, and the base again once a prefix is removed', async () => {
    expect((await submitLead('94105')).priceCents).toBe(SEEDED);

    const changed = await ask(pricing.LeadPriceSet, { ...BASE, priceCents: 2750, actor: 'ops@example.com' });
    expect(changed).toMatchObject({ priceCents: 2750, updatedBy: 'ops@example.com' });
    expect(changed.updatedAt).not.toBeNull();
    const afterBase = await submitLead('94105');
    expect(afterBase.priceCents).toBe(2750);
    // The price is stored on the lead: what the sale charges.
    expect((await ask(intake.LeadGet, { id: afterBase.leadId })).priceCents).toBe(2750);

    await ask(pricing.LeadPriceSet, {
      ...BASE,
      zipPrefix: '941',
      priceCents: 3100,
      actor: 'ops@example.com',
    });
    await ask(pricing.LeadPriceSet, {
      ...BASE,
      zipPrefix: '94105',
      priceCents: 3300,
      actor: 'ops@example.com',
    });
    expect((await submitLead('94105')).priceCents).toBe(3300);
    expect((await submitLead('94110')).priceCents).toBe(3100);

    const removed = await ask(pricing.LeadPriceRemove, {
      serviceCode: SERVICE,
      urgency: URGENCY,
      zipPrefix: '94105',
      actor: 'ops@example.com',
    });
    expect(removed).toEqual({ removed: true });
    expect((await submitLead('94105')).priceCents).toBe(3100);
    // Removing a row that is not there is not an error, and not a change.
    expect(
      await ask(pricing.LeadPriceRemove, {
        serviceCode: SERVICE,
        urgency: URGENCY,
        zipPrefix: '94105',
        actor: 'ops@example.com',
      }),
    ).toEqual({ removed: false });
  });

  it('records every change with the old and new price, the operator and the time, newest first, page by page', async () => {
    await ask(pricing.LeadPriceSet, { ...BASE, priceCents: 1800, actor: 'setup' });
    const before = Date.now();
    await ask(pricing.LeadPriceSet, { ...BASE, priceCents: 1900, actor: 'ada@example.com' });
    await ask(pricing.LeadPriceSet, { ...BASE, priceCents: 1950, actor: 'bob@example.com' });
    // The same price again changes nothing, so it is not history.
    await ask(pricing.LeadPriceSet, { ...BASE, priceCents: 1950, actor: 'bob@example.com' });
    await ask(pricing.LeadPriceSet, {
      ...BASE,
      zipPrefix: '94105',
      priceCents: 2100,
      actor: 'ada@example.com',
    });
    await ask(pricing.LeadPriceRemove, { ...BASE, zipPrefix: '94105', actor: 'bob@example.com' });

    const first = await ask(pricing.LeadPriceHistory, { limit: 2 });
    expect(first.nextCursor).not.toBeNull();
    const second = await ask(pricing.LeadPriceHistory, { limit: 2, cursor: first.nextCursor ?? '' });
    const latest = [...first.items, ...second.items].map(
      ({ serviceCode, urgency, zipPrefix, oldPriceCents, newPriceCents, actor }) => ({
        serviceCode,
        urgency,
        zipPrefix,
        oldPriceCents,
        newPriceCents,
        actor,
      }),
    );
    expect(latest).toEqual([
      { ...BASE, zipPrefix: '94105', oldPriceCents: 2100, newPriceCents: null, actor: 'bob@example.com' },
      { ...BASE, zipPrefix: '94105', oldPriceCents: null, newPriceCents: 2100, actor: 'ada@example.com' },
      { ...BASE, oldPriceCents: 1900, newPriceCents: 1950, actor: 'bob@example.com' },
      { ...BASE, oldPriceCents: 1800, newPriceCents: 1900, actor: 'ada@example.com' },
    ]);
    for (const change of [...first.items, ...second.items]) {
      expect(Date.parse(change.at)).toBeGreaterThanOrEqual(before - 1000);
    }
    await expect(ask(pricing.LeadPriceHistory, { cursor: 'not-a-cursor' })).rejects.toMatchObject({
      status: 400,
      code: 'INVALID_CURSOR',
    });
  });

  it('keeps the history consistent when two operators set the same new ZIP price at once', async () => {
    const key = { ...BASE, zipPrefix: '941' };
    await ask(pricing.LeadPriceRemove, { ...key, actor: 'setup' });
    await Promise.all([
      ask(pricing.LeadPriceSet, { ...key, priceCents: 4000, actor: 'ada@example.com' }),
      ask(pricing.LeadPriceSet, { ...key, priceCents: 4100, actor: 'bob@example.com' }),
    ]);
    const { items } = await ask(pricing.LeadPriceHistory, { limit: 2 });
    const [second, first] = items;
    // One created the row, the other changed what the first left: no lost update, no second row.
    expect(first?.oldPriceCents).toBeNull();
    expect(second?.oldPriceCents).toBe(first?.newPriceCents);
    const rows = (await ask(pricing.LeadPriceList, {})).items.filter(
      (p) => p.serviceCode === SERVICE && p.urgency === URGENCY && p.zipPrefix === '941',
    );
    expect(rows.map((r) => r.priceCents)).toEqual([second?.newPriceCents]);
  });

  it('refuses to remove a base price, and any service outside the plumbing catalogue', async () => {
    await expect(ask(pricing.LeadPriceRemove, { ...BASE, actor: 'ops@example.com' })).rejects.toMatchObject({
      status: 400,
      code: 'BASE_PRICE_REQUIRED',
    });
    expect(
      (await ask(pricing.LeadPriceList, {})).items.some(
        (p) => p.serviceCode === SERVICE && p.urgency === URGENCY && p.zipPrefix === null,
      ),
    ).toBe(true);
    await expect(
      ask(pricing.LeadPriceSet, {
        serviceCode: 'home_lockout',
        urgency: 'day',
        zipPrefix: null,
        priceCents: 100,
        actor: 'ops@example.com',
      }),
    ).rejects.toMatchObject({ status: 400, code: 'UNKNOWN_SERVICE' });
    await expect(
      ask(pricing.LeadPriceRemove, {
        serviceCode: 'roofing',
        urgency: 'day',
        zipPrefix: '9',
        actor: 'ops@example.com',
      }),
    ).rejects.toMatchObject({ status: 400, code: 'UNKNOWN_SERVICE' });
  });
});
