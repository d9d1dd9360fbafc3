// Helpers for the lead intake tests (e2e/leads-*.test.ts): an operator session, partners and keys
// through the admin API, valid lead bodies, and a stand-in for the registry's plumber coverage.
import { randomInt } from 'node:crypto';
import { expect } from '@jest/globals';
import { Svcm, type Service } from '@nats-io/services';
import { registry } from '@trades/contracts';
import { encodeJson, type NatsConnection } from '@trades/runtime';
import { startStack, type Stack } from '@trades/testkit/stack';
import { BookingClient, connectTestNats, field, text, type HttpReply } from './booking-client.ts';

/** ZIP codes the stand-in registry says plumbers serve (for every service); any other is not served. */
export const SERVED_ZIPS = new Set(['94105', '94103', '94110']);
export const UNSERVED_ZIP = '02108';

/**
 * Answers `svc.registry.plumber.coverage` like the registry would, from SERVED_ZIPS: the lead tests run
 * without the registry, so this is the only responder and the answer is the test's to choose.
 */
export async function serveTestCoverage(nc: NatsConnection): Promise<Service> {
  const service = await new Svcm(nc).add({
    name: 'test-plumber-coverage',
    version: '0.0.1',
    queue: 'locksmith-registry',
  });
  service.addEndpoint('plumber_coverage', {
    subject: registry.PlumberCoverage.subject,
    handler: (err, msg) => {
      if (err) return;
      const request: unknown = msg.json();
      if (!registry.PlumberCoverage.validateRequest.check(request)) {
        msg.respond(encodeJson({ served: false, plumbers: 0 }));
        return;
      }
      const served = SERVED_ZIPS.has(request.zipCode);
      msg.respond(encodeJson({ served, plumbers: served ? 3 : 0 }));
    },
  });
  return service;
}

// Sequential from a random start: every lead of a run has its own phone number and email.
let sequence = randomInt(10_000);

/** A lead that passes every check, unique phone and email unless overridden. */
export function validLead(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  sequence += 1;
  const n = String(sequence % 10_000).padStart(4, '0');
  return {
    firstName: 'Ada',
    lastName: 'Homeowner',
    email: `ada.${n}.${sequence}@example.com`,
    phone: `(415) 555-${n}`,
    serviceNeeded: 'leak_repair',
    urgency: 'week',
    zipCode: '94105',
    description: 'Water under the kitchen sink',
    ...overrides,
  };
}

export const PARTNER_CONSENT = {
  text: 'I agree to be contacted by a plumber about my request.',
  capturedAt: '2026-01-01T12:00:00.000Z',
  ip: '203.0.113.7',
  userAgent: 'Mozilla/5.0',
  pageUrl: 'https://partner.example/quote',
};

/** An HTTP client for the lead routes, with an operator session for the admin ones. */
export class LeadClient extends BookingClient {
  private cookie = '';

  async login(email: string, password: string): Promise<void> {
    const login = await fetch(`${this.baseUrl}/api/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    expect(login.status).toBe(204);
    this.cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  }

  admin(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<HttpReply> {
    return this.request(method, path, body, { cookie: this.cookie });
  }

  async adminDelete(path: string): Promise<number> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'DELETE',
      headers: { cookie: this.cookie },
    });
    return response.status;
  }

  async createPartner(name: string, rateLimitPerMinute?: number): Promise<string> {
    const reply = await this.admin('POST', '/api/admin/partners', {
      name,
      email: 'api@partner.example',
      ...(rateLimitPerMinute !== undefined ? { rateLimitPerMinute } : {}),
    });
    expect(reply.status).toBe(201);
    return text(reply.body, 'id');
  }

  async createKey(partnerId: string, test = false): Promise<{ id: string; key: string }> {
    const reply = await this.admin('POST', `/api/admin/partners/${partnerId}/keys`, { name: 'main', test });
    expect(reply.status).toBe(201);
    return { id: text(reply.body, 'id'), key: text(reply.body, 'key') };
  }

  postLead(key: string | null, body: unknown, headers: Record<string, string> = {}): Promise<HttpReply> {
    return this.post('/api/partner/v1/leads', body, {
      ...(key !== null ? { authorization: `Bearer ${key}` } : {}),
      ...headers,
    });
  }

  getLead(key: string | null, id: string): Promise<HttpReply> {
    return this.request(
      'GET',
      `/api/partner/v1/leads/${id}`,
      undefined,
      key !== null ? { authorization: `Bearer ${key}` } : {},
    );
  }

  /** Every lead a partner has, as the console lists them (up to 200). */
  async leadsOf(partnerId: string): Promise<unknown[]> {
    const reply = await this.admin('GET', `/api/admin/leads?partnerId=${partnerId}&limit=200`);
    expect(reply.status).toBe(200);
    const items = field(reply.body, 'items');
    return Array.isArray(items) ? items : [];
  }
}

/**
 * The stack for lead tests: intake and the gateway, without the registry (the test's coverage responder
 * is the only one answering), a NATS client, and an HTTP client logged in as the operator.
 */
export async function startLeadStack(): Promise<{
  stack: Stack;
  client: LeadClient;
  nc: NatsConnection;
  coverage: Service;
}> {
  const stack = await startStack({ without: ['dispatch', 'registry', 'messaging', 'payments'] });
  const client = new LeadClient(stack.gatewayUrl);
  const { nc } = await connectTestNats();
  const coverage = await serveTestCoverage(nc);
  await client.login(stack.env['ADMIN_EMAIL'] ?? '', stack.env['ADMIN_PASSWORD'] ?? '');
  return { stack, client, nc, coverage };
}
