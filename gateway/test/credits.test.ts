import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { conflict, credits, type RequestOf } from '@trades/contracts';
import {
  DEVELOPMENT_DEFAULTS,
  defineService,
  endpoint,
  startService,
  type RunningService,
} from '@trades/runtime';
import { migrateService, natsUrl, resetJetStream, serviceEnv } from '@trades/testkit';
import { probeService } from '../../services/runtime/test/fixtures/probe.ts';
import { SESSION_COOKIE } from '../src/plugins/admin-auth.ts';
import { gateway, type Gateway } from './support.ts';

jest.setTimeout(60_000);

const EMAIL = DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'] ?? '';
const PASSWORD = DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'] ?? '';
const SECRET = DEVELOPMENT_DEFAULTS['ADMIN_SESSION_SECRET'] ?? '';
const RUN = Math.floor(Math.random() * 250);

const CREDIT_ID = randomUUID();
const LEAD_ID = randomUUID();
const TOKEN = `${LEAD_ID}.${randomBytes(32).toString('base64url')}`;

const credit = (overrides: Partial<credits.LeadCredit> = {}): credits.LeadCredit => ({
  id: CREDIT_ID,
  leadId: LEAD_ID,
  leadCode: '4821',
  serviceName: 'Drain cleaning',
  zipCode: '94105',
  priceCents: 4500,
  plumberId: randomUUID(),
  plumberName: 'Pat Plumber',
  plumberPhone: '+14155550100',
  plumberEmail: 'pat@plumbers.test',
  reason: 'could_not_reach',
  note: 'no answer',
  channel: 'sms',
  status: 'review',
  amountCents: 4500,
  automatic: false,
  evidence: null,
  returnRate: 0.1,
  flagged: false,
  requestedBy: 'plumber',
  decidedBy: null,
  decisionNote: null,
  refundId: null,
  failure: null,
  requestedAt: new Date().toISOString(),
  decidedAt: null,
  creditedAt: null,
  ...overrides,
});

/** What the gateway asked the fake dispatch, by endpoint. */
const seen: { subject: string; request: unknown }[] = [];
let refuseDecision = false;

/** Dispatch as far as the credit routes can tell: its credit endpoints, answering fixed credits. */
const fakeDispatch = defineService({
  name: 'dispatch',
  version: '0.0.1-test',
  description: 'dispatch stand-in for the gateway credit route tests',
  schema: probeService.schema,
  config: {},
  entities: probeService.entities,
  migrations: probeService.migrations,
  setup: () => {
    const record = <R>(subject: string, request: R): R => {
      seen.push({ subject, request });
      return request;
    };
    return {
      endpoints: [
        endpoint(credits.CreditList, async (query) => {
          record(credits.CreditList.subject, query);
          return { items: [credit()], nextCursor: null };
        }),
        endpoint(credits.CreditGet, async (request) => {
          record(credits.CreditGet.subject, request);
          return credit();
        }),
        endpoint(credits.CreditDecide, async (request: RequestOf<typeof credits.CreditDecide>) => {
          record(credits.CreditDecide.subject, request);
          if (refuseDecision) throw conflict('CREDIT_ALREADY_DECIDED', 'This credit was already denied.');
          return credit({
            status: request.decision === 'approve' ? 'approved' : 'denied',
            decidedBy: request.actor,
            decisionNote: request.note ?? null,
          });
        }),
        endpoint(credits.LeadCreditCreate, async (request) => {
          record(credits.LeadCreditCreate.subject, request);
          return credit({ status: 'approved', channel: 'console', amountCents: request.amountCents });
        }),
        endpoint(credits.CreditLinkGet, async (request) => {
          record(credits.CreditLinkGet.subject, request);
          return {
            leadCode: '4821',
            serviceName: 'Drain cleaning',
            urgency: 'day' as const,
            zipCode: '94105',
            priceCents: 4500,
            creditedCents: 0,
            soldAt: new Date().toISOString(),
            deadline: new Date(Date.now() + 7 * 86_400_000).toISOString(),
            open: true,
            plumber: { firstName: 'Pat' },
            credits: [],
          };
        }),
        endpoint(credits.CreditLinkRequest, async (request) => {
          record(credits.CreditLinkRequest.subject, request);
          return credit({ channel: 'email', reason: request.reason });
        }),
      ],
      consumers: [],
    };
  },
});

let nc: NatsConnection;
let app: Gateway;
let service: RunningService<object>;
let cookie = '';

beforeAll(async () => {
  await resetJetStream();
  await migrateService(probeService);
  nc = await connect({ servers: natsUrl() });
  service = await startService(fakeDispatch, serviceEnv({ LOG_LEVEL: 'fatal' }));
  app = gateway(nc, { ADMIN_EMAIL: EMAIL, ADMIN_PASSWORD: PASSWORD, ADMIN_SESSION_SECRET: SECRET });
  await app.ready();
  const login = await app.inject({
    method: 'POST',
    url: '/api/admin/login',
    remoteAddress: `10.14.${RUN}.1`,
    payload: { email: EMAIL, password: PASSWORD },
  });
  expect(login.statusCode).toBe(204);
  const session = login.cookies.find((c) => c.name === SESSION_COOKIE);
  cookie = `${SESSION_COOKIE}=${session?.value ?? ''}`;
});

afterAll(async () => {
  await app?.close();
  await service?.stop();
  await nc?.close();
});

beforeEach(() => {
  seen.length = 0;
  refuseDecision = false;
});

const admin = (method: 'GET' | 'POST', url: string, payload?: object) =>
  app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });

const lastRequest = (subject: string): unknown => seen.filter((s) => s.subject === subject).at(-1)?.request;

describe('the operators’ credit routes', () => {
  it('list the queue with its filters passed on, and open one credit', async () => {
    const plumberId = randomUUID();
    const list = await admin('GET', `/api/admin/credits?status=review&plumberId=${plumberId}&limit=10`);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ items: [{ id: CREDIT_ID, status: 'review' }], nextCursor: null });
    expect(lastRequest(credits.CreditList.subject)).toEqual({ status: 'review', plumberId, limit: 10 });
    const one = await admin('GET', `/api/admin/credits/${CREDIT_ID}`);
    expect(one).toMatchObject({ statusCode: 200 });
    expect(one.json()).toMatchObject({ id: CREDIT_ID, reason: 'could_not_reach' });
  });

  it('approve and deny as the operator signed in', async () => {
    const approved = await admin('POST', `/api/admin/credits/${CREDIT_ID}/approve`, {
      amountCents: 2000,
      note: 'half',
    });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', decidedBy: EMAIL });
    expect(lastRequest(credits.CreditDecide.subject)).toEqual({
      id: CREDIT_ID,
      decision: 'approve',
      amountCents: 2000,
      note: 'half',
      actor: EMAIL,
    });
    const denied = await admin('POST', `/api/admin/credits/${CREDIT_ID}/deny`, { note: 'they called him' });
    expect(denied.json()).toMatchObject({ status: 'denied', decisionNote: 'they called him' });
  });

  it('refuse a denial without a note, and pass on dispatch’s 409 with its code', async () => {
    const bare = await admin('POST', `/api/admin/credits/${CREDIT_ID}/deny`, {});
    expect(bare.statusCode).toBe(400);
    expect(lastRequest(credits.CreditDecide.subject)).toBeUndefined();
    refuseDecision = true;
    const late = await admin('POST', `/api/admin/credits/${CREDIT_ID}/approve`, {});
    expect(late.statusCode).toBe(409);
    expect(late.json()).toEqual({
      code: 'CREDIT_ALREADY_DECIDED',
      message: 'This credit was already denied.',
    });
  });

  it('credit a lead by hand: 201 with the operator as actor', async () => {
    const created = await admin('POST', `/api/admin/leads/${LEAD_ID}/credits`, {
      amountCents: 1500,
      reason: 'other',
      note: 'goodwill',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ channel: 'console', amountCents: 1500 });
    expect(lastRequest(credits.LeadCreditCreate.subject)).toEqual({
      leadId: LEAD_ID,
      amountCents: 1500,
      reason: 'other',
      note: 'goodwill',
      actor: EMAIL,
    });
    const badReason = await admin('POST', `/api/admin/leads/${LEAD_ID}/credits`, {
      amountCents: 1500,
      reason: 'because',
    });
    expect(badReason.statusCode).toBe(400);
  });

  it('need an operator', async () => {
    for (const [method, url] of [
      ['GET', '/api/admin/credits'],
      ['POST', `/api/admin/credits/${CREDIT_ID}/approve`],
      ['POST', `/api/admin/leads/${LEAD_ID}/credits`],
    ] as const) {
      const response = await app.inject({ method, url, payload: {} });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 401 });
    }
  });
});

describe('the public credit link', () => {
  it('shows the lead behind a token and asks for a credit with a reason and a note', async () => {
    const page = await app.inject({ method: 'GET', url: `/api/lead-credits/${TOKEN}` });
    expect(page.statusCode).toBe(200);
    expect(page.json()).toMatchObject({ leadCode: '4821', open: true, plumber: { firstName: 'Pat' } });
    const asked = await app.inject({
      method: 'POST',
      url: `/api/lead-credits/${TOKEN}`,
      payload: { reason: 'wrong_number', note: 'disconnected' },
    });
    expect(asked.statusCode).toBe(201);
    // Whoever holds the link sees where the request stands, nothing an operator keeps to themselves.
    expect(asked.json()).toMatchObject({ id: CREDIT_ID, status: 'review', reason: 'wrong_number' });
    for (const internal of ['decidedBy', 'requestedBy', 'returnRate', 'flagged', 'failure', 'plumberPhone'])
      expect(asked.json()).not.toHaveProperty(internal);
    expect(lastRequest(credits.CreditLinkRequest.subject)).toEqual({
      token: TOKEN,
      reason: 'wrong_number',
      note: 'disconnected',
    });
  });

  it('refuses a malformed token and an unknown reason before asking dispatch', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/lead-credits/not-a-token' })).statusCode).toBe(400);
    const bad = await app.inject({
      method: 'POST',
      url: `/api/lead-credits/${TOKEN}`,
      payload: { reason: 'because' },
    });
    expect(bad.statusCode).toBe(400);
    expect(seen).toEqual([]);
  });
});
