import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { partners, type intake } from '@trades/contracts';
import { DEVELOPMENT_DEFAULTS } from '@trades/runtime';
import { natsUrl, resetJetStream, waitFor } from '@trades/testkit';
import { gateway, type Gateway } from './support.ts';

jest.setTimeout(30_000);

const EMAIL = DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'] ?? '';
const PASSWORD = DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'] ?? '';
const SECRET = DEVELOPMENT_DEFAULTS['ADMIN_SESSION_SECRET'] ?? '';
const PARTNER_ID = '5b7f3c1e-8a2d-4f6b-9c0e-1d2a3b4c5d6e';
const RUN = Math.floor(Math.random() * 250);

let nc: NatsConnection;
let app: Gateway;
let cookie = '';
const subscriptions: Subscription[] = [];
/** What intake's stand-ins were asked, by subject. */
const asked = new Map<string, unknown[]>();

const partner: intake.Partner = {
  id: PARTNER_ID,
  name: 'Acme Leads',
  email: null,
  contactName: null,
  phone: null,
  status: 'active',
  rateLimitPerMinute: 120,
  payoutCentsPerLead: null,
  webhookUrl: 'https://acme.example/hooks',
  webhookSecretSet: true,
  keys: [],
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
};

/** A stand-in for one intake endpoint: records the request and answers `reply`, so only the gateway is tested. */
function answer(subject: string, reply: unknown): void {
  subscriptions.push(
    nc.subscribe(subject, {
      callback: (error: Error | null, msg: Msg) => {
        if (error) return;
        asked.set(subject, [...(asked.get(subject) ?? []), msg.json()]);
        msg.respond(JSON.stringify(reply));
      },
    }),
  );
}

beforeAll(async () => {
  await resetJetStream();
  nc = await connect({ servers: natsUrl() });
  answer(partners.PartnerUpdate.subject, partner);
  answer(partners.PartnerWebhookSecretRotate.subject, { secret: 'whsec_test_secret' });
  await nc.flush();
  app = gateway(nc, { ADMIN_EMAIL: EMAIL, ADMIN_PASSWORD: PASSWORD, ADMIN_SESSION_SECRET: SECRET });
  await app.ready();
  const login = await app.inject({
    method: 'POST',
    url: '/api/admin/login',
    remoteAddress: `10.7.${RUN}.1`,
    payload: { email: EMAIL, password: PASSWORD },
  });
  expect(login.statusCode).toBe(204);
  const session = login.cookies[0];
  cookie = session ? `${session.name}=${session.value}` : '';
});

afterAll(async () => {
  for (const s of subscriptions) s.unsubscribe();
  await app?.close();
  await nc?.close();
});

describe('the admin partner routes', () => {
  it('PATCH forwards the contract fields with the operator as actor, and is audited', async () => {
    const response = await app.inject({
      method: 'PATCH',
      url: `/api/admin/partners/${PARTNER_ID}`,
      headers: { cookie },
      payload: { status: 'suspended', payoutCentsPerLead: null, webhookUrl: 'https://acme.example/hooks' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: PARTNER_ID, webhookSecretSet: true });
    expect(asked.get(partners.PartnerUpdate.subject)).toEqual([
      {
        id: PARTNER_ID,
        status: 'suspended',
        payoutCentsPerLead: null,
        webhookUrl: 'https://acme.example/hooks',
        actor: EMAIL,
      },
    ]);
    const entry = await waitFor(async () => {
      const audit = await app.inject({
        method: 'GET',
        url: '/api/admin/audit?limit=20',
        headers: { cookie },
      });
      const items = audit.json<{ items: { target: string | null; action: string }[] }>().items;
      return items.find((i) => i.target === PARTNER_ID && i.action === 'partners.update');
    });
    expect(entry).toMatchObject({ operator: EMAIL, method: 'PATCH', status: 200 });
  });

  it('refuses an empty PATCH, unknown fields, a bad status and an id that is not a UUID, before intake', async () => {
    const before = asked.get(partners.PartnerUpdate.subject)?.length ?? 0;
    for (const [url, payload] of [
      [`/api/admin/partners/${PARTNER_ID}`, {}],
      [`/api/admin/partners/${PARTNER_ID}`, { id: PARTNER_ID }],
      [`/api/admin/partners/${PARTNER_ID}`, { actor: 'someone else' }],
      [`/api/admin/partners/${PARTNER_ID}`, { status: 'deleted' }],
      [`/api/admin/partners/${PARTNER_ID}`, { rateLimitPerMinute: 0 }],
      ['/api/admin/partners/not-a-uuid', { name: 'x' }],
    ] as const) {
      const response = await app.inject({ method: 'PATCH', url, headers: { cookie }, payload });
      expect({ payload, status: response.statusCode }).toEqual({ payload, status: 400 });
      expect(response.json()).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    }
    expect(asked.get(partners.PartnerUpdate.subject)?.length ?? 0).toBe(before);
  });

  it('shows a new webhook secret once: 201, not cached', async () => {
    const response = await app.inject({
      method: 'POST',
      url: `/api/admin/partners/${PARTNER_ID}/webhook-secret`,
      headers: { cookie },
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({ secret: 'whsec_test_secret' });
    expect(response.headers['cache-control']).toBe('no-store');
    expect(asked.get(partners.PartnerWebhookSecretRotate.subject)).toEqual([
      { id: PARTNER_ID, actor: EMAIL },
    ]);
  });

  it('checks the stats period and the deliveries filter', async () => {
    const stats = await app.inject({
      method: 'GET',
      url: `/api/admin/partners/${PARTNER_ID}/stats?from=yesterday`,
      headers: { cookie },
    });
    expect(stats.statusCode).toBe(400);
    const deliveries = await app.inject({
      method: 'GET',
      url: `/api/admin/partners/${PARTNER_ID}/deliveries?status=lost`,
      headers: { cookie },
    });
    expect(deliveries.statusCode).toBe(400);
  });
});
