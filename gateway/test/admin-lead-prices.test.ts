import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
import { intakeService } from '@trades/intake';
import {
  DEVELOPMENT_DEFAULTS,
  startService,
  type NatsConnection,
  type RunningService,
} from '@trades/runtime';
import { migrateService, natsUrl, resetJetStream, serviceEnv, waitFor } from '@trades/testkit';
import type { HTTPMethods } from 'fastify';
import { loadGatewayConfig } from '../src/config.ts';
import { SESSION_COOKIE } from '../src/plugins/admin-auth.ts';
import { buildServer } from '../src/server.ts';

// Real intake, PostgreSQL and NATS: give each test and hook room on a slow machine.
jest.setTimeout(30_000);

const EMAIL = DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'] ?? '';
const PASSWORD = DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'] ?? '';
// A service and urgency no other suite prices leads with.
const SERVICE = 'fixture_install';
const URGENCY = 'week';

let nc: NatsConnection;
let intake: RunningService<unknown>;
let gateway: ReturnType<typeof buildServer>;
let cookie = '';

interface Reply {
  status: number;
  body: unknown;
}

async function send(method: HTTPMethods, url: string, payload?: unknown): Promise<Reply> {
  const response = await gateway.inject({
    method,
    url,
    headers: { cookie },
    ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
    ...(payload !== undefined ? { headers: { cookie, 'content-type': 'application/json' } } : {}),
  });
  return { status: response.statusCode, body: response.body === '' ? null : response.json() };
}

interface AuditItem {
  action: string;
  operator: string;
  status: number;
  summary: Record<string, unknown>;
}

const isAuditItem = (value: unknown): value is AuditItem =>
  typeof value === 'object' && value !== null && 'action' in value && 'summary' in value;

async function auditEntry(action: string, match: (item: AuditItem) => boolean): Promise<AuditItem> {
  return waitFor(
    async () => {
      const { body } = await send('GET', '/api/admin/audit?limit=50');
      const items = typeof body === 'object' && body !== null && 'items' in body ? body.items : [];
      return (Array.isArray(items) ? items : [])
        .filter(isAuditItem)
        .find((i) => i.action === action && match(i));
    },
    { what: `the audit entry ${action}` },
  );
}

beforeAll(async () => {
  await resetJetStream();
  await migrateService(intakeService);
  nc = await connect({ servers: natsUrl() });
  intake = await startService(intakeService, serviceEnv());
  gateway = buildServer(
    loadGatewayConfig(serviceEnv({ PORT: '0', ADMIN_EMAIL: EMAIL, ADMIN_PASSWORD: PASSWORD })),
    { natsConnection: nc },
  );
  await gateway.ready();
  const login = await gateway.inject({
    method: 'POST',
    url: '/api/admin/login',
    remoteAddress: `10.2.${Math.floor(Math.random() * 250)}.7`,
    payload: { email: EMAIL, password: PASSWORD },
  });
  expect(login.statusCode).toBe(204);
  const session = login.cookies.find((c) => c.name === SESSION_COOKIE);
  cookie = `${SESSION_COOKIE}=${session?.value ?? ''}`;
});

afterAll(async () => {
  await send(
    'DELETE',
    `/api/admin/lead-prices?serviceCode=${SERVICE}&urgency=${URGENCY}&zipPrefix=606`,
  ).catch(() => null);
  await gateway?.close();
  await intake?.stop();
  await nc?.drain();
});

describe('/api/admin/lead-prices', () => {
  it('sets a ZIP-prefix price as the signed-in operator, lists it, removes it (204), with history and audit', async () => {
    const set = await send('PUT', '/api/admin/lead-prices', {
      serviceCode: SERVICE,
      urgency: URGENCY,
      zipPrefix: '606',
      priceCents: 1234,
    });
    expect(set).toEqual({
      status: 200,
      body: expect.objectContaining({
        serviceCode: SERVICE,
        serviceName: 'Fixture install',
        urgency: URGENCY,
        zipPrefix: '606',
        priceCents: 1234,
        updatedBy: EMAIL,
      }),
    });

    const list = await send('GET', '/api/admin/lead-prices');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({
      items: expect.arrayContaining([
        expect.objectContaining({
          serviceCode: SERVICE,
          urgency: URGENCY,
          zipPrefix: '606',
          priceCents: 1234,
        }),
        expect.objectContaining({ serviceCode: SERVICE, urgency: URGENCY, zipPrefix: null }),
      ]),
    });

    const removed = await send(
      'DELETE',
      `/api/admin/lead-prices?serviceCode=${SERVICE}&urgency=${URGENCY}&zipPrefix=606`,
    );
    expect(removed).toEqual({ status: 204, body: null });

    const history = await send('GET', '/api/admin/lead-prices/history?limit=2');
    expect(history.status).toBe(200);
    expect(history.body).toMatchObject({
      items: [
        { serviceCode: SERVICE, zipPrefix: '606', oldPriceCents: 1234, newPriceCents: null, actor: EMAIL },
        { serviceCode: SERVICE, zipPrefix: '606', oldPriceCents: null, newPriceCents: 1234, actor: EMAIL },
      ],
    });

    expect(await auditEntry('lead-prices.replace', (i) => i.summary['zipPrefix'] === '606')).toMatchObject({
      operator: EMAIL,
      status: 200,
      summary: { serviceCode: SERVICE, urgency: URGENCY, zipPrefix: '606', priceCents: 1234 },
    });
    expect(await auditEntry('lead-prices.delete', (i) => i.summary['zipPrefix'] === '606')).toMatchObject({
      operator: EMAIL,
      status: 204,
      summary: { serviceCode: SERVICE, urgency: URGENCY, zipPrefix: '606' },
    });
  });

  it('answers a base price removal, an unknown service and a bad price with 400, a code and a sentence', async () => {
    const base = await send('DELETE', `/api/admin/lead-prices?serviceCode=${SERVICE}&urgency=${URGENCY}`);
    expect(base).toEqual({
      status: 400,
      body: { code: 'BASE_PRICE_REQUIRED', message: expect.stringContaining('base price') },
    });
    const unknown = await send('PUT', '/api/admin/lead-prices', {
      serviceCode: 'roof_repair',
      urgency: 'day',
      priceCents: 100,
    });
    expect(unknown).toMatchObject({ status: 400, body: { code: 'UNKNOWN_SERVICE' } });
    const negative = await send('PUT', '/api/admin/lead-prices', {
      serviceCode: SERVICE,
      urgency: URGENCY,
      priceCents: -5,
    });
    expect(negative).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
  });
});

describe('/api/admin/lead-analytics', () => {
  it('answers the last 30 days by default, and a period in a time zone', async () => {
    const recent = await send('GET', '/api/admin/lead-analytics');
    expect(recent.status).toBe(200);
    expect(recent.body).toMatchObject({
      funnel: expect.objectContaining({ received: expect.any(Number) }),
      timeToSale: expect.objectContaining({ count: expect.any(Number) }),
    });

    const quiet = await send(
      'GET',
      '/api/admin/lead-analytics?from=2022-03-01T05:00:00Z&to=2022-03-03T05:00:00Z&timeZone=America/Chicago',
    );
    expect(quiet.status).toBe(200);
    expect(quiet.body).toMatchObject({
      from: '2022-03-01T05:00:00.000Z',
      to: '2022-03-03T05:00:00.000Z',
      byDay: [{ day: '2022-02-28' }, { day: '2022-03-01' }, { day: '2022-03-02' }],
      revenueCents: 0,
    });
  });

  it('refuses a period that ends before it starts and a zone it does not know', async () => {
    const backwards = await send(
      'GET',
      '/api/admin/lead-analytics?from=2022-03-03T00:00:00Z&to=2022-03-01T00:00:00Z',
    );
    expect(backwards).toMatchObject({ status: 400, body: { code: 'INVALID_PERIOD' } });
    const zone = await send('GET', '/api/admin/lead-analytics?timeZone=Atlantis%2FCapital');
    expect(zone).toMatchObject({ status: 400, body: { code: 'UNKNOWN_TIME_ZONE' } });
  });
});
