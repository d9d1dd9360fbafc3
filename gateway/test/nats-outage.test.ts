import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectNats, createLogger, DEVELOPMENT_DEFAULTS } from '@trades/runtime';
import { waitFor } from '@trades/testkit';
import { startLocalNatsServer } from '../../services/testkit/src/infra.ts';
import { gateway, type Gateway } from './support.ts';

jest.setTimeout(60_000);

interface HealthBody {
  status: string;
  nats: string;
}

// A NATS server of this test's own, so stopping it disturbs nobody else.
const port = 24_000 + Math.floor(Math.random() * 1_000);
let server: { url: string; stop: () => void } | undefined;
let nc: NatsConnection;
let app: Gateway;

async function startNats(): Promise<{ url: string; stop: () => void }> {
  const started = await startLocalNatsServer(port);
  if (!started) throw new Error('nats-server is not on PATH');
  return started;
}

async function health(): Promise<{ status: number; body: HealthBody }> {
  const response = await app.inject({ method: 'GET', url: '/health' });
  return { status: response.statusCode, body: response.json<HealthBody>() };
}

beforeAll(async () => {
  server = await startNats();
  nc = await connectNats(server.url, 'gateway-test', createLogger('gateway-test', 'fatal'));
  app = gateway(nc, { NATS_URL: server.url });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await nc?.close();
  server?.stop();
});

const login = () =>
  app.inject({
    method: 'POST',
    url: '/api/admin/login',
    remoteAddress: '192.0.2.1',
    payload: {
      email: DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'] ?? '',
      password: DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'] ?? '',
    },
  });

describe('limits when their shared state in NATS cannot be used (this server was never provisioned)', () => {
  it('refuse the operator login with 503 rather than let its attempts go uncounted', async () => {
    const response = await login();
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'RATE_LIMIT_UNAVAILABLE' });
  });

  it("keep serving customers, limited by this replica's own count", async () => {
    const attempt = () =>
      app.inject({
        method: 'POST',
        url: '/api/request/start',
        remoteAddress: '192.0.2.2',
        headers: { 'content-type': 'application/json' },
        payload: '{',
      });
    const first = await attempt();
    expect(first.statusCode).toBe(400);
    const limit = Number(first.headers['x-ratelimit-limit']);
    for (let i = 1; i < limit; i++) expect((await attempt()).statusCode).toBe(400);
    expect((await attempt()).statusCode).toBe(429);
  });
});

describe('GET /health during a NATS outage', () => {
  it('says NATS is disconnected while it is away, and connected again once it is back', async () => {
    expect((await health()).body.nats).toBe('connected');

    server?.stop();
    server = undefined;
    const away = await waitFor(
      async () => {
        const result = await health();
        return result.body.nats === 'disconnected' ? result : undefined;
      },
      { what: 'the gateway to notice NATS is gone' },
    );
    expect(away.status).toBe(503);
    expect(away.body.status).toBe('degraded');
    // Sessions and attempts cannot be checked meanwhile: the login says so at once.
    expect((await login()).statusCode).toBe(503);

    server = await startNats();
    await waitFor(async () => (await health()).body.nats === 'connected', {
      timeoutMs: 20_000,
      what: 'the gateway to reconnect',
    });
  });
});
