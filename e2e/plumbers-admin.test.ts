import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
import { registry } from '@trades/contracts';
import { createRegistryService } from '@trades/locksmith-registry';
import {
  DEVELOPMENT_DEFAULTS,
  startService,
  type NatsConnection,
  type RunningService,
} from '@trades/runtime';
import { migrateService, natsUrl, resetJetStream, serviceEnv, waitFor } from '@trades/testkit';
import type { LightMyRequestResponse } from 'fastify';
import { loadGatewayConfig } from '../gateway/src/config.ts';
import { SESSION_COOKIE } from '../gateway/src/plugins/admin-auth.ts';
import { buildServer } from '../gateway/src/server.ts';

// Real services, databases and timers: give each test and hook room on a slow machine.
jest.setTimeout(30_000);

/** The operators' plumber API over a real registry: create, list, show and edit, with every refusal. */
const definition = createRegistryService();
let service: RunningService<unknown>;
let nc: NatsConnection;
let gateway: ReturnType<typeof buildServer>;
let cookie: string;
let startedAt: string;

beforeAll(async () => {
  await resetJetStream();
  await migrateService(definition);
  service = await startService(definition, serviceEnv());
  const [now] = await service.ctx.orm.em.fork().execute<{ now: string }[]>(`select now()::text as now`);
  startedAt = now?.now ?? '';
  nc = await connect({ servers: natsUrl() });
  gateway = buildServer(
    loadGatewayConfig(
      serviceEnv({
        ADMIN_EMAIL: DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'] ?? '',
        ADMIN_PASSWORD: DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'] ?? '',
        ADMIN_SESSION_SECRET: DEVELOPMENT_DEFAULTS['ADMIN_SESSION_SECRET'] ?? '',
      }),
    ),
    { natsConnection: nc },
  );
  await gateway.ready();
  const login = await gateway.inject({
    method: 'POST',
    url: '/api/admin/login',
    payload: { email: DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'], password: DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'] },
  });
  expect(login.statusCode).toBe(204);
  const session = login.cookies.find((c) => c.name === SESSION_COOKIE);
  cookie = `${SESSION_COOKIE}=${session?.value ?? ''}`;
});

afterAll(async () => {
  await gateway?.close();
  await nc?.drain();
  // The run's database is shared by every suite: leave no providers behind.
  if (startedAt)
    await service?.ctx.orm.em
      .fork()
      .execute('delete from registry.provider where created_at >= ?::timestamptz', [startedAt]);
  await service?.stop();
});

const get = (url: string) => gateway.inject({ method: 'GET', url, headers: { cookie } });
const post = (url: string, payload: object) =>
  gateway.inject({ method: 'POST', url, headers: { cookie }, payload });
const patch = (url: string, payload: object) =>
  gateway.inject({ method: 'PATCH', url, headers: { cookie }, payload });

const body = {
  firstName: 'Maria',
  lastName: 'Santos',
  email: 'Maria@SantosPlumbing.example',
  phone: '(415) 555-0280',
  zipCode: '94110',
  services: ['drain_cleaning', 'water_heater'],
  coverageZips: ['94110', '94112'],
  dailyCap: 4,
};

const error = (response: LightMyRequestResponse) =>
  response.json<{ code: string; message: string; details?: unknown }>();

describe('/api/admin/plumbers', () => {
  let id = '';

  it('needs an operator', async () => {
    const response = await gateway.inject({ method: 'GET', url: '/api/admin/plumbers' });
    expect(response.statusCode).toBe(401);
  });

  it('registers a plumber and answers 201 with the plumber resource', async () => {
    const response = await post('/api/admin/plumbers', body);
    expect(response.statusCode).toBe(201);
    const plumber = response.json<registry.Plumber>();
    expect(plumber).toEqual({
      id: expect.any(String),
      firstName: 'Maria',
      lastName: 'Santos',
      email: 'maria@santosplumbing.example',
      phone: '+14155550280',
      zipCode: '94110',
      services: ['drain_cleaning', 'water_heater'],
      coverageZips: ['94110', '94112'],
      radiusKm: 15,
      status: 'active',
      available: true,
      stripeCustomerId: null,
      card: { status: 'none' },
      dailyCap: 4,
      weeklyCap: 0,
      monthlyCap: 0,
      monthlySpendCapCents: 0,
      timeZone: 'America/New_York',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    id = plumber.id;
  });

  it('names every malformed field, a ZIP that does not exist and a service outside the plumbing catalogue', async () => {
    const malformed = await post('/api/admin/plumbers', {
      ...body,
      email: 'not-an-email',
      zipCode: '9411',
      services: [],
      dailyCap: -1,
    });
    expect(malformed.statusCode).toBe(400);
    expect(error(malformed).code).toBe('VALIDATION_FAILED');
    const fields = (error(malformed).details as { field: string }[]).map((d) => d.field);
    expect(fields).toEqual(
      expect.arrayContaining(['body/email', 'body/zipCode', 'body/services', 'body/dailyCap']),
    );

    const nowhere = await post('/api/admin/plumbers', {
      ...body,
      phone: '+14155550281',
      email: 'nowhere@plumbers.example',
      zipCode: '00000',
      coverageZips: ['94110', '99999'],
    });
    expect(nowhere.statusCode).toBe(400);
    expect(error(nowhere)).toEqual({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('zipCode 00000 is not a US ZIP code'),
      details: {
        fields: [
          { field: 'zipCode', message: '00000 is not a US ZIP code' },
          { field: 'coverageZips/1', message: '99999 is not a US ZIP code' },
        ],
      },
    });

    const locksmithWork = await post('/api/admin/plumbers', {
      ...body,
      phone: '+14155550281',
      email: 'nowhere@plumbers.example',
      services: ['drain_cleaning', 'car_lockout'],
    });
    expect(locksmithWork.statusCode).toBe(400);
    expect(error(locksmithWork)).toMatchObject({
      code: 'UNKNOWN_SERVICE',
      details: { services: ['car_lockout'] },
    });

    const list = await get('/api/admin/plumbers?q=nowhere');
    expect(list.json<{ items: unknown[] }>().items).toEqual([]);
  });

  it('refuses an email or a number another provider has with 409', async () => {
    const sameEmail = await post('/api/admin/plumbers', {
      ...body,
      phone: '+14155550282',
      email: 'MARIA@santosplumbing.example',
    });
    expect(sameEmail.statusCode).toBe(409);
    expect(error(sameEmail).code).toBe('EMAIL_TAKEN');
    const samePhone = await post('/api/admin/plumbers', {
      ...body,
      email: 'other@plumbers.example',
      phone: '+1 415 555 0280',
    });
    expect(samePhone.statusCode).toBe(409);
    expect(error(samePhone).code).toBe('PHONE_TAKEN');
  });

  it('lists, shows and edits a plumber', async () => {
    const list = await get('/api/admin/plumbers?q=santos&cardStatus=none&status=active');
    expect(list.statusCode).toBe(200);
    expect(list.json<{ items: { id: string }[]; nextCursor: string | null }>()).toEqual({
      items: [expect.objectContaining({ id })],
      nextCursor: null,
    });
    const byZip = await get('/api/admin/plumbers?q=94112');
    expect(byZip.json<{ items: { id: string }[] }>().items.map((p) => p.id)).toEqual([id]);

    const shown = await get(`/api/admin/plumbers/${id}`);
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({ id, firstName: 'Maria' });

    const edited = await patch(`/api/admin/plumbers/${id}`, {
      coverageZips: [],
      radiusKm: 8,
      zipCode: '94114',
      available: false,
      dailyCap: 0,
    });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({
      id,
      zipCode: '94114',
      coverageZips: [],
      radiusKm: 8,
      available: false,
      dailyCap: 0,
    });

    expect((await patch(`/api/admin/plumbers/${id}`, {})).statusCode).toBe(400);
    const badZip = await patch(`/api/admin/plumbers/${id}`, { zipCode: '00000' });
    expect(badZip.statusCode).toBe(400);
    expect(error(badZip).code).toBe('VALIDATION_FAILED');
  });

  it('answers 404 for an id that is not a plumber', async () => {
    const locksmith = await service.ctx.call(registry.ProviderCreate, {
      name: 'Only Locks',
      phone: '+14155550283',
      services: ['home_lockout'],
      address: 'San Francisco, CA 94103',
      actor: 'test',
    });
    for (const response of [
      await get(`/api/admin/plumbers/${locksmith.id}`),
      await patch(`/api/admin/plumbers/${locksmith.id}`, { dailyCap: 2 }),
      await get('/api/admin/plumbers/7d0c5b7e-0d7b-4c55-9a57-5d1f2f0c9b11'),
    ]) {
      expect(response.statusCode).toBe(404);
      expect(error(response).code).toBe('PLUMBER_NOT_FOUND');
    }
    const list = await get('/api/admin/plumbers?limit=200');
    expect(list.json<{ items: { id: string }[] }>().items.map((p) => p.id)).not.toContain(locksmith.id);
  });

  it('writes each change to the audit log, phone numbers masked', async () => {
    const entry = await waitFor(
      async () => {
        const audit = await get('/api/admin/audit?limit=50');
        const items = audit.json<{
          items: { action: string; status: number; summary: Record<string, unknown> }[];
        }>().items;
        return items.find((i) => i.action === 'plumbers.create' && i.status === 201);
      },
      { what: 'the audit entry of the create' },
    );
    expect(entry.summary).toMatchObject({ firstName: 'Maria', services: '[2 items]' });
    expect(String(entry.summary['phone'])).not.toContain('555-0280');
    await waitFor(
      async () => {
        const audit = await get('/api/admin/audit?limit=50');
        return audit
          .json<{ items: { action: string; target: string | null }[] }>()
          .items.some((i) => i.action === 'plumbers.update' && i.target === id);
      },
      { what: 'the audit entry of the edit' },
    );
  });
});
