import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { registry } from '@trades/contracts';
import { intake, notFound, payments, type EventData } from '@trades/contracts';
import { dispatchService } from '@trades/dispatch';
import { usZips } from '@trades/geo';
import { createRegistryService } from '@trades/locksmith-registry';
import {
  defineService,
  DEVELOPMENT_DEFAULTS,
  encodeJson,
  endpoint,
  startService,
  type RunningService,
} from '@trades/runtime';
import { migrateService, natsUrl, resetJetStream, serviceEnv, waitFor } from '@trades/testkit';
import { probeService } from '../../services/runtime/test/fixtures/probe.ts';
import { SESSION_COOKIE } from '../src/plugins/admin-auth.ts';
import { gateway, type Gateway } from './support.ts';

jest.setTimeout(60_000);

const EMAIL = DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'] ?? '';
const PASSWORD = DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'] ?? '';
const SECRET = DEVELOPMENT_DEFAULTS['ADMIN_SESSION_SECRET'] ?? '';

const LEAD_ID = randomUUID();
const MISSING_LEAD = randomUUID();
const LEAD_ZIP = '94110';

/** Intake as far as the "sell to" route can tell: one lead in the Mission, for drain cleaning. */
const fakeIntake = defineService({
  name: 'intake',
  version: '0.0.1-test',
  description: 'intake stand-in for the admin plumber tests',
  schema: probeService.schema,
  config: {},
  entities: probeService.entities,
  migrations: probeService.migrations,
  setup: () => ({
    endpoints: [
      endpoint(intake.LeadGet, async ({ id }) => {
        if (id !== LEAD_ID) throw notFound('LEAD_NOT_FOUND', 'There is no such lead.');
        const place = usZips().lookup(LEAD_ZIP);
        const now = new Date().toISOString();
        return {
          id,
          status: 'offered' as const,
          serviceNeeded: 'drain_cleaning',
          serviceName: 'Drain cleaning',
          urgency: 'week' as const,
          zipCode: LEAD_ZIP,
          priceCents: 4500,
          firstName: 'Hana',
          lastName: 'Homeowner',
          source: 'form' as const,
          partnerId: null,
          externalId: null,
          test: false,
          plumberId: null,
          createdAt: now,
          updatedAt: now,
          email: 'hana@example.test',
          phone: '+14155550199',
          description: null,
          lat: place?.lat ?? 0,
          lng: place?.lng ?? 0,
          partnerKeyId: null,
          rejectionReason: null,
          consent: { text: 'I agree to be contacted.', capturedAt: now },
          timeline: [],
        };
      }),
    ],
    consumers: [],
  }),
});

let nc: NatsConnection;
let app: Gateway;
let registryService: RunningService<unknown>;
let dispatch: RunningService<unknown> | undefined;
let intakeService: RunningService<object>;
let cookie = '';
const tag = String(Math.floor(Math.random() * 9000) + 1000);
let counter = 0;

beforeAll(async () => {
  await resetJetStream();
  const registryDefinition = createRegistryService();
  await migrateService(registryDefinition);
  await migrateService(dispatchService);
  await migrateService(probeService);
  nc = await connect({ servers: natsUrl() });
  registryService = await startService(registryDefinition, serviceEnv({ LOG_LEVEL: 'fatal' }));
  dispatch = await startService(dispatchService, serviceEnv({ LOG_LEVEL: 'fatal' }));
  intakeService = await startService(fakeIntake, serviceEnv({ LOG_LEVEL: 'fatal' }));
  app = gateway(nc, { ADMIN_EMAIL: EMAIL, ADMIN_PASSWORD: PASSWORD, ADMIN_SESSION_SECRET: SECRET });
  await app.ready();
  const login = await app.inject({
    method: 'POST',
    url: '/api/admin/login',
    remoteAddress: `10.7.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
    payload: { email: EMAIL, password: PASSWORD },
  });
  expect(login.statusCode).toBe(204);
  const session = login.cookies.find((c) => c.name === SESSION_COOKIE);
  cookie = `${SESSION_COOKIE}=${session?.value ?? ''}`;
});

afterAll(async () => {
  await app?.close();
  await dispatch?.stop();
  await intakeService?.stop();
  await registryService?.stop();
  await nc?.close();
});

const admin = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });

/** A new plumber through the admin API, with a card saved (as payments would report it). */
async function createPlumber(extra: object): Promise<registry.Plumber & { leadStats: unknown }> {
  counter += 1;
  const created = await admin('POST', '/api/admin/plumbers', {
    firstName: 'Sam',
    lastName: `Sellto${tag}x${counter}`,
    email: `sam.${tag}.${counter}@plumbers.example`,
    phone: `+1415${tag}${String(counter).padStart(3, '0')}`,
    zipCode: LEAD_ZIP,
    services: ['drain_cleaning'],
    ...extra,
  });
  expect(created.statusCode).toBe(201);
  const plumber = created.json<registry.Plumber>();
  const id = randomUUID();
  const card: EventData<typeof payments.ProviderCardUpdated> = {
    providerId: plumber.id,
    stripeCustomerId: `cus_${plumber.id.slice(0, 8)}`,
    status: 'saved',
    brand: 'visa',
    last4: '4242',
    at: new Date().toISOString(),
  };
  await registryService.ctx.js.publish(
    payments.ProviderCardUpdated.subject,
    encodeJson({ id, occurredAt: new Date().toISOString(), data: card }),
    { msgID: id },
  );
  return waitFor(
    async () => {
      const read = (await admin('GET', `/api/admin/plumbers/${plumber.id}`)).json<
        registry.Plumber & { leadStats: unknown }
      >();
      return read.card.status === 'saved' && read;
    },
    { what: 'the card saved' },
  );
}

describe('plumbers in the admin API: caps and lead statistics', () => {
  it('takes every cap and the time zone on create and change, and refuses an unknown time zone', async () => {
    const plumber = await createPlumber({
      dailyCap: 3,
      weeklyCap: 10,
      monthlyCap: 30,
      monthlySpendCapCents: 150_000,
      timeZone: 'America/Los_Angeles',
    });
    expect(plumber).toMatchObject({
      dailyCap: 3,
      weeklyCap: 10,
      monthlyCap: 30,
      monthlySpendCapCents: 150_000,
      timeZone: 'America/Los_Angeles',
    });
    const changed = await admin('PATCH', `/api/admin/plumbers/${plumber.id}`, {
      weeklyCap: 12,
      monthlySpendCapCents: 0,
      timeZone: 'America/Chicago',
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({
      dailyCap: 3,
      weeklyCap: 12,
      monthlySpendCapCents: 0,
      timeZone: 'America/Chicago',
    });
    const unknown = await admin('PATCH', `/api/admin/plumbers/${plumber.id}`, {
      timeZone: 'Mars/Olympus_Mons',
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'UNKNOWN_TIME_ZONE' });
    const negative = await admin('PATCH', `/api/admin/plumbers/${plumber.id}`, { monthlyCap: -1 });
    expect(negative.statusCode).toBe(400);
  });

  it("shows each plumber's lead statistics from dispatch on the list and the page, and the registry's part alone when dispatch does not answer", async () => {
    const plumber = await createPlumber({ dailyCap: 2, timeZone: 'America/Denver' });
    expect(plumber.leadStats).toEqual({
      plumberId: plumber.id,
      offered: 0,
      bought: 0,
      credited: 0,
      acceptanceRate: null,
      medianReplySeconds: null,
      returnRate: null,
      flagged: false,
      usage: { today: 0, thisWeek: 0, thisMonth: 0, spendThisMonthCents: 0, atCap: null },
    });
    const list = await admin('GET', `/api/admin/plumbers?q=${encodeURIComponent(plumber.lastName)}`);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ items: [{ id: plumber.id, leadStats: { plumberId: plumber.id } }] });

    await dispatch?.stop();
    dispatch = undefined;
    const without = await admin('GET', `/api/admin/plumbers?q=${encodeURIComponent(plumber.lastName)}`);
    expect(without.statusCode).toBe(200);
    expect(without.json()).toMatchObject({ items: [{ id: plumber.id, leadStats: null }] });
    const page = await admin('GET', `/api/admin/plumbers/${plumber.id}`);
    expect(page.json()).toMatchObject({ id: plumber.id, dailyCap: 2, leadStats: null });
    dispatch = await startService(dispatchService, serviceEnv({ LOG_LEVEL: 'fatal' }));
  });

  it('lists the plumbers a lead can be sold to: those covering it and buying its service first, with card status and usage', async () => {
    const covering = await createPlumber({ lastName: `Covering${tag}`, dailyCap: 1 });
    const elsewhere = await createPlumber({ lastName: `Elsewhere${tag}`, coverageZips: ['94122'] });
    const found = await admin('GET', `/api/admin/leads/${LEAD_ID}/plumbers?q=${tag}`);
    expect(found.statusCode).toBe(200);
    const items = found.json<{ items: { plumberId: string; covers: boolean; usage: unknown }[] }>().items;
    const ids = items.map((p) => p.plumberId);
    expect(ids.indexOf(covering.id)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(covering.id)).toBeLessThan(ids.indexOf(elsewhere.id));
    expect(items.find((p) => p.plumberId === covering.id)).toMatchObject({
      name: covering.firstName + ' ' + covering.lastName,
      covers: true,
      buysService: true,
      cardStatus: 'saved',
      status: 'active',
      dailyCap: 1,
      distanceKm: 0,
      usage: { today: 0, atCap: null },
    });
    expect(items.find((p) => p.plumberId === elsewhere.id)).toMatchObject({
      covers: false,
      buysService: true,
    });

    const missing = await admin('GET', `/api/admin/leads/${MISSING_LEAD}/plumbers`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'LEAD_NOT_FOUND' });
  });
});
