import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import cookie from '@fastify/cookie';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { OPERATOR_SESSION_BUCKET } from '@trades/contracts';
import { ConfigError, DEVELOPMENT_DEFAULTS, type NatsConnection } from '@trades/runtime';
import { natsUrl, resetJetStream, serviceEnv, waitFor } from '@trades/testkit';
import Fastify, { type FastifyInstance, type HTTPMethods, type LightMyRequestResponse } from 'fastify';
import { createLocalJWKSet, exportJWK, SignJWT } from 'jose';
import { loadGatewayConfig } from '../src/config.ts';
import adminAuth, { adminAuthOptions, SESSION_COOKIE } from '../src/plugins/admin-auth.ts';
import { actionOf, summarize } from '../src/plugins/audit.ts';
import { OperatorSessions } from '../src/plugins/operator-sessions.ts';
import errors from '../src/plugins/errors.ts';
import { buildServer } from '../src/server.ts';

// Real services, databases and timers: give each test and hook room on a slow machine.
jest.setTimeout(30_000);

const EMAIL = DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'] ?? '';
const PASSWORD = DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'] ?? '';
const SECRET = DEVELOPMENT_DEFAULTS['ADMIN_SESSION_SECRET'] ?? '';
const SOME_ID = '7d0c5b7e-0d7b-4c55-9a57-5d1f2f0c9b11';

let nc: NatsConnection;
let gateway: ReturnType<typeof buildServer>;
const routes: { method: HTTPMethods; url: string }[] = [];
let ipCounter = 0;
// Login attempts are counted in NATS for a minute, across runs too: each run has addresses of its own.
const RUN = Math.floor(Math.random() * 250);
/** Each test signs in from its own address so the login rate limit of one does not touch another. */
const freshIp = (): string => `10.1.${RUN}.${++ipCounter}`;

function sessionCookie(response: LightMyRequestResponse): string {
  const cookie = response.cookies.find((c) => c.name === SESSION_COOKIE);
  if (!cookie) throw new Error('no session cookie');
  return `${SESSION_COOKIE}=${cookie.value}`;
}

async function login(ip = freshIp()): Promise<string> {
  const response = await gateway.inject({
    method: 'POST',
    url: '/api/admin/login',
    remoteAddress: ip,
    payload: { email: EMAIL, password: PASSWORD },
  });
  expect(response.statusCode).toBe(204);
  return sessionCookie(response);
}

beforeAll(async () => {
  await resetJetStream();
  nc = await connect({ servers: natsUrl() });
  const config = loadGatewayConfig(
    serviceEnv({ PORT: '0', ADMIN_EMAIL: EMAIL, ADMIN_PASSWORD: PASSWORD, ADMIN_SESSION_SECRET: SECRET }),
  );
  gateway = buildServer(config, { natsConnection: nc });
  gateway.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  await gateway.ready();
});

afterAll(async () => {
  await gateway?.close();
  await nc?.drain();
});

/** The session store as the gateway uses it, with the given secret (the gateway's unless told). */
async function sessionStore(secret = SECRET): Promise<OperatorSessions> {
  const operatorSessions = await new Kvm(jetstream(nc)).open(OPERATOR_SESSION_BUCKET.name);
  return new OperatorSessions({ operatorSessions, reachable: () => true, warnUnavailable: () => {} }, secret);
}

const me = (cookie: string) => gateway.inject({ method: 'GET', url: '/api/admin/me', headers: { cookie } });

describe('the /api/admin boundary', () => {
  it('answers every admin route but the login with 401 UNAUTHENTICATED when nobody signed in', async () => {
    const adminRoutes = routes.filter((r) => r.url.startsWith('/api/admin') && r.url !== '/api/admin/login');
    expect(adminRoutes.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining([
        'GET /api/admin/me',
        'POST /api/admin/logout',
        'GET /api/admin/audit',
        'GET /api/admin/jobs',
        'GET /api/admin/jobs/:id',
        'POST /api/admin/jobs/:id/assign',
        'POST /api/admin/jobs/:id/dispatch',
        'POST /api/admin/jobs/:id/refund',
        'GET /api/admin/dashboard',
      ]),
    );
    for (const route of adminRoutes) {
      const url = route.url.replace(/:[A-Za-z]+/g, SOME_ID);
      const hasBody = !['GET', 'HEAD', 'OPTIONS'].includes(route.method);
      // Injected as the method says, with a body the route would otherwise reject: authentication comes first.
      const response = await gateway.inject({
        method: route.method,
        url,
        ...(hasBody ? { payload: { nonsense: true } } : {}),
      });
      expect({ route: `${route.method} ${route.url}`, status: response.statusCode }).toEqual({
        route: `${route.method} ${route.url}`,
        status: 401,
      });
      if (route.method !== 'HEAD') expect(response.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
  });

  it('does not reveal which admin paths exist to someone not signed in', async () => {
    const unknown = await gateway.inject({ method: 'GET', url: '/api/admin/no-such-thing' });
    expect(unknown.statusCode).toBe(401);
    const cookie = await login();
    const known = await gateway.inject({
      method: 'GET',
      url: '/api/admin/no-such-thing',
      headers: { cookie },
    });
    expect(known.statusCode).toBe(404);
    expect(known.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses a forged, expired, foreign or superseded session cookie', async () => {
    const sessions = await sessionStore();
    const credential = sessions.credentialOf(EMAIL, PASSWORD);
    const forged = await (
      await sessionStore('not-the-secret-but-long-enough-0123456789')
    ).start(EMAIL, credential, 3600);
    const expired = await sessions.start(EMAIL, credential, 60, Date.now() - 3_600_000);
    const otherOperator = await sessions.start(
      'someone@else.example',
      sessions.credentialOf('someone@else.example', PASSWORD),
      3600,
    );
    const oldPassword = await sessions.start(EMAIL, sessions.credentialOf(EMAIL, 'the-old-password'), 3600);
    const garbage = ['garbage', `${forged.split('.').slice(0, 2).join('.')}.`, 'a.b.c'];
    for (const token of [forged, expired, otherOperator, oldPassword, ...garbage]) {
      const response = await gateway.inject({
        method: 'GET',
        url: '/api/admin/me',
        cookies: { [SESSION_COOKIE]: token },
      });
      expect(response.statusCode).toBe(401);
    }
    // A well-made session of the operator is let in: the refusals above are about the cookies.
    expect((await me(`${SESSION_COOKIE}=${await sessions.start(EMAIL, credential, 3600)}`)).statusCode).toBe(
      200,
    );
  });
});

describe('local operator login', () => {
  it('signs in with a strict httpOnly cookie, tells who is signed in, and signs out', async () => {
    const response = await gateway.inject({
      method: 'POST',
      url: '/api/admin/login',
      remoteAddress: freshIp(),
      payload: { email: EMAIL.toUpperCase(), password: PASSWORD },
    });
    expect(response.statusCode).toBe(204);
    const cookie = response.cookies.find((c) => c.name === SESSION_COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/admin' });
    expect(cookie?.maxAge).toBeGreaterThan(0);

    const me = await gateway.inject({
      method: 'GET',
      url: '/api/admin/me',
      headers: { cookie: sessionCookie(response) },
    });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({ email: EMAIL, via: 'local' });

    const out = await gateway.inject({
      method: 'POST',
      url: '/api/admin/logout',
      headers: { cookie: sessionCookie(response) },
    });
    expect(out.statusCode).toBe(204);
    const cleared = out.cookies.find((c) => c.name === SESSION_COOKIE);
    expect(cleared?.value).toBe('');
  });

  it('ends the session on logout: the same cookie, kept by someone, is refused at once', async () => {
    const cookie = await login();
    expect((await me(cookie)).statusCode).toBe(200);

    const out = await gateway.inject({ method: 'POST', url: '/api/admin/logout', headers: { cookie } });
    expect(out.statusCode).toBe(204);

    const reused = await me(cookie);
    expect(reused.statusCode).toBe(401);
    expect(reused.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('ends every session of an operator on request, and audits who did it', async () => {
    const phone = await login();
    const laptop = await login();
    const admin = await login();
    const response = await gateway.inject({
      method: 'DELETE',
      url: `/api/admin/operators/${encodeURIComponent(EMAIL)}/sessions`,
      headers: { cookie: admin },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json<{ revoked: number }>().revoked).toBeGreaterThanOrEqual(3);
    for (const cookie of [phone, laptop, admin]) expect((await me(cookie)).statusCode).toBe(401);

    const auditor = await login();
    const entry = await waitFor(
      async () => {
        const audit = await gateway.inject({
          method: 'GET',
          url: '/api/admin/audit?limit=20',
          headers: { cookie: auditor },
        });
        return audit
          .json<{ items: { action: string; target: string | null }[] }>()
          .items.find((i) => i.action === 'operators.sessions.delete');
      },
      { what: 'the audit entry of the revocation' },
    );
    expect(entry).toMatchObject({ operator: EMAIL, target: EMAIL, status: 200 });
  });

  it('rejects a wrong password with 401 and limits attempts to 5 a minute per address', async () => {
    const ip = freshIp();
    const attempt = () =>
      gateway.inject({
        method: 'POST',
        url: '/api/admin/login',
        remoteAddress: ip,
        payload: { email: EMAIL, password: 'wrong-password' },
      });
    for (let i = 0; i < 5; i++) {
      const response = await attempt();
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    }
    const limited = await attempt();
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
    // Another address is not affected.
    await login();
  });

  it('answers a malformed login with 400, never 5xx', async () => {
    const response = await gateway.inject({
      method: 'POST',
      url: '/api/admin/login',
      remoteAddress: freshIp(),
      payload: { email: 42 },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('the audit log', () => {
  it('records a mutating admin call with the operator, target, status and a payload summary', async () => {
    const cookie = await login();
    const response = await gateway.inject({
      method: 'POST',
      url: `/api/admin/jobs/${SOME_ID}/dispatch`,
      headers: { cookie },
      payload: { action: 'cancel', reason: 'customer called to cancel' },
    });
    const status = response.statusCode;
    const entry = await waitFor(
      async () => {
        const audit = await gateway.inject({
          method: 'GET',
          url: '/api/admin/audit?limit=20',
          headers: { cookie },
        });
        expect(audit.statusCode).toBe(200);
        const items: { target: string | null; action: string }[] = audit.json<{
          items: { target: string | null; action: string }[];
        }>().items;
        return items.find((i) => i.target === SOME_ID && i.action === 'jobs.dispatch');
      },
      { what: 'the audit entry' },
    );
    expect(entry).toMatchObject({
      operator: EMAIL,
      via: 'local',
      action: 'jobs.dispatch',
      method: 'POST',
      path: `/api/admin/jobs/${SOME_ID}/dispatch`,
      target: SOME_ID,
      status,
      summary: { action: 'cancel', reason: 'customer called to cancel' },
    });
  });

  it('names actions after their routes and keeps secrets and phone numbers out of summaries', () => {
    expect(actionOf('POST', '/api/admin/jobs/:id/assign')).toBe('jobs.assign');
    expect(actionOf('POST', '/api/admin/locksmiths')).toBe('locksmiths.create');
    expect(actionOf('PATCH', '/api/admin/locksmiths/:id')).toBe('locksmiths.update');
    expect(
      summarize({
        password: 'hunter2',
        phone: '+14155550142',
        services: ['a', 'b'],
        address: { x: 1 },
        n: 3,
      }),
    ).toEqual({
      password: '[redacted]',
      phone: '***0142',
      services: '[2 items]',
      address: '[object]',
      n: 3,
    });
  });
});

describe('access configuration', () => {
  const production = (extra: Record<string, string>) =>
    loadGatewayConfig({ APP_ENV: 'production', NATS_URL: 'nats://nats:4222', ...extra });

  it('refuses to start a production gateway without a way for operators to sign in', () => {
    expect(() => adminAuthOptions(production({}))).toThrow(ConfigError);
    expect(() =>
      adminAuthOptions(
        production({ ADMIN_EMAIL: 'ops@acme.example', ADMIN_PASSWORD: 'x', ADMIN_SESSION_SECRET: 'short' }),
      ),
    ).toThrow(/ADMIN_SESSION_SECRET/);
    expect(() =>
      adminAuthOptions(production({ CF_ACCESS_TEAM_DOMAIN: 'acme.cloudflareaccess.com' })),
    ).toThrow(/CF_ACCESS_AUD/);
  });

  it('uses Cloudflare Access when both settings are given, and Secure cookies behind https', () => {
    expect(
      adminAuthOptions(
        production({
          CF_ACCESS_TEAM_DOMAIN: 'https://acme.cloudflareaccess.com/',
          CF_ACCESS_AUD: 'aud',
          BASE_URL: 'https://ops.acme.example',
        }),
      ),
    ).toEqual({
      cloudflare: { teamDomain: 'acme.cloudflareaccess.com', audience: 'aud' },
      secureCookies: true,
    });
    const local = adminAuthOptions(
      production({
        ADMIN_EMAIL: 'ops@acme.example',
        ADMIN_PASSWORD: 'pw',
        ADMIN_SESSION_SECRET: 'x'.repeat(32),
        BASE_URL: 'https://ops.acme.example',
      }),
    );
    expect(local.secureCookies).toBe(true);
    expect(local.cloudflare).toBeUndefined();
  });
});

describe('Cloudflare Access', () => {
  const TEAM = 'acme.cloudflareaccess.com';
  const AUD = 'a1b2c3-access-application-aud';
  let app: FastifyInstance;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  const token = (claims: { aud?: string; iss?: string; email?: string; expiresIn?: string } = {}) =>
    new SignJWT(claims.email === undefined ? { email: 'ops@acme.example' } : { email: claims.email })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(claims.iss ?? `https://${TEAM}`)
      .setAudience(claims.aud ?? AUD)
      .setIssuedAt()
      .setExpirationTime(claims.expiresIn ?? '5m')
      .sign(privateKey);

  beforeAll(async () => {
    const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256' };
    app = Fastify();
    await app.register(cookie);
    await app.register(errors);
    await app.register(
      async (scope) => {
        await scope.register(adminAuth, {
          cloudflare: { teamDomain: TEAM, audience: AUD, keys: createLocalJWKSet({ keys: [jwk] }) },
          secureCookies: true,
        });
      },
      { prefix: '/api/admin' },
    );
    await app.ready();
  });
  afterAll(async () => app?.close());

  const me = async (assertion?: string) =>
    app.inject({
      method: 'GET',
      url: '/api/admin/me',
      headers: assertion ? { 'cf-access-jwt-assertion': assertion } : {},
    });

  it('lets in an operator with a valid Access token', async () => {
    const response = await me(await token());
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ email: 'ops@acme.example', via: 'cloudflare' });
  });

  it('refuses a missing token, another audience or issuer, an expired token, or no email', async () => {
    expect((await me()).statusCode).toBe(401);
    expect((await me(await token({ aud: 'another-app' }))).statusCode).toBe(401);
    expect((await me(await token({ iss: 'https://evil.cloudflareaccess.com' }))).statusCode).toBe(401);
    expect((await me(await token({ expiresIn: '-1m' }))).statusCode).toBe(401);
    expect((await me(await token({ email: '' }))).json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('turns the local login off', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/admin/login',
      payload: { email: EMAIL, password: PASSWORD },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'LOCAL_LOGIN_DISABLED' });
  });

  it('leaves ending sessions to Cloudflare Access, and says so', async () => {
    const response = await app.inject({
      method: 'DELETE',
      url: '/api/admin/operators/ops%40acme.example/sessions',
      headers: { 'cf-access-jwt-assertion': await token() },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'SESSIONS_MANAGED_BY_ACCESS' });
  });
});
