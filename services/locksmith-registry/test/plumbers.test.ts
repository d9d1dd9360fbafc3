import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  AppError,
  CONSUMERS,
  deadLetterSubject,
  dispatch,
  messaging,
  payments,
  registry,
  type EventContract,
  type EventData,
  type RequestOf,
} from '@trades/contracts';
import { distanceKm, usZips } from '@trades/geo';
import { encodeJson, startService, type EntityManager, type RunningService } from '@trades/runtime';
import { consumerSettled, migrateService, resetJetStream, serviceEnv, waitFor } from '@trades/testkit';
import { createRegistryService } from '../src/app.ts';
import { DEMO_PLUMBERS, seedDemoPlumbers } from '../src/demo-plumbers.ts';
import {
  CANDIDATES_SQL,
  candidatesParams,
  collidedField,
  COVERAGE_SQL,
  insertPlumber,
  type NewPlumber,
} from '../src/store/plumbers.ts';

// Project-level testTimeout is not applied in a multi-project jest config; these suites start real services.
jest.setTimeout(60_000);

const definition = createRegistryService();
let service: RunningService<unknown>;
let startedAt: string;

type CreateRequest = Omit<RequestOf<typeof registry.PlumberCreate>, 'actor'>;
/** The plumbers this file made: other test files share the run's database and may list theirs too. */
const mine = new Set<string>();
const create = async (request: CreateRequest) => {
  const created = await service.ctx.call(registry.PlumberCreate, { ...request, actor: 'test@example.com' });
  mine.add(created.id);
  return created;
};
const ours = (page: { items: { id: string; firstName: string }[] }) =>
  page.items.filter((p) => mine.has(p.id));
const update = (request: Omit<RequestOf<typeof registry.PlumberUpdate>, 'actor'>) =>
  service.ctx.call(registry.PlumberUpdate, { ...request, actor: 'ops@example.com' });

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
    { msgID: id },
  );
  return id;
}

const zip = (code: string) => {
  const place = usZips().lookup(code);
  if (!place) throw new Error(`test ZIP ${code} is not in the data`);
  return place;
};

let phoneSeq = 0;
/** A fresh fictional number per plumber (555-02xx, clear of the demo data's 555-01xx). */
const nextPhone = (): string => `+1415555${String(200 + ++phoneSeq).padStart(4, '0')}`;

const plumber = (key: string, extra: Partial<CreateRequest> = {}): CreateRequest => ({
  firstName: key,
  lastName: 'Test',
  email: `${key.toLowerCase()}@plumbers.example`,
  phone: nextPhone(),
  zipCode: '94110',
  services: ['drain_cleaning'],
  ...extra,
});

/** Tells the registry, as payments would, where a provider's card stands. */
const reportCard = (
  providerId: string,
  status: payments.CardStatus,
  at: Date,
  card: { brand: string | null; last4: string | null } = { brand: 'visa', last4: '4242' },
) =>
  publishEvent(payments.ProviderCardUpdated, {
    providerId,
    stripeCustomerId: `cus_${providerId.slice(0, 8)}`,
    status,
    ...card,
    at: at.toISOString(),
  });

const handled = (eventId: string) =>
  waitFor(
    async () => {
      const [row] = await service.ctx.orm.em
        .fork()
        .execute<{ n: number }[]>('select count(*)::int as n from registry.inbox where event_id = ?', [
          eventId,
        ]);
      return row?.n === 1;
    },
    { what: `event ${eventId} handled` },
  );

beforeAll(async () => {
  await resetJetStream();
  await migrateService(definition);
  service = await startService(definition, serviceEnv());
  const [now] = await service.ctx.orm.em.fork().execute<{ now: string }[]>(`select now()::text as now`);
  startedAt = now?.now ?? '';
});

afterAll(async () => {
  // The run's database is shared by every suite: leave no providers behind.
  if (startedAt)
    await service?.ctx.orm.em
      .fork()
      .execute('delete from registry.provider where created_at >= ?::timestamptz', [startedAt]);
  await service?.stop();
});

describe('plumber.create', () => {
  it('keeps the names, a lower-case email and an E.164 number, and places the plumber at the base ZIP centre', async () => {
    const created = await create({
      firstName: '  Rosa ',
      lastName: 'Delgado',
      email: 'Rosa.Delgado@Example.COM',
      phone: '(415) 555-0290',
      zipCode: '94110',
      services: ['drain_cleaning', 'leak_repair', 'drain_cleaning'],
      coverageZips: ['94110', '94114', '94110'],
    });
    expect(created).toEqual({
      id: expect.any(String),
      firstName: 'Rosa',
      lastName: 'Delgado',
      email: 'rosa.delgado@example.com',
      phone: '+14155550290',
      zipCode: '94110',
      services: ['drain_cleaning', 'leak_repair'],
      coverageZips: ['94110', '94114'],
      radiusKm: 15,
      status: 'active',
      available: true,
      stripeCustomerId: null,
      card: { status: 'none' },
      dailyCap: 0,
      weeklyCap: 0,
      monthlyCap: 0,
      monthlySpendCapCents: 0,
      timeZone: 'America/New_York',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const provider = await service.ctx.call(registry.ProviderGet, { id: created.id });
    expect(provider).toMatchObject({
      trade: 'plumber',
      name: 'Rosa Delgado',
      address: 'San Francisco, CA 94110',
    });
    expect(distanceKm(provider, zip('94110'))).toBeLessThan(0.01);
    expect(await service.ctx.call(registry.PlumberGet, { id: created.id })).toEqual(created);

    // Announced as a provider, with the plumber resource payments needs for the card link.
    const [announced] = await service.ctx.orm.em
      .fork()
      .execute<{ payload: { data: { plumber?: { firstName: string }; provider: { trade: string } } } }[]>(
        `select payload from registry.outbox where subject = ? and payload #>> '{data,provider,id}' = ?`,
        [registry.ProviderCreated.subject, created.id],
      );
    expect(announced?.payload.data.provider.trade).toBe('plumber');
    expect(announced?.payload.data.plumber?.firstName).toBe('Rosa');
  });

  it('refuses a taken email (any case) or number, even a locksmith’s, with 409', async () => {
    const locksmith = await service.ctx.call(registry.ProviderCreate, {
      name: 'Lock Only',
      phone: '+14155550291',
      services: ['home_lockout'],
      address: 'San Francisco, CA 94103',
      actor: 'test',
    });
    expect(await rejection(create(plumber('Copy', { email: 'ROSA.delgado@example.com' })))).toMatchObject({
      status: 409,
      code: 'EMAIL_TAKEN',
    });
    expect(await rejection(create(plumber('Copy', { phone: '415-555-0290' })))).toMatchObject({
      status: 409,
      code: 'PHONE_TAKEN',
    });
    expect(await rejection(create(plumber('Copy', { phone: locksmith.phone })))).toMatchObject({
      status: 409,
      code: 'PHONE_TAKEN',
    });
  });

  it('lets the unique constraints decide between two creates with the same email at once', async () => {
    const racers = [0, 1, 2].map((n) =>
      create(plumber(`Racer${n}`, { email: 'racer@plumbers.example' })).then(
        () => 'created',
        (error: unknown) => (error instanceof AppError ? error.code : String(error)),
      ),
    );
    expect((await Promise.all(racers)).sort()).toEqual(['EMAIL_TAKEN', 'EMAIL_TAKEN', 'created']);

    // Past the pre-check (it saw no one yet), the constraint's refusal names the field it collided on.
    const collision = async (fields: Partial<NewPlumber>) =>
      service.ctx
        .transaction((em) => insertPlumber(em, { ...base, id: randomUUID(), ...fields }))
        .then(
          () => null,
          (error: unknown) => collidedField(error),
        );
    const base: NewPlumber = {
      id: randomUUID(),
      firstName: 'Raw',
      lastName: 'Insert',
      name: 'Raw Insert',
      email: 'raw@plumbers.example',
      phone: nextPhone(),
      zip: '94110',
      address: 'San Francisco, CA 94110',
      ...pick(zip('94110')),
      services: ['drain_cleaning'],
      coverageZips: [],
      radiusKm: 5,
      caps: {
        dailyCap: 0,
        weeklyCap: 0,
        monthlyCap: 0,
        monthlySpendCapCents: 0,
        timeZone: 'America/Los_Angeles',
      },
    };
    await service.ctx.transaction((em) => insertPlumber(em, base));
    expect(await collision({ phone: nextPhone(), email: 'RAW@plumbers.example' })).toBe('email');
    expect(await collision({ email: 'raw-other@plumbers.example' })).toBe('phone');
  });

  it('lists every bad field at once, refuses non-plumbing services, and writes nothing', async () => {
    const invalid = await rejection(
      create(
        plumber('Nowhere', {
          phone: 'call me',
          zipCode: '00000',
          coverageZips: ['94110', '99999'],
        }),
      ),
    );
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(invalid.details).toEqual({
      fields: [
        { field: 'phone', message: expect.stringContaining('not a valid mobile number') },
        { field: 'zipCode', message: '00000 is not a US ZIP code' },
        { field: 'coverageZips/1', message: '99999 is not a US ZIP code' },
      ],
    });
    expect(await rejection(create(plumber('Nowhere', { services: ['home_lockout'] })))).toMatchObject({
      status: 400,
      code: 'UNKNOWN_SERVICE',
      details: { services: ['home_lockout'] },
    });
    expect(await rejection(create(plumber('Nowhere', { lastName: '   ' })))).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      details: { fields: [{ field: 'lastName', message: 'must not be blank' }] },
    });
    expect((await service.ctx.call(registry.PlumberList, { q: 'Nowhere' })).items).toEqual([]);
  });
});

describe('plumber.update and plumber.list', () => {
  it('changes contact, base ZIP, coverage, cap and status, and guards the unique email', async () => {
    const first = await create(plumber('Editable', { services: ['toilet_repair'] }));
    const other = await create(plumber('Other'));
    const moved = await update({
      id: first.id,
      lastName: 'Edited',
      email: 'EDITED@plumbers.example',
      zipCode: '94122',
      coverageZips: [],
      radiusKm: 4,
      dailyCap: 3,
      services: ['toilet_repair', 'water_heater'],
    });
    expect(moved).toMatchObject({
      firstName: 'Editable',
      lastName: 'Edited',
      email: 'edited@plumbers.example',
      zipCode: '94122',
      coverageZips: [],
      radiusKm: 4,
      dailyCap: 3,
      services: ['toilet_repair', 'water_heater'],
    });
    const provider = await service.ctx.call(registry.ProviderGet, { id: first.id });
    expect(provider.name).toBe('Editable Edited');
    expect(distanceKm(provider, zip('94122'))).toBeLessThan(0.01);

    expect(await rejection(update({ id: other.id, email: 'edited@PLUMBERS.example' }))).toMatchObject({
      status: 409,
      code: 'EMAIL_TAKEN',
    });
    expect(await rejection(update({ id: other.id, phone: first.phone }))).toMatchObject({
      status: 409,
      code: 'PHONE_TAKEN',
    });
    expect(await rejection(update({ id: other.id, coverageZips: ['00000'] }))).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    expect(await rejection(update({ id: other.id, services: ['car_lockout'] }))).toMatchObject({
      status: 400,
      code: 'UNKNOWN_SERVICE',
    });
    expect(await update({ id: other.id, status: 'paused', available: false })).toMatchObject({
      status: 'paused',
      available: false,
    });
  });

  it('keeps plumbers out of the locksmiths’ endpoints, which do not check a plumber’s fields', async () => {
    const someone = (await service.ctx.call(registry.PlumberList, { limit: 1 })).items[0];
    expect(
      await rejection(
        service.ctx.call(registry.ProviderCreate, {
          name: 'Half A Plumber',
          phone: nextPhone(),
          trade: 'plumber',
          services: ['drain_cleaning'],
          address: 'San Francisco, CA 94110',
          actor: 'test',
        }),
      ),
    ).toMatchObject({ status: 400, code: 'USE_PLUMBER_ENDPOINTS' });
    expect(
      await rejection(
        service.ctx.call(registry.ProviderUpdate, {
          id: someone?.id ?? randomUUID(),
          email: null,
          actor: 'test',
        }),
      ),
    ).toMatchObject({ status: 400, code: 'USE_PLUMBER_ENDPOINTS' });
  });

  it('answers 404 for an unknown id and for a provider who is not a plumber', async () => {
    const locksmith = await service.ctx.call(registry.ProviderByPhone, { phone: '+14155550291' });
    for (const id of [randomUUID(), locksmith.provider?.id ?? randomUUID()]) {
      expect(await rejection(service.ctx.call(registry.PlumberGet, { id }))).toMatchObject({
        status: 404,
        code: 'PLUMBER_NOT_FOUND',
      });
      expect(await rejection(update({ id, dailyCap: 1 }))).toMatchObject({ status: 404 });
    }
  });

  it('lists plumbers only, newest first, by text, ZIP and card status, page by page', async () => {
    const all = await service.ctx.call(registry.PlumberList, { limit: 200 });
    expect(all.items.map((p) => p.phone)).not.toContain('+14155550291');
    const names = all.items.map((p) => p.firstName);
    expect(names.indexOf('Other')).toBeLessThan(names.indexOf('Editable'));

    const byZip = await service.ctx.call(registry.PlumberList, { q: '94114', limit: 200 });
    expect(ours(byZip).map((p) => p.firstName)).toEqual(['Rosa']);
    const byEmail = await service.ctx.call(registry.PlumberList, { q: 'edited@', limit: 200 });
    expect(ours(byEmail).map((p) => p.firstName)).toEqual(['Editable']);
    expect(ours(await service.ctx.call(registry.PlumberList, { cardStatus: 'saved', limit: 200 }))).toEqual(
      [],
    );
    expect(
      ours(await service.ctx.call(registry.PlumberList, { status: 'paused', limit: 200 })).map(
        (p) => p.firstName,
      ),
    ).toEqual(['Other']);

    const first = await service.ctx.call(registry.PlumberList, { limit: 2 });
    const second = await service.ctx.call(registry.PlumberList, { limit: 2, cursor: first.nextCursor ?? '' });
    expect(second.items[0]?.id).toBe(all.items[2]?.id);
  });
});

describe("payments' card reports", () => {
  it('keeps the newest report whatever order they arrive in, and ignores a redelivery', async () => {
    const { id } = await create(plumber('Cardholder'));
    const t0 = new Date(Date.now() - 60_000);
    const t1 = new Date(t0.getTime() + 1_000);
    const t2 = new Date(t0.getTime() + 2_000);
    const card = async () => (await service.ctx.call(registry.PlumberGet, { id })).card;

    // The newer word (the card failed and needs an update) arrives before the older one (saved).
    await handled(await reportCard(id, 'needs_update', t1, { brand: 'visa', last4: '0341' }));
    await handled(await reportCard(id, 'saved', t0, { brand: 'visa', last4: '4242' }));
    expect(await card()).toEqual({ status: 'needs_update', brand: 'visa', last4: '0341' });

    await handled(await reportCard(id, 'saved', t2, { brand: 'mastercard', last4: '4444' }));
    expect(await card()).toEqual({ status: 'saved', brand: 'mastercard', last4: '4444' });
    expect((await service.ctx.call(registry.PlumberGet, { id })).stripeCustomerId).toBe(
      `cus_${id.slice(0, 8)}`,
    );

    // The same event delivered twice (one Nats-Msg-Id slipping past the duplicate window) is handled once.
    const again = randomUUID();
    const envelope = (status: payments.CardStatus) =>
      encodeJson({
        id: again,
        occurredAt: new Date().toISOString(),
        data: {
          providerId: id,
          stripeCustomerId: 'cus_again',
          status,
          brand: null,
          last4: null,
          at: new Date(t2.getTime() + 1_000).toISOString(),
        },
      });
    await service.ctx.js.publish(payments.ProviderCardUpdated.subject, envelope('needs_update'));
    await service.ctx.js.publish(payments.ProviderCardUpdated.subject, envelope('saved'));
    await waitFor(() => consumerSettled(service.ctx.nc, CONSUMERS.registryPayments), {
      what: 'both deliveries handled',
    });
    expect(await card()).toEqual({ status: 'needs_update' });
  });

  it('skips the other provider events on its subjects and reports for providers it does not know', async () => {
    // The card link payments sends a plumber travels on the same subjects; the registry has no use for it.
    const linkId = randomUUID();
    await service.ctx.js.publish(
      'evt.payments.provider.card_link_created.v1',
      encodeJson({ id: linkId, occurredAt: new Date().toISOString(), data: { providerId: randomUUID() } }),
      { msgID: linkId },
    );
    await handled(await reportCard(randomUUID(), 'saved', new Date()));
    await waitFor(() => consumerSettled(service.ctx.nc, CONSUMERS.registryPayments), {
      what: 'the consumer settled',
    });
    const jsm = await service.ctx.js.jetstreamManager();
    const deadLetter = await jsm.streams
      .getMessage('DEAD_LETTER', { last_by_subj: deadLetterSubject(CONSUMERS.registryPayments.durable) })
      .catch(() => null);
    expect(deadLetter).toBeNull();
  });
});

describe('plumber coverage and candidates', () => {
  // The lead: drain cleaning in the Mission (94110).
  const lead = { serviceCode: 'drain_cleaning', zipCode: '94110', ...pick(zip('94110')) };
  const ids: Record<string, string> = {};
  const id = (key: string): string => ids[key] ?? '';
  const offerId = randomUUID();

  beforeAll(async () => {
    // A radius of 2 km unless said otherwise: each reaches its own ZIP, not the next district's. The
    // plumbers of the tests above have no saved card, so they never show up here.
    const roster: [string, Partial<CreateRequest>][] = [
      // Lists the lead's ZIP from across the bay: the list decides, whatever the distance.
      ['oaklandListsMission', { zipCode: '94612', coverageZips: ['94612', '94110'], radiusKm: 1 }],
      // Lists ZIPs, not this one: their radius does not count when they list ZIPs.
      ['missionListsSunset', { zipCode: '94110', coverageZips: ['94122'], radiusKm: 50 }],
      ['castroRadius', { zipCode: '94114', radiusKm: 3, dailyCap: 2 }],
      ['somaRadius', { zipCode: '94103', radiusKm: 5 }],
      ['sunsetShortRadius', { zipCode: '94122', radiusKm: 2 }],
      ['waterHeatersOnly', { zipCode: '94110', services: ['water_heater'] }],
      ['noCard', { zipCode: '94110' }],
      ['cardNeedsUpdate', { zipCode: '94110' }],
      ['unavailable', { zipCode: '94110' }],
      ['paused', { zipCode: '94110' }],
      ['pendingOffer', { zipCode: '94110' }],
      ['excluded', { zipCode: '94110' }],
    ];
    for (const [key, extra] of roster) {
      ids[key] = (await create(plumber(key, { radiusKm: 2, ...extra, email: `${key}@coverage.example` }))).id;
    }
    const reports: string[] = [];
    for (const key of Object.keys(ids)) {
      if (key === 'noCard') continue;
      reports.push(
        await reportCard(id(key), key === 'cardNeedsUpdate' ? 'needs_update' : 'saved', new Date()),
      );
    }
    await update({ id: id('unavailable'), available: false });
    await update({ id: id('paused'), status: 'paused' });
    await publishEvent(dispatch.OfferSent, {
      offerId,
      jobId: randomUUID(),
      jobCode: '4821',
      providerId: id('pendingOffer'),
      providerPhone: (await service.ctx.call(registry.PlumberGet, { id: id('pendingOffer') })).phone,
      wave: 1,
      serviceName: 'Drain cleaning',
      area: '94110',
      distanceKm: 1,
      expiresAt: new Date(Date.now() + 120_000).toISOString(),
    });
    for (const report of reports) await handled(report);
    await waitFor(
      async () =>
        (await service.ctx.call(registry.ProviderGet, { id: id('pendingOffer') })).pendingOfferId === offerId,
      { what: 'the pending offer applied' },
    );
  });

  const candidates = (excludeProviderIds: string[] = [], extra: Partial<typeof lead> = {}) =>
    service.ctx.call(registry.PlumberCandidates, { ...lead, ...extra, limit: 50, excludeProviderIds });
  const keyOf = (providerId: string) => Object.keys(ids).find((key) => ids[key] === providerId) ?? providerId;

  it('offers a lead to plumbers who list its ZIP or, listing none, reach it with their radius; nearest first', async () => {
    const { items } = await candidates([id('excluded')]);
    expect(items.map((c) => keyOf(c.providerId))).toEqual([
      'castroRadius',
      'somaRadius',
      'oaklandListsMission',
    ]);
    const [castro] = items;
    expect(castro).toMatchObject({
      name: 'castroRadius Test',
      email: 'castroradius@coverage.example',
      dailyCap: 2,
    });
    expect(castro?.distanceKm).toBeCloseTo(distanceKm(zip('94114'), zip('94110')), 1);
    expect(items.at(-1)?.distanceKm).toBeGreaterThan(10);
  });

  it('leaves out the excluded, the unavailable, the paused, those with a pending offer or no saved card', async () => {
    const everyone = (await candidates()).items.map((c) => keyOf(c.providerId));
    expect(everyone).toContain('excluded');
    for (const key of [
      'unavailable',
      'paused',
      'pendingOffer',
      'noCard',
      'cardNeedsUpdate',
      'waterHeatersOnly',
    ])
      expect(everyone).not.toContain(key);
    // Fewer than asked for: the one held by a pending offer is named apart, so the seller can wait for them.
    const held = (await candidates()).held?.map((c) => keyOf(c.providerId));
    expect(held).toEqual(['pendingOffer']);

    await publishEvent(dispatch.OfferClosed, {
      offerId,
      jobId: randomUUID(),
      jobCode: '4821',
      providerId: id('pendingOffer'),
      providerPhone: (await service.ctx.call(registry.PlumberGet, { id: id('pendingOffer') })).phone,
      status: 'DECLINED',
      reason: 'declined by SMS',
      responseSeconds: 12,
    });
    await waitFor(async () => (await candidates()).items.some((c) => c.providerId === id('pendingOffer')), {
      what: 'the plumber free again once the offer closed',
    });
    expect((await candidates()).held).toEqual([]);
  });

  it('matches the service and follows AVAILABLE / UNAVAILABLE texted by a plumber', async () => {
    const heaters = await candidates([], { serviceCode: 'water_heater' });
    expect(heaters.items.map((c) => keyOf(c.providerId))).toEqual(['waterHeatersOnly']);

    const castro = await service.ctx.call(registry.PlumberGet, { id: id('castroRadius') });
    const text = (kind: 'AVAILABLE' | 'UNAVAILABLE') =>
      publishEvent(messaging.SmsReceived, {
        messageSid: `SM${randomUUID().replace(/-/g, '')}`,
        from: castro.phone,
        providerId: castro.id,
        body: kind,
        command: { kind },
        receivedAt: new Date().toISOString(),
      });
    await handled(await text('UNAVAILABLE'));
    expect((await candidates()).items.map((c) => c.providerId)).not.toContain(castro.id);
    await handled(await text('AVAILABLE'));
    expect((await candidates()).items.map((c) => c.providerId)).toContain(castro.id);
  });

  it('finds plumbers an operator may sell the lead to: covering it and buying its service first, then nearest, any status', async () => {
    const search = (q?: string) =>
      service.ctx.call(registry.PlumberSearchForLead, {
        ...lead,
        ...(q === undefined ? {} : { q }),
        limit: 50,
      });
    const radius = (await search('Radius')).items;
    expect(radius.map((p) => [keyOf(p.plumberId), p.covers, p.buysService])).toEqual([
      ['castroRadius', true, true],
      ['somaRadius', true, true],
      ['sunsetShortRadius', false, true],
    ]);
    expect(radius[0]).toMatchObject({
      name: 'castroRadius Test',
      cardStatus: 'saved',
      status: 'active',
      available: true,
      dailyCap: 2,
      timeZone: 'America/New_York',
    });
    expect(radius[0]?.distanceKm).toBeCloseTo(distanceKm(zip('94114'), zip('94110')), 1);
    // Why one cannot buy shows too: paused, no card, another service; a listed ZIP covers from afar.
    expect((await search('paused')).items).toMatchObject([
      { status: 'paused', covers: true, buysService: true },
    ]);
    expect((await search('noCard')).items).toMatchObject([{ cardStatus: 'none', covers: true }]);
    expect((await search('waterHeaters')).items).toMatchObject([{ covers: true, buysService: false }]);
    expect((await search('oaklandListsMission')).items).toMatchObject([{ covers: true, buysService: true }]);
    const everyone = (await search()).items.map((p) => keyOf(p.plumberId));
    expect(everyone.indexOf('castroRadius')).toBeLessThan(everyone.indexOf('missionListsSunset'));
  });

  it('says a ZIP and service are served when an active plumber with a saved card covers them', async () => {
    // Available or not, with a pending offer or not: they can still buy it in a later wave.
    const served = await service.ctx.call(registry.PlumberCoverage, {
      serviceCode: 'drain_cleaning',
      zipCode: '94110',
    });
    expect(served).toEqual({ served: true, plumbers: 6 });
    // The Sunset's 94122: the plumber who lists it, and the one whose 2 km reach their own ZIP.
    expect(
      await service.ctx.call(registry.PlumberCoverage, { serviceCode: 'drain_cleaning', zipCode: '94122' }),
    ).toEqual({ served: true, plumbers: 2 });
    // Nobody sells sewer-line leads; nobody covers Sacramento; no such ZIP.
    for (const [serviceCode, zipCode] of [
      ['sewer_line', '94110'],
      ['drain_cleaning', '95814'],
      ['drain_cleaning', '00000'],
    ] as const) {
      expect(await service.ctx.call(registry.PlumberCoverage, { serviceCode, zipCode })).toEqual({
        served: false,
        plumbers: 0,
      });
    }
  });
});

describe('the coverage queries', () => {
  /** The plan PostgreSQL picks for `sql`, as text. */
  async function explain(em: EntityManager, sql: string, params: unknown[]): Promise<string> {
    const plan = await em.execute<{ 'QUERY PLAN': string }[]>(`explain ${sql}`, params);
    return plan.map((row) => row['QUERY PLAN']).join('\n');
  }

  it('use the coverage GIN index and the earth-point GiST index when thousands of plumbers are registered', async () => {
    const em = service.ctx.orm.em.fork();
    // 5,000 plumbers over the continental US, half listing a few ZIPs of their own, half by radius.
    await em.execute(`
      insert into registry.provider
        (id, trade, name, first_name, last_name, email, phone, services, lat, lng, radius_km, coverage_zips,
         card_status)
      select gen_random_uuid(), 'plumber', 'Bulk ' || n, 'Bulk', n::text, 'bulk' || n || '@bulk.example',
             '+1998' || lpad(n::text, 7, '0'), '{drain_cleaning}', 25 + random() * 24, -124 + random() * 57,
             10 + random() * 20,
             case when n % 2 = 0 then array[lpad((10000 + n * 7)::text, 5, '0'), lpad((20000 + n * 13)::text, 5, '0')]
                  else '{}' end,
             'saved'
      from generate_series(1, 5000) as n`);
    await em.execute('analyze registry.provider');
    const lead = { serviceCode: 'drain_cleaning', zipCode: '94110', ...pick(zip('94110')) };
    const candidatesPlan = await explain(
      em,
      CANDIDATES_SQL,
      candidatesParams({ ...lead, limit: 5, excludeProviderIds: [] }),
    );
    expect(candidatesPlan).toContain('provider_plumber_coverage_gin');
    expect(candidatesPlan).toContain('provider_location_gist');
    expect(candidatesPlan).not.toMatch(/Seq Scan on provider/);
    const coveragePlan = await explain(em, COVERAGE_SQL, [
      lead.zipCode,
      lead.serviceCode,
      lead.lat,
      lead.lng,
      lead.lat,
      lead.lng,
      lead.serviceCode,
    ]);
    expect(coveragePlan).toContain('provider_plumber_coverage_gin');
    expect(coveragePlan).toContain('provider_location_gist');
    await em.execute(`delete from registry.provider where phone like '+1998%'`);
  });
});

describe('demo plumbers', () => {
  it('seeds the San Francisco plumbers through plumber.create, once', async () => {
    const call = service.ctx.call.bind(service.ctx);
    const first = await seedDemoPlumbers((contract, request) => call(contract, request));
    expect(first).toEqual({ created: DEMO_PLUMBERS.length, skipped: 0 });
    const again = await seedDemoPlumbers((contract, request) => call(contract, request));
    expect(again).toEqual({ created: 0, skipped: DEMO_PLUMBERS.length });
    const demoPhones = DEMO_PLUMBERS.map((p) => p.phone);
    expect(new Set(demoPhones).size).toBe(DEMO_PLUMBERS.length);
    for (const phone of demoPhones) expect(phone).toMatch(/^\+1415555015\d$/);
  });
});

function pick(place: { lat: number; lng: number }): { lat: number; lng: number } {
  return { lat: place.lat, lng: place.lng };
}
