import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { AppError, CORRELATION_HEADER, intake } from '@trades/contracts';
import { correlationId, defineService, endpoint, startService, type RunningService } from '@trades/runtime';
import { migrateService, natsUrl, serviceEnv } from '@trades/testkit';
import { probeService } from '../../services/runtime/test/fixtures/probe.ts';
import { describeIssues } from '../src/plugins/errors.ts';
import { ADMIN_UI, CUSTOMER_UI, gateway, type Gateway } from './support.ts';

jest.setTimeout(60_000);

/** What the fake intake does with the next catalog request. */
let behaviour: () => Promise<{ items: intake.CatalogItem[] }>;
let seenCorrelationId: string | undefined;

const CATALOG: intake.CatalogItem[] = [
  {
    code: 'lockout',
    name: 'Lockout',
    description: 'Locked out',
    depositCents: 4900,
    priceMinCents: 9900,
    priceMaxCents: 19900,
  },
];

/** Intake as far as the catalog route can tell: its catalog endpoint, answering as each test decides. */
const fakeIntake = defineService({
  name: 'intake',
  version: '0.0.1-test',
  description: 'intake stand-in for the gateway error tests',
  schema: probeService.schema,
  config: {},
  entities: probeService.entities,
  migrations: probeService.migrations,
  setup: () => ({
    endpoints: [
      endpoint(intake.CatalogList, async () => {
        seenCorrelationId = correlationId();
        return behaviour();
      }),
    ],
    consumers: [],
  }),
});

let nc: NatsConnection;
let app: Gateway;
let service: RunningService<object>;

beforeAll(async () => {
  await migrateService(probeService);
  nc = await connect({ servers: natsUrl() });
  service = await startService(fakeIntake, serviceEnv({ LOG_LEVEL: 'fatal' }));
  app = gateway(nc);
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await service?.stop();
  await nc?.close();
});

beforeEach(() => {
  behaviour = async () => ({ items: CATALOG });
  seenCorrelationId = undefined;
});

describe('the gateway’s error shape', () => {
  it('answers an unknown route with 404 NOT_FOUND and a sentence', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/nothing-here?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      code: 'NOT_FOUND',
      message: 'There is no route GET /api/nothing-here.',
    });
  });

  it('answers malformed JSON with 400, a code and a sentence', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/request/start',
      headers: { 'content-type': 'application/json' },
      payload: '{"not": json',
    });
    expect(response.statusCode).toBe(400);
    const body = response.json<Record<string, unknown>>();
    expect(body).toEqual({ code: 'INVALID_JSON', message: 'The request body is not valid JSON.' });
  });

  it('says which values a field may take when it is a choice, once per field', () => {
    const choice = ['start', 'pause'].map((allowedValue) => ({
      keyword: 'const',
      instancePath: '/action',
      message: 'must be equal to constant',
      params: { allowedValue },
    }));
    expect(
      describeIssues('body', [
        ...choice,
        { keyword: 'anyOf', instancePath: '/action', message: 'must match a schema in anyOf', params: {} },
        {
          keyword: 'enum',
          instancePath: '/sort',
          message: 'must be equal to one of the allowed values',
          params: { allowedValues: ['asc', 'desc'] },
        },
        {
          keyword: 'minLength',
          instancePath: '/reason',
          message: 'must NOT have fewer than 1 characters',
          params: { limit: 1 },
        },
        {
          keyword: 'minLength',
          instancePath: '/reason',
          message: 'must NOT have fewer than 1 characters',
          params: { limit: 1 },
        },
      ]),
    ).toEqual([
      { field: 'body/action', problem: 'must be one of: start, pause' },
      { field: 'body/sort', problem: 'must be one of: asc, desc' },
      { field: 'body/reason', problem: 'must NOT have fewer than 1 characters' },
    ]);
  });

  it('serves a service’s reply when it answers', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/services' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ items: CATALOG });
  });

  it('passes a service’s AppError through with its status, code and message', async () => {
    behaviour = async () => {
      throw new AppError(409, 'CATALOG_FROZEN', 'The catalog is being updated; try again in a minute.');
    };
    const response = await app.inject({ method: 'GET', url: '/api/services' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toEqual({
      code: 'CATALOG_FROZEN',
      message: 'The catalog is being updated; try again in a minute.',
    });
  });

  it('answers an unexpected service failure with 500 INTERNAL and no detail', async () => {
    behaviour = async () => {
      throw new Error('connection string postgres://admin:hunter2@db leaked');
    };
    const response = await app.inject({ method: 'GET', url: '/api/services' });
    expect(response.statusCode).toBe(500);
    const body = response.json<Record<string, unknown>>();
    expect(body['code']).toBe('INTERNAL');
    expect(response.body).not.toMatch(/hunter2|postgres|leaked/);
  });

  it('answers 503 SERVICE_UNAVAILABLE when the service is not running', async () => {
    await service.stop();
    try {
      const response = await app.inject({ method: 'GET', url: '/api/services' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        message: expect.stringContaining('intake'),
      });
    } finally {
      service = await startService(fakeIntake, serviceEnv({ LOG_LEVEL: 'fatal' }));
    }
  });
});

describe('correlation ids', () => {
  it('echoes the caller’s X-Correlation-Id and carries it to the service', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/api/services',
      headers: { [CORRELATION_HEADER]: 'gateway-test-0001' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-correlation-id']).toBe('gateway-test-0001');
    expect(seenCorrelationId).toBe('gateway-test-0001');
  });

  it('makes one up when the caller sends none or an unusable one, and still carries it', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/api/services',
      headers: { [CORRELATION_HEADER]: 'bad id with spaces' },
    });
    const id = response.headers['x-correlation-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(seenCorrelationId).toBe(id);
  });
});

describe('CORS and security headers', () => {
  it.each([CUSTOMER_UI, ADMIN_UI])('allows the UI origin %s, with credentials', async (origin) => {
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/services',
      headers: { origin, 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(origin);
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');

    const response = await app.inject({ method: 'GET', url: '/api/services', headers: { origin } });
    expect(response.headers['access-control-allow-origin']).toBe(origin);
    expect(response.headers['access-control-expose-headers']).toContain(CORRELATION_HEADER);
  });

  it('does not allow any other origin', async () => {
    const origin = 'https://evil.example';
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/services',
      headers: { origin, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const response = await app.inject({ method: 'GET', url: '/api/services', headers: { origin } });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends the security headers on every response, errors included', async () => {
    for (const url of ['/api/services', '/api/nothing-here']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.headers).toMatchObject({
        'content-security-policy': expect.stringContaining("default-src 'self'"),
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'strict-transport-security': expect.stringContaining('max-age='),
        'referrer-policy': 'no-referrer',
      });
      expect(response.headers['x-powered-by']).toBeUndefined();
    }
  });
});
