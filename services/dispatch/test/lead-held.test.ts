import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { intake, leads, payments, registry } from '@trades/contracts';
import { usZips } from '@trades/geo';
import type { RunningService } from '@trades/runtime';
import { migrateService, resetJetStream, waitFor } from '@trades/testkit';
import { dispatchService } from '../src/app.ts';
import { Harness, startDispatch, startRegistry, testRegistry, type Locksmith } from './support.ts';

// Real services, databases and timers: give each test and hook room on a slow machine.
jest.setTimeout(90_000);

/** Week leads wait 10 minutes for a reply: a lead that waited a whole TTL would time every test out. */
const WEEK_TTL_SECONDS = 600;
/** Day leads: one wave of 2 s, to see a wait for held plumbers end. */
const DAY_TTL_SECONDS = 2;

let harness: Harness;
let registryService: RunningService<unknown>;
let replicas: RunningService<unknown>[] = [];

beforeAll(async () => {
  await resetJetStream();
  await migrateService(testRegistry);
  await migrateService(dispatchService);
  registryService = await startRegistry();
  const env = {
    DISPATCH_LEAD_WEEK_WAVE_SIZE: '2',
    DISPATCH_LEAD_WEEK_OFFER_TTL_SECONDS: String(WEEK_TTL_SECONDS),
    DISPATCH_LEAD_WEEK_MAX_WAVES: '2',
    DISPATCH_LEAD_DAY_WAVE_SIZE: '1',
    DISPATCH_LEAD_DAY_OFFER_TTL_SECONDS: String(DAY_TTL_SECONDS),
    DISPATCH_LEAD_DAY_MAX_WAVES: '1',
  };
  replicas = [await startDispatch(env), await startDispatch(env)];
  harness = await Harness.open();
});

afterAll(async () => {
  await harness?.close();
  await Promise.all(replicas.map((r) => r.stop()));
  await registryService?.stop();
});

const runTag = String(Math.floor(Math.random() * 90) + 10);
let counter = 0;

/** A plumber with a saved card buying drain cleaning in `coverage`, based at `baseZip`. */
async function plumber(baseZip: string, coverage: string[]): Promise<Locksmith> {
  counter += 1;
  const phone = `+1773${runTag}${String(counter).padStart(5, '0')}`;
  const created = await harness.call(registry.PlumberCreate, {
    firstName: 'Hal',
    lastName: `Held${counter}`,
    email: `hal.held${runTag}.${counter}.${randomUUID().slice(0, 6)}@plumbers.test`,
    phone,
    zipCode: baseZip,
    services: ['drain_cleaning'],
    coverageZips: coverage,
    actor: 'test',
  });
  await harness.publish(payments.ProviderCardUpdated, {
    providerId: created.id,
    stripeCustomerId: `cus_${created.id.slice(0, 8)}`,
    status: 'saved',
    brand: 'visa',
    last4: '4242',
    at: new Date().toISOString(),
  });
  await waitFor(
    async () => (await harness.call(registry.PlumberGet, { id: created.id })).card.status === 'saved',
    { what: 'the card saved in the registry' },
  );
  return { id: created.id, name: `${created.firstName} ${created.lastName}`, phone };
}

/** A drain-cleaning lead intake accepted in `zip` (what intake publishes); its id. */
async function leadAccepted(zip: string, urgency: 'day' | 'week' = 'week'): Promise<string> {
  const place = usZips().lookup(zip);
  if (!place) throw new Error(`no ZIP ${zip}`);
  const leadId = randomUUID();
  await harness.publish(intake.LeadAccepted, {
    leadId,
    serviceCode: 'drain_cleaning',
    serviceName: 'Drain cleaning',
    urgency,
    zipCode: zip,
    lat: place.lat,
    lng: place.lng,
    priceCents: 4500,
    homeowner: {
      firstName: 'Hana',
      lastName: 'Homeowner',
      email: 'hana@example.test',
      phone: '+14155550199',
    },
    description: 'Kitchen sink backs up',
    source: 'form',
    partnerId: null,
    acceptedAt: new Date().toISOString(),
  });
  return leadId;
}

/** Waits until the lead satisfies `ready`; on timeout, says where it stood. */
async function leadWhen(
  id: string,
  ready: (lead: leads.LeadSaleDetail) => boolean,
  what: string,
): Promise<leads.LeadSaleDetail> {
  let last: leads.LeadSaleDetail | undefined;
  try {
    return await waitFor(
      async () => {
        last = await harness.call(leads.LeadGet, { id }).catch(() => undefined);
        return last && ready(last) ? last : undefined;
      },
      { what, timeoutMs: 30_000 },
    );
  } catch (error) {
    const where = last
      ? [
          `lead ${last.state}; timeline:`,
          ...last.timeline.map((t) => `  ${t.state} (${t.actor}): ${t.cause}`),
          ...last.offers.map((o) => `  offer w${o.wave} ${o.plumberName} ${o.status} ${o.reason ?? ''}`),
        ].join('\n')
      : 'never read';
    throw new Error(`${String(error)}\n${where}`, { cause: error });
  }
}

const offerOf = (lead: leads.LeadSaleDetail, p: Locksmith) => lead.offers.find((o) => o.plumberId === p.id);
const pendingFor = (p: Locksmith) => (lead: leads.LeadSaleDetail) =>
  lead.state === 'OFFERED' && offerOf(lead, p)?.status === 'PENDING';
const HELD_LINE = 'every plumber who could buy it is considering another offer; waiting for one to come free';
const heldLines = (lead: leads.LeadSaleDetail) => lead.timeline.filter((t) => t.cause.includes(HELD_LINE));

/** Lead B arrives while the only plumber who covers it holds lead A's offer: it waits for them. */
async function waitingBehind(a: string, p: Locksmith, zipB: string): Promise<string> {
  await leadWhen(a, pendingFor(p), 'lead A offered to the plumber');
  const b = await leadAccepted(zipB);
  const waiting = await leadWhen(b, (l) => heldLines(l).length > 0, 'lead B waiting for the held plumber');
  expect(waiting).toMatchObject({ state: 'DISPATCHING', wave: 0, offers: [] });
  return b;
}

describe('a lead whose plumbers are all held by other offers', () => {
  it('waits for the plumber without spending a wave, and is offered to them seconds after they decline the other lead', async () => {
    const zip = '60614';
    const only = await plumber(zip, [zip]);
    const a = await leadAccepted(zip);
    const b = await waitingBehind(a, only, zip);

    const aOffered = await harness.call(leads.LeadGet, { id: a });
    await harness.sms(only, `NO ${aOffered.code}`, { kind: 'NO', jobCode: aOffered.code });

    // Well inside the 10-minute TTL a counted wave would have waited.
    const offered = await leadWhen(b, pendingFor(only), 'lead B offered to the plumber');
    expect(offerOf(offered, only)).toMatchObject({ wave: 1, status: 'PENDING' });
    expect(offered.wave).toBe(1);
    expect(heldLines(offered)).toHaveLength(1);
    expect(heldLines(offered)[0]?.cause).toBe(`wave 1: ${HELD_LINE}`);
    expect((await harness.call(leads.LeadGet, { id: a })).offers).toMatchObject([
      { plumberId: only.id, status: 'DECLINED' },
    ]);
  });

  it('is offered to the held plumber as soon as the lead holding them is sold to someone else', async () => {
    const [zipA, zipB] = ['60622', '60647'];
    const shared = await plumber(zipA, [zipA, zipB]);
    const buyer = await plumber(zipA, [zipA]);
    const a = await leadAccepted(zipA);
    await leadWhen(a, pendingFor(buyer), 'lead A offered to the buyer too');
    const b = await waitingBehind(a, shared, zipB);

    const aOffered = await harness.call(leads.LeadGet, { id: a });
    await harness.sms(buyer, `YES ${aOffered.code}`, { kind: 'YES', jobCode: aOffered.code });
    const charging = await leadWhen(a, (l) => l.state === 'CHARGING', 'lead A charging the buyer');
    await harness.publish(payments.LeadChargeSucceeded, {
      leadId: a,
      providerId: buyer.id,
      paymentIntentId: `pi_${randomUUID().replaceAll('-', '')}`,
      amountCents: charging.priceCents,
      chargeAttempt: charging.chargeAttempt,
    });
    const sold = await leadWhen(a, (l) => l.state === 'ASSIGNED', 'lead A sold to the buyer');
    expect(offerOf(sold, shared)).toMatchObject({ status: 'CANCELED', reason: 'lead sold' });

    const offered = await leadWhen(b, pendingFor(shared), 'lead B offered to the shared plumber');
    expect(offered).toMatchObject({ wave: 1, offers: [{ plumberId: shared.id, wave: 1 }] });
    expect(heldLines(offered)).toHaveLength(1);
  });

  it("waits no longer than the wave's TTL: then the wave counts, and after the last the lead is UNSOLD", async () => {
    const zip = '60657';
    const only = await plumber(zip, [zip]);
    const a = await leadAccepted(zip);
    await leadWhen(a, pendingFor(only), 'lead A offered to the plumber');

    const day = await leadAccepted(zip, 'day');
    const unsold = await leadWhen(day, (l) => l.state === 'UNSOLD', 'the day lead unsold');
    expect(unsold.offers).toEqual([]);
    expect(unsold.timeline.map((t) => t.cause)).toEqual([
      'lead accepted from the form',
      'offering started',
      `wave 1: ${HELD_LINE}`,
      `wave 1: no plumber came free within ${DAY_TTL_SECONDS} s`,
      'no plumber could be offered it in 1 wave',
    ]);
    // The plumber still holds lead A's offer, untouched.
    expect(offerOf(await harness.call(leads.LeadGet, { id: a }), only)).toMatchObject({ status: 'PENDING' });
  });

  it('with nobody free and nobody held, counts the wave and looks again after its TTL, as before', async () => {
    const zip = '60640';
    const covering = await plumber(zip, [zip]);
    await harness.call(registry.PlumberUpdate, { id: covering.id, available: false, actor: 'test' });
    const lead = await leadAccepted(zip);
    const counted = await leadWhen(lead, (l) => l.wave === 1, 'the first wave counted');
    expect(counted.state).toBe('DISPATCHING');
    expect(heldLines(counted)).toHaveLength(0);
    expect(counted.timeline.at(-1)?.cause).toBe(
      `wave 1: no plumber free to offer it to; looking again in ${WEEK_TTL_SECONDS} s`,
    );
  });
});
