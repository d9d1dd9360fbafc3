import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AppError, intake, leads, payments, registry, type EventData } from '@trades/contracts';
import { usZips } from '@trades/geo';
import type { RunningService } from '@trades/runtime';
import { migrateService, resetJetStream, waitFor } from '@trades/testkit';
import { dispatchService } from '../src/app.ts';
import { Harness, startDispatch, startRegistry, testRegistry, type Locksmith } from './support.ts';

// Real services, databases and timers: give each test and hook room on a slow machine.
jest.setTimeout(90_000);

let harness: Harness;
let registryService: RunningService<unknown>;
let replicas: RunningService<unknown>[] = [];

beforeAll(async () => {
  await resetJetStream();
  await migrateService(testRegistry);
  await migrateService(dispatchService);
  registryService = await startRegistry();
  // Two replicas: the YES and the operators' sales are decided on either.
  const env = {
    DISPATCH_LEAD_WEEK_WAVE_SIZE: '2',
    DISPATCH_LEAD_WEEK_OFFER_TTL_SECONDS: '600',
    DISPATCH_LEAD_WEEK_MAX_WAVES: '4',
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

interface CapsInput {
  dailyCap?: number;
  weeklyCap?: number;
  monthlyCap?: number;
  monthlySpendCapCents?: number;
  timeZone?: string;
}

/** A plumber with a saved card buying `services` in `coverage`, based at `baseZip`. */
async function plumber(
  baseZip: string,
  services: string[],
  coverage: string[],
  caps: CapsInput = {},
): Promise<Locksmith> {
  counter += 1;
  const phone = `+1312${runTag}${String(counter).padStart(5, '0')}`;
  const created = await harness.call(registry.PlumberCreate, {
    firstName: 'Pat',
    lastName: `Capped${counter}`,
    email: `pat.capped${runTag}.${counter}.${randomUUID().slice(0, 6)}@plumbers.test`,
    phone,
    zipCode: baseZip,
    services,
    coverageZips: coverage,
    ...caps,
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

/** A lead intake accepted in `zip` (what intake publishes); its id. */
async function leadAccepted(service: string, zip: string, priceCents = 4500): Promise<string> {
  const place = usZips().lookup(zip);
  if (!place) throw new Error(`no ZIP ${zip}`);
  const leadId = randomUUID();
  await harness.publish(intake.LeadAccepted, {
    leadId,
    serviceCode: service,
    serviceName: service,
    urgency: 'week',
    zipCode: zip,
    lat: place.lat,
    lng: place.lng,
    priceCents,
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

/** Payments' answer to the lead's current charge: it went through. */
async function chargeSucceeds(lead: leads.LeadSaleDetail): Promise<void> {
  if (lead.state !== 'CHARGING' || !lead.buyer) throw new Error(`lead ${lead.id} is not being charged`);
  const charge: EventData<typeof payments.LeadChargeSucceeded> = {
    leadId: lead.id,
    providerId: lead.buyer.id,
    paymentIntentId: `pi_${randomUUID().replaceAll('-', '')}`,
    amountCents: lead.priceCents,
    chargeAttempt: lead.chargeAttempt,
  };
  await harness.publish(payments.LeadChargeSucceeded, charge);
  await leadWhen(lead.id, (l) => l.state === 'ASSIGNED', 'the lead sold');
}

/** An operator sells the lead to the plumber and the card goes through. */
async function operatorSale(leadId: string, to: Locksmith): Promise<void> {
  await harness.call(leads.LeadAssign, { id: leadId, plumberId: to.id, actor: 'ops@test' });
  await chargeSucceeds(await leadWhen(leadId, (l) => l.state === 'CHARGING', 'the lead charging'));
}

const offerOf = (lead: leads.LeadSaleDetail, p: Locksmith) => lead.offers.find((o) => o.plumberId === p.id);

/** What dispatch published (its outbox) about one provider, by subject. */
async function publishedFor<T>(subject: string, providerId: string): Promise<T[]> {
  const { rows } = await harness.db.query<{ data: T }>(
    `select payload->'data' as data from dispatch.outbox where subject = $1 and payload->'data'->>'providerId' = $2 order by id`,
    [subject, providerId],
  );
  return rows.map((r) => r.data);
}

/** Leads sold to the plumber today or being charged to them (what their daily cap counts). */
async function salesOf(p: Locksmith, leadIds: string[]): Promise<string[]> {
  const { rows } = await harness.db.query<{ id: string }>(
    `select id from dispatch.lead where buyer_id = $1 and id = any($2) and state in ('CHARGING','ASSIGNED')`,
    [p.id, leadIds],
  );
  return rows.map((r) => r.id);
}

/** Holds the plumber's provider lock in a transaction of the test's own until `release` is called. */
async function holdProviderLock(p: Locksmith): Promise<{ pid: number; release: () => Promise<void> }> {
  const client = await harness.db.connect();
  await client.query('begin');
  await client.query(`select pg_advisory_xact_lock(hashtextextended('dispatch.offer.provider:' || $1, 0))`, [
    p.id,
  ]);
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  return {
    pid: rows[0]?.pid ?? 0,
    release: async () => {
      await client.query('commit');
      client.release();
    },
  };
}

describe('caps hold under races', () => {
  it('a plumber at 2 of a daily cap of 3: their YES and two operator sales at the same instant make exactly one more sale; the other leads go to other plumbers; at the cap they are offered nothing', async () => {
    const zip = '60601';
    const service = 'drain_cleaning';
    // The capped plumber is nearest; five others buy the same leads.
    const capped = await plumber(zip, [service, 'water_heater'], [zip], { dailyCap: 3 });
    const others: Locksmith[] = [];
    for (const base of ['60602', '60603', '60604', '60605', '60606', '60607']) {
      others.push(await plumber(base, [service], [zip]));
    }

    // Two sales today already, by operators (only the capped plumber buys water heaters here).
    for (let i = 0; i < 2; i++) {
      const earlier = await leadAccepted('water_heater', zip);
      await leadWhen(earlier, (l) => l.state === 'OFFERED', 'an earlier lead offered');
      await operatorSale(earlier, capped);
    }
    const before = await harness.call(leads.PlumberLeadStatsGet, {
      plumbers: [
        {
          plumberId: capped.id,
          dailyCap: 3,
          weeklyCap: 0,
          monthlyCap: 0,
          monthlySpendCapCents: 0,
          timeZone: 'America/New_York',
        },
      ],
    });
    expect(before.items[0]?.usage).toMatchObject({ today: 2, atCap: null });

    // Three leads: the first offered to them (nearest), the other two to other plumbers only
    // (a plumber holds one pending offer at a time).
    const offeredFirst = await leadAccepted(service, zip);
    const first = await leadWhen(offeredFirst, (l) => l.state === 'OFFERED', 'the first lead offered');
    expect(offerOf(first, capped)).toMatchObject({ status: 'PENDING' });
    const soldByOperators = [await leadAccepted(service, zip), await leadAccepted(service, zip)];
    for (const id of soldByOperators) {
      const lead = await leadWhen(id, (l) => l.state === 'OFFERED', 'another lead offered');
      expect(offerOf(lead, capped)).toBeUndefined();
    }
    const racing = [offeredFirst, ...soldByOperators];

    // The same instant: all three wait for the plumber's lock, held by the test, and go together.
    const lock = await holdProviderLock(capped);
    const assigns: Promise<unknown>[] = [];
    try {
      await harness.sms(capped, `YES ${first.code}`, { kind: 'YES', jobCode: first.code });
      for (const id of soldByOperators) {
        assigns.push(
          harness.call(leads.LeadAssign, { id, plumberId: capped.id, actor: 'ops@test' }).then(
            () => 'sold',
            (error: unknown) => error,
          ),
        );
      }
      await harness.waitForWaiters(lock.pid, 3, 'the YES and both operator sales waiting for the plumber');
    } finally {
      await lock.release();
    }
    const answers = await Promise.all(assigns);

    // Exactly one more sale to them.
    const won = await waitFor(
      async () => {
        const sales = await salesOf(capped, racing);
        const rejectedYes = (
          await publishedFor<{ reason: string }>(leads.LeadReplyRejected.subject, capped.id)
        ).length;
        const refused = answers.filter((a) => a !== 'sold').length;
        return sales.length + rejectedYes + refused === 3 && sales;
      },
      { what: 'all three decided' },
    );
    expect(won).toHaveLength(1);
    const winner = won[0] ?? '';
    const refusals = answers.filter((a) => a !== 'sold');
    for (const refusal of refusals) {
      expect(refusal).toBeInstanceOf(AppError);
      if (refusal instanceof AppError) {
        expect(refusal.code).toBe('PLUMBER_AT_CAP');
        expect(refusal.message).toContain('has bought 3 of their daily cap of 3 leads today');
        expect(refusal.message).toContain('It resets');
      }
    }
    if (winner === offeredFirst) {
      expect(refusals).toHaveLength(2);
    } else {
      expect(refusals).toHaveLength(1);
      expect(await publishedFor(leads.LeadReplyRejected.subject, capped.id)).toMatchObject([
        { reason: 'cap_reached', leadId: offeredFirst, channel: 'sms' },
      ]);
      const closed = await leadWhen(
        offeredFirst,
        (l) => offerOf(l, capped)?.status === 'CANCELED',
        'their offer of the first lead closed',
      );
      expect(offerOf(closed, capped)).toMatchObject({ reason: 'cap reached' });
      expect(closed.state).toBe('OFFERED');
    }

    // The sale completes: they reached their cap, and are told once.
    await chargeSucceeds(await leadWhen(winner, (l) => l.state === 'CHARGING', 'the winner charging'));
    const reached = await waitFor(
      async () => {
        const told = await publishedFor<unknown>(leads.PlumberCapReached.subject, capped.id);
        return told.length > 0 && told;
      },
      { what: 'cap_reached published' },
    );
    expect(reached).toMatchObject([{ cap: 'daily', limit: 3, used: 3, timeZone: 'America/New_York' }]);

    // The other two leads go on to other plumbers: the first of them to say YES buys each.
    for (const id of racing.filter((l) => l !== winner)) {
      const lead = await leadWhen(id, (l) => l.state === 'OFFERED', 'a lost lead still offered');
      const pending = lead.offers.find((o) => o.status === 'PENDING' && o.plumberId !== capped.id);
      const buyer = others.find((o) => o.id === pending?.plumberId);
      if (!buyer) throw new Error(`lead ${id} is offered to nobody else`);
      await harness.sms(buyer, `YES ${lead.code}`, { kind: 'YES', jobCode: lead.code });
      await chargeSucceeds(await leadWhen(id, (l) => l.state === 'CHARGING', 'charging another plumber'));
      expect((await harness.call(leads.LeadGet, { id })).buyer).toMatchObject({ id: buyer.id });
    }
    expect(await salesOf(capped, racing)).toEqual([winner]);

    // At their cap they are not offered the next lead, though they are nearest and free.
    const next = await leadAccepted(service, zip);
    const offered = await leadWhen(next, (l) => l.state === 'OFFERED', 'the next lead offered');
    expect(offerOf(offered, capped)).toBeUndefined();
    expect(offered.offers).toHaveLength(2);
    const stats = await harness.call(leads.PlumberLeadStatsGet, {
      plumbers: [
        {
          plumberId: capped.id,
          dailyCap: 3,
          weeklyCap: 0,
          monthlyCap: 0,
          monthlySpendCapCents: 0,
          timeZone: 'America/New_York',
        },
      ],
    });
    expect(stats.items[0]).toMatchObject({ bought: 3, usage: { today: 3, atCap: 'daily' } });
    // Told once per window, whatever comes after.
    expect(await publishedFor(leads.PlumberCapReached.subject, capped.id)).toHaveLength(1);
  });

  it("counts the day in the plumber's time zone: a sale at 23:30 yesterday, their time, does not count today", async () => {
    const zip = '98101';
    const service = 'leak_repair';
    const timeZone = 'Pacific/Honolulu';
    const seller = await plumber(zip, [service], [zip], { dailyCap: 1, timeZone });
    const caps = {
      plumberId: seller.id,
      dailyCap: 1,
      weeklyCap: 0,
      monthlyCap: 0,
      monthlySpendCapCents: 0,
      timeZone,
    };

    const yesterday = await leadAccepted(service, zip);
    await leadWhen(yesterday, (l) => l.state === 'OFFERED', 'a lead offered');
    await operatorSale(yesterday, seller);
    // Make that sale 23:30 yesterday in Honolulu (PostgreSQL's own reading of the time zone).
    await harness.db.query(
      `update dispatch.lead set sold_at = (date_trunc('day', now() at time zone $2) - interval '30 minutes') at time zone $2 where id = $1`,
      [yesterday, timeZone],
    );
    const stats = await harness.call(leads.PlumberLeadStatsGet, { plumbers: [caps] });
    expect(stats.items[0]?.usage).toMatchObject({ today: 0, atCap: null });
    // The operator's sale closed their offer ACCEPTED, but they never replied: no reply time to count.
    expect(stats.items[0]).toMatchObject({ bought: 1, medianReplySeconds: null });

    // Not at the cap today: offered the next lead, and sold it.
    const today = await leadAccepted(service, zip);
    const offered = await leadWhen(today, (l) => l.state === 'OFFERED', 'the next lead offered');
    expect(offerOf(offered, seller)).toMatchObject({ status: 'PENDING' });
    await harness.sms(seller, `YES ${offered.code}`, { kind: 'YES', jobCode: offered.code });
    await chargeSucceeds(await leadWhen(today, (l) => l.state === 'CHARGING', 'charging them'));

    // Now at it: an operator's sale is refused, naming the cap and when it resets.
    const third = await leadAccepted(service, zip);
    await leadWhen(
      third,
      (l) => l.state === 'UNSOLD' || l.state === 'DISPATCHING' || l.state === 'OFFERED',
      'a third lead',
    );
    const refused = await harness
      .call(leads.LeadAssign, { id: third, plumberId: seller.id, actor: 'ops@test' })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(AppError);
    if (refused instanceof AppError) {
      expect(refused.status).toBe(409);
      expect(refused.code).toBe('PLUMBER_AT_CAP');
      expect(refused.message).toMatch(
        /has bought 1 of their daily cap of 1 lead today;.*It resets .*HST \(Pacific\/Honolulu\)/,
      );
    }
    expect((await harness.call(leads.LeadGet, { id: third })).offers.map((o) => o.plumberId)).not.toContain(
      seller.id,
    );
  });

  it('the next in line after a failed card is passed over when a sale meanwhile took them to their cap', async () => {
    const zip = '98104';
    const service = 'toilet_repair';
    const first = await plumber(zip, [service], [zip]);
    const inLine = await plumber('98102', [service, 'sewer_line'], [zip], { dailyCap: 1 });

    const leadId = await leadAccepted(service, zip);
    const offered = await leadWhen(leadId, (l) => l.offers.length === 2, 'the lead offered to both');
    await harness.sms(first, `YES ${offered.code}`, { kind: 'YES', jobCode: offered.code });
    const charging = await leadWhen(leadId, (l) => l.state === 'CHARGING', 'charging the first');
    await harness.sms(inLine, `YES ${offered.code}`, { kind: 'YES', jobCode: offered.code });
    await leadWhen(leadId, (l) => offerOf(l, inLine)?.yesAt != null, 'the second YES in line');

    // Meanwhile an operator sells them another lead: being charged for it, they are at their cap.
    const other = await leadAccepted('sewer_line', zip);
    await leadWhen(other, (l) => l.state !== 'NEW', 'the other lead out');
    await harness.call(leads.LeadAssign, { id: other, plumberId: inLine.id, actor: 'ops@test' });

    await harness.publish(payments.LeadChargeFailed, {
      leadId,
      providerId: first.id,
      paymentIntentId: null,
      amountCents: charging.priceCents,
      chargeAttempt: charging.chargeAttempt,
      code: 'card_declined',
      message: 'Your card was declined.',
    });
    const after = await leadWhen(
      leadId,
      (l) => l.state !== 'CHARGING' && offerOf(l, inLine)?.status !== 'PENDING',
      'the lead past the failed card',
    );
    expect(offerOf(after, inLine)).toMatchObject({ status: 'CANCELED', reason: 'cap reached' });
    expect(after.buyer).toBeNull();
    expect(after.timeline.filter((t) => t.state === 'CHARGING')).toHaveLength(1);
    expect(await publishedFor(leads.LeadReplyRejected.subject, inLine.id)).toMatchObject([
      { reason: 'cap_reached', leadId },
    ]);
  });

  it('a wave searches past the nearest plumbers this lead would take over their spend cap, and an operator cannot sell it to them', async () => {
    const zip = '60614';
    const service = 'repiping';
    // Four nearest, each with $40.00 a month to spend on a $45.00 lead: the registry's first answer (4).
    const overSpend: Locksmith[] = [];
    for (let i = 0; i < 4; i++) {
      overSpend.push(await plumber(zip, [service], [zip], { monthlySpendCapCents: 4000 }));
    }
    const farther = await plumber('60657', [service], [zip]);

    const leadId = await leadAccepted(service, zip, 4500);
    const offered = await leadWhen(leadId, (l) => l.state === 'OFFERED', 'the lead offered');
    expect(offered.offers.map((o) => o.plumberId)).toEqual([farther.id]);

    const refused = await harness
      .call(leads.LeadAssign, { id: leadId, plumberId: overSpend[0]?.id ?? '', actor: 'ops@test' })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(AppError);
    if (refused instanceof AppError) {
      expect(refused.code).toBe('PLUMBER_AT_CAP');
      expect(refused.message).toContain('has spent $0.00 of their monthly spend cap of $40.00 this month');
    }
  });
});
