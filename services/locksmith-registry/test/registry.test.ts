import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  AppError,
  dispatch,
  messaging,
  registry,
  type EventContract,
  type EventData,
  type RequestOf,
} from '@trades/contracts';
import { distanceKm } from '@trades/geo';
import { encodeJson, startService, type EntityManager, type RunningService } from '@trades/runtime';
import { migrateService, resetJetStream, serviceEnv, waitFor } from '@trades/testkit';
import { createRegistryService } from '../src/app.ts';
import { DEMO_LOCKSMITHS, seedDemoLocksmiths } from '../src/demo-data.ts';
import { HELD_SQL, NEAREST_SQL, NEAREST_STATEMENT, nearestParams } from '../src/providers.ts';

// Project-level testTimeout is not applied in a multi-project jest config; these suites start real services.
jest.setTimeout(60_000);

const definition = createRegistryService();
let service: RunningService<unknown>;
let startedAt: string;

const create = (request: Omit<RequestOf<typeof registry.ProviderCreate>, 'actor'>) =>
  service.ctx.call(registry.ProviderCreate, { ...request, actor: 'test@example.com' });

async function rejection(work: Promise<unknown>): Promise<AppError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

async function publishEvent<E extends EventContract>(contract: E, data: EventData<E>): Promise<string> {
  const id = randomUUID();
  await service.ctx.js.publish(
    contract.subject,
    encodeJson({ id, occurredAt: new Date().toISOString(), data }),
    {
      msgID: id,
    },
  );
  return id;
}

// The 16th St Mission BART station, San Francisco.
const MISSION_BART = { lat: 37.765, lng: -122.4197 };

beforeAll(async () => {
  await resetJetStream();
  await migrateService(definition);
  service = await startService(definition, serviceEnv());
  const [now] = await service.ctx.orm.em.fork().execute<{ now: string }[]>(`select now()::text as now`);
  startedAt = now?.now ?? '';
});

afterAll(async () => {
  // The run's database is shared by every suite: leave no providers behind to be offered other suites' jobs.
  if (startedAt)
    await service?.ctx.orm.em
      .fork()
      .execute('delete from registry.provider where created_at >= ?::timestamptz', [startedAt]);
  await service?.stop();
});

describe('provider.create', () => {
  it('normalises the mobile number, places the address and applies the default radius', async () => {
    const provider = await create({
      name: 'Mission Lock & Key',
      phone: '(415) 555-0181',
      email: 'mission@example.com',
      services: ['home_lockout', 'car_lockout'],
      address: '2128 Mission St, San Francisco, CA 94110',
    });
    expect(provider).toMatchObject({
      phone: '+14155550181',
      trade: 'locksmith',
      status: 'active',
      available: true,
      radiusKm: 15,
      busyJobId: null,
      pendingOfferId: null,
      stats: {
        offers: 0,
        accepted: 0,
        declined: 0,
        expired: 0,
        acceptanceRate: null,
        medianResponseSeconds: null,
      },
    });
    expect(distanceKm(provider, MISSION_BART)).toBeLessThan(3);
    expect(provider.address).toContain('94110');

    const byPhone = await service.ctx.call(registry.ProviderByPhone, { phone: '+14155550181' });
    expect(byPhone.provider?.id).toBe(provider.id);
    const [announced] = await service.ctx.orm.em
      .fork()
      .execute<{ n: number }[]>(
        `select count(*)::int as n from registry.outbox where subject = ? and payload #>> '{data,provider,id}' = ?`,
        [registry.ProviderCreated.subject, provider.id],
      );
    expect(announced?.n).toBe(1);
  });

  it('refuses a number another provider has, however it is written', async () => {
    const error = await rejection(
      create({
        name: 'Copycat',
        phone: '+1 415 555 0181',
        services: ['home_lockout'],
        address: 'San Francisco, CA 94103',
      }),
    );
    expect(error).toMatchObject({ status: 409, code: 'PHONE_TAKEN' });
  });

  it('refuses an invalid number, an unknown service and an address it cannot place, writing nothing', async () => {
    const before = await service.ctx.call(registry.ProviderList, { q: 'Nowhere' });
    expect(
      await rejection(
        create({
          name: 'Nowhere',
          phone: 'call me',
          services: ['home_lockout'],
          address: 'San Francisco, CA 94103',
        }),
      ),
    ).toMatchObject({ status: 400, code: 'INVALID_PHONE' });
    expect(
      await rejection(
        create({
          name: 'Nowhere',
          phone: '+14155550182',
          services: ['drain_cleaning'],
          address: 'San Francisco, CA 94103',
        }),
      ),
    ).toMatchObject({ status: 400, code: 'UNKNOWN_SERVICE' });
    expect(
      await rejection(
        create({
          name: 'Nowhere',
          phone: '+14155550182',
          services: ['home_lockout'],
          address: 'Nowhere street, Atlantis',
        }),
      ),
    ).toMatchObject({ status: 422, code: 'ADDRESS_NOT_FOUND' });
    const after = await service.ctx.call(registry.ProviderList, { q: 'Nowhere' });
    expect(after.items).toHaveLength(before.items.length);
  });
});

describe('provider.list', () => {
  it('finds by fragments of name, number or email and pages newest first', async () => {
    for (const n of [1, 2, 3]) {
      await create({
        name: `Paging Locks ${n}`,
        phone: `+1415555019${n}`,
        email: `paging${n}@locks.example`,
        services: ['lock_change'],
        address: 'San Francisco, CA 94117',
      });
    }
    const byEmail = await service.ctx.call(registry.ProviderList, { q: 'paging2@' });
    expect(byEmail.items.map((p) => p.name)).toEqual(['Paging Locks 2']);
    const byPhone = await service.ctx.call(registry.ProviderList, { q: '5550193' });
    expect(byPhone.items.map((p) => p.name)).toEqual(['Paging Locks 3']);
    const byTypedNumber = await service.ctx.call(registry.ProviderList, { q: '(415) 555-0192' });
    expect(byTypedNumber.items.map((p) => p.name)).toEqual(['Paging Locks 2']);

    const first = await service.ctx.call(registry.ProviderList, { q: 'Paging', limit: 2 });
    expect(first.items.map((p) => p.name)).toEqual(['Paging Locks 3', 'Paging Locks 2']);
    expect(first.nextCursor).not.toBeNull();
    const second = await service.ctx.call(registry.ProviderList, {
      q: 'Paging',
      limit: 2,
      cursor: first.nextCursor ?? '',
    });
    expect(second.items.map((p) => p.name)).toEqual(['Paging Locks 1']);
    expect(second.nextCursor).toBeNull();
    expect(await rejection(service.ctx.call(registry.ProviderList, { cursor: 'garbage' }))).toMatchObject({
      status: 400,
      code: 'INVALID_CURSOR',
    });
  });
});

describe('candidates.nearest', () => {
  const ids: Record<string, string> = {};
  const jobId = randomUUID();
  const offerId = randomUUID();

  beforeAll(async () => {
    const roster: [string, string, string, string[], number][] = [
      ['castro', '+14155550161', '4100 18th St, San Francisco, CA 94114', ['home_lockout', 'lock_change'], 8],
      [
        'soma',
        '+14155550162',
        '888 Brannan St, San Francisco, CA 94103',
        ['home_lockout', 'business_lockout'],
        15,
      ],
      ['marinaCarsOnly', '+14155550163', '2001 Chestnut St, San Francisco, CA 94123', ['car_lockout'], 20],
      ['sunsetSmallRadius', '+14155550164', '1900 Irving St, San Francisco, CA 94122', ['home_lockout'], 2],
      ['bernalPaused', '+14155550165', '500 Cortland Ave, San Francisco, CA 94110', ['home_lockout'], 10],
      ['haightUnavailable', '+14155550166', '1500 Haight St, San Francisco, CA 94117', ['home_lockout'], 10],
      [
        'pacificHeightsExcluded',
        '+14155550167',
        '2400 Fillmore St, San Francisco, CA 94115',
        ['home_lockout'],
        10,
      ],
      ['excelsiorPending', '+14155550168', '4600 Mission St, San Francisco, CA 94112', ['home_lockout'], 14],
      ['bayviewBusy', '+14155550169', '4900 3rd St, San Francisco, CA 94124', ['home_lockout'], 16],
      ['oakland', '+15105550170', '1 Frank H Ogawa Plaza, Oakland, CA 94612', ['home_lockout'], 30],
    ];
    for (const [key, phone, address, services, radiusKm] of roster) {
      ids[key] = (await create({ name: key, phone, address, services, radiusKm })).id;
    }
    const id = (key: string): string => ids[key] ?? '';
    await service.ctx.call(registry.ProviderUpdate, {
      id: id('bernalPaused'),
      status: 'paused',
      actor: 'ops@example.com',
    });
    await service.ctx.call(registry.ProviderUpdate, {
      id: id('haightUnavailable'),
      available: false,
      actor: 'ops@example.com',
    });
    await publishEvent(dispatch.OfferSent, {
      offerId,
      jobId: randomUUID(),
      jobCode: '4821',
      providerId: id('excelsiorPending'),
      providerPhone: '+14155550168',
      wave: 1,
      serviceName: 'Home lockout',
      area: 'Excelsior',
      distanceKm: 4,
      expiresAt: new Date(Date.now() + 120_000).toISOString(),
    });
    await publishEvent(dispatch.JobAssigned, jobEvent(jobId, 'ASSIGNED', id('bayviewBusy')));
    await waitFor(
      async () => {
        const pending = await service.ctx.call(registry.ProviderGet, { id: id('excelsiorPending') });
        const busy = await service.ctx.call(registry.ProviderGet, { id: id('bayviewBusy') });
        return pending.pendingOfferId === offerId && busy.busyJobId === jobId;
      },
      { what: 'offer and assignment applied' },
    );
  });

  const nearest = (radiusKm: number, excludeProviderIds: string[] = []) =>
    service.ctx.call(registry.CandidatesNearest, {
      serviceCode: 'home_lockout',
      ...MISSION_BART,
      radiusKm,
      limit: 20,
      excludeProviderIds,
    });

  it('returns only eligible providers whose radius and the search radius reach the job, nearest first', async () => {
    const { items, held } = await nearest(10, [ids['pacificHeightsExcluded'] ?? '']);
    expect(items.map((c) => c.name).sort()).toEqual(['Mission Lock & Key', 'castro', 'soma'].sort());
    // Fewer than asked for: beside them, the one who would be eligible but for a pending offer.
    expect(held?.map((c) => c.name)).toEqual(['excelsiorPending']);
    const distances = items.map((c) => c.distanceKm);
    expect([...distances].sort((a, b) => a - b)).toEqual(distances);
    for (const candidate of items) {
      const provider = await service.ctx.call(registry.ProviderGet, { id: candidate.providerId });
      expect(candidate.distanceKm).toBeCloseTo(distanceKm(provider, MISSION_BART), 1);
    }
  });

  it('reaches farther providers only when the search radius does, and never past their own radius', async () => {
    const near = (await nearest(10)).items.map((c) => c.name);
    expect(near).toContain('pacificHeightsExcluded');
    expect(near).not.toContain('oakland');
    const wide = (await nearest(25)).items.map((c) => c.name);
    expect(wide).toContain('oakland');
    expect(wide).not.toContain('sunsetSmallRadius');
    const limited = await service.ctx.call(registry.CandidatesNearest, {
      serviceCode: 'home_lockout',
      ...MISSION_BART,
      radiusKm: 25,
      limit: 2,
      excludeProviderIds: [],
    });
    expect(limited.items).toHaveLength(2);
    // Enough free ones: nobody held is looked for.
    expect(limited.held).toEqual([]);
  });

  it('frees a provider when their offer closes and when their job ends', async () => {
    await publishEvent(dispatch.OfferClosed, {
      offerId,
      jobId: randomUUID(),
      jobCode: '4821',
      providerId: ids['excelsiorPending'] ?? '',
      providerPhone: '+14155550168',
      status: 'DECLINED',
      reason: 'declined by SMS',
      responseSeconds: 42,
    });
    await publishEvent(dispatch.JobCompleted, jobEvent(jobId, 'COMPLETED', ids['bayviewBusy'] ?? ''));
    const names = await waitFor(
      async () => {
        const list = (await nearest(25)).items.map((c) => c.name);
        return list.includes('excelsiorPending') && list.includes('bayviewBusy') ? list : undefined;
      },
      { what: 'both providers eligible again' },
    );
    expect(names).toEqual(expect.arrayContaining(['excelsiorPending', 'bayviewBusy']));
    const stats = (await service.ctx.call(registry.ProviderGet, { id: ids['excelsiorPending'] ?? '' })).stats;
    expect(stats).toEqual({
      offers: 1,
      accepted: 0,
      declined: 1,
      expired: 0,
      acceptanceRate: 0,
      medianResponseSeconds: 42,
    });
  });

  it('follows AVAILABLE / UNAVAILABLE / STOP / START texted by the provider', async () => {
    const id = ids['castro'] ?? '';
    const text = (kind: messaging.SmsCommand['kind']) =>
      publishEvent(messaging.SmsReceived, {
        messageSid: `SM${randomUUID().replace(/-/g, '')}`,
        from: '+14155550161',
        providerId: id,
        body: kind,
        command: { kind },
        receivedAt: new Date().toISOString(),
      });
    const state = async () => {
      const p = await service.ctx.call(registry.ProviderGet, { id });
      return `${p.status}/${p.available}`;
    };
    await text('UNAVAILABLE');
    await waitFor(async () => (await state()) === 'active/false', { what: 'unavailable' });
    await text('AVAILABLE');
    await waitFor(async () => (await state()) === 'active/true', { what: 'available' });
    await text('STOP');
    await waitFor(async () => (await state()) === 'deactivated/true', { what: 'deactivated' });
    expect((await nearest(25)).items.map((c) => c.name)).not.toContain('castro');
    await text('START');
    await waitFor(async () => (await state()) === 'active/true', { what: 'reactivated' });

    // START undoes only what STOP did: an operator's deactivation stands.
    await service.ctx.call(registry.ProviderUpdate, { id, status: 'deactivated', actor: 'ops@example.com' });
    await text('START');
    const last = await text('AVAILABLE');
    await waitFor(
      async () => {
        const handled = await service.ctx.orm.em
          .fork()
          .execute<{ n: number }[]>(`select count(*)::int as n from registry.inbox where event_id = ?`, [
            last,
          ]);
        return handled[0]?.n === 1;
      },
      { what: 'the last text handled' },
    );
    expect(await state()).toBe('deactivated/true');
  });
});

describe('coverage.check', () => {
  it('says a point is served when some active provider reaches it with their own radius', async () => {
    expect(await service.ctx.call(registry.CoverageCheck, MISSION_BART)).toMatchObject({ served: true });
    // Sacramento: nobody's radius reaches 120 km.
    expect(await service.ctx.call(registry.CoverageCheck, { lat: 38.5816, lng: -121.4944 })).toEqual({
      served: false,
      providers: 0,
    });
  });
});

describe('demo data', () => {
  it('seeds the San Francisco locksmiths through provider.create, once', async () => {
    const call = service.ctx.call.bind(service.ctx);
    const first = await seedDemoLocksmiths((contract, request) => call(contract, request));
    expect(first).toEqual({ created: DEMO_LOCKSMITHS.length, skipped: 0 });
    const again = await seedDemoLocksmiths((contract, request) => call(contract, request));
    expect(again).toEqual({ created: 0, skipped: DEMO_LOCKSMITHS.length });
    const seeded = await service.ctx.call(registry.ProviderByPhone, {
      phone: DEMO_LOCKSMITHS[0]?.phone ?? '',
    });
    expect(seeded.provider).toMatchObject({ status: 'active', available: true, trade: 'locksmith' });
    expect(seeded.provider && distanceKm(seeded.provider, MISSION_BART)).toBeLessThan(15);
  });
});

/** The plan PostgreSQL picks for candidates.nearest (or its search for held providers) around Mission BART, as text. */
async function explainNearest(em: EntityManager, sql = NEAREST_SQL): Promise<string> {
  const plan = await em.execute<{ 'QUERY PLAN': string }[]>(
    `explain ${sql}`,
    nearestParams({
      serviceCode: 'home_lockout',
      ...MISSION_BART,
      radiusKm: 10,
      limit: 5,
      excludeProviderIds: [],
    }),
  );
  return plan.map((row) => row['QUERY PLAN']).join('\n');
}

describe('the nearest query', () => {
  it('uses the GiST index on the earth point when the table holds thousands of providers', async () => {
    const em = service.ctx.orm.em.fork();
    // 5,000 providers spread over the continental US: the search box holds a handful of them.
    await em.execute(`
      insert into registry.provider (id, name, phone, services, lat, lng, radius_km)
      select gen_random_uuid(), 'Bulk ' || n, '+1999' || lpad(n::text, 7, '0'), '{home_lockout}',
             25 + random() * 24, -124 + random() * 57, 10 + random() * 20
      from generate_series(1, 5000) as n`);
    await em.execute('analyze registry.provider');
    expect(await explainNearest(em)).toContain('provider_location_gist');
    // The held search may start from either index: the earth point's, or the partial index of providers
    // holding an offer (only as many rows as there are pending offers). Never the whole table.
    const held = await explainNearest(em, HELD_SQL);
    expect(held).toMatch(/provider_location_gist|provider_pending_offer/);
    expect(held).not.toMatch(/Seq Scan/);
  });

  it('can take its order from the index, so a dense city stops the scan at k', async () => {
    // PostgreSQL has no statistics for cube containment, so it guesses the box holds 0.1 % of the table:
    // a bitmap scan and a sort on a table this size, an ordered index scan at the bench's 100,000.
    // With bitmap scans off, the plan shows whether the statement lets the index hand rows back nearest
    // first; a second sort key (`, p.id`) would force a sort of everything in the box.
    const text = await service.ctx.transaction(async (em) => {
      await em.execute('set local enable_bitmapscan = off');
      return explainNearest(em, NEAREST_SQL);
    });
    expect(text).toMatch(/Index Scan using provider_location_gist/);
    expect(text).toMatch(/Order By: /);
    expect(text).not.toMatch(/Sort/);
    // The held search either takes the same ordered scan, or reads the few providers holding an offer
    // from their partial index and sorts those: both stop short of the table.
    const held = await service.ctx.transaction(async (em) => {
      await em.execute('set local enable_bitmapscan = off');
      return explainNearest(em, HELD_SQL);
    });
    expect(held).toMatch(
      /Index Scan using provider_location_gist[\s\S]*Order By: |Index Scan using provider_pending_offer/,
    );
    expect(held).not.toMatch(/Seq Scan/);
  });

  it('keeps the index in the generic plan its prepared statement may switch to', async () => {
    // candidates.nearest runs as a named prepared statement; after a few runs PostgreSQL may plan it once
    // for any parameters. That plan must still be the ordered index scan.
    const text = await service.ctx.transaction(async (em) => {
      await em.execute('set local plan_cache_mode = force_generic_plan');
      await em.execute('set local enable_bitmapscan = off');
      await em.execute(`prepare nearest_generic as ${NEAREST_STATEMENT.text}`);
      try {
        const values = nearestParams({
          serviceCode: 'home_lockout',
          ...MISSION_BART,
          radiusKm: 10,
          limit: 5,
          excludeProviderIds: [],
        }).map((value) => (typeof value === 'string' ? `'${value}'` : String(value)));
        const plan = await em.execute<{ 'QUERY PLAN': string }[]>(
          `explain execute nearest_generic(${values.join(', ')})`,
        );
        return plan.map((row) => row['QUERY PLAN']).join('\n');
      } finally {
        await em.execute('deallocate nearest_generic');
      }
    });
    expect(text).toMatch(/Index Scan using provider_location_gist/);
    expect(text).toMatch(/\$1/);
    expect(text).not.toMatch(/Sort/);
  });
});

function jobEvent(
  jobId: string,
  state: 'ASSIGNED' | 'COMPLETED',
  locksmithId: string,
): dispatch.JobStateChangedData {
  return {
    jobId,
    jobCode: '1234',
    bookingId: 'bk_1',
    state,
    previousState: null,
    cause: 'test',
    actor: 'system',
    at: new Date().toISOString(),
    serviceCode: 'home_lockout',
    serviceName: 'Home lockout',
    customer: { name: 'Ana', phone: '+14155550100' },
    address: {
      formatted: '500 Howard St, San Francisco, CA 94105',
      lat: 37.788,
      lng: -122.396,
      zip: '94105',
    },
    notes: null,
    locksmith: { id: locksmithId, name: 'x', phone: '+14155550169', etaMinutes: 20 },
  };
}
