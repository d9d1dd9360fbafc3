import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Service } from '@nats-io/services';
import { intake, LEAD_FORM_CONSENT_TEXT } from '@trades/contracts';
import { call, type NatsConnection } from '@trades/runtime';
import type { Stack } from '@trades/testkit/stack';
import { field, streamEvents, text } from '../services/intake/test/booking-client.ts';
import type { LeadClient } from '../services/intake/test/lead-client.ts';
import {
  PARTNER_CONSENT,
  serveTestCoverage,
  startLeadStack,
  UNSERVED_ZIP,
  validLead,
} from '../services/intake/test/lead-client.ts';

jest.setTimeout(120_000);

/** Waits (generously) until `probe` returns something, then returns it. */
async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('lead intake: the partner API, the public form and the accepted event', () => {
  let stack: Stack;
  let client: LeadClient;
  let nc: NatsConnection;
  let coverage: Service;
  let partnerId: string;
  let key: string;
  const accepted: string[] = [];
  let formLeadId = '';

  beforeAll(async () => {
    ({ stack, client, nc, coverage } = await startLeadStack());
    partnerId = await client.createPartner('Acme Leads');
    ({ key } = await client.createKey(partnerId));
  }, 90_000);
  afterAll(async () => {
    await coverage?.stop();
    await nc?.close();
    await stack?.stop();
  }, 60_000);

  const submit = async (body: unknown, headers: Record<string, string> = {}) => {
    const reply = await client.postLead(key, body, headers);
    if (reply.status === 201) accepted.push(text(reply.body, 'leadId'));
    return reply;
  };

  it('lists the plumbing catalogue', async () => {
    const reply = await client.get('/api/leads/services');
    expect(reply.status).toBe(200);
    expect(field(reply.body, 'items')).toEqual(
      expect.arrayContaining([
        { code: 'drain_cleaning', name: 'Drain cleaning' },
        { code: 'emergency_plumbing', name: 'Emergency plumbing' },
        { code: 'pipe_repair', name: 'Pipe repair' },
      ]),
    );
  });

  it('takes a partner lead, prices it from the table and shows it to operators with its consent', async () => {
    const reply = await submit({
      ...validLead({ serviceNeeded: 'emergency_plumbing', urgency: 'day', externalId: 'acme-1' }),
      consent: { ...PARTNER_CONSENT, campaign: 'not a consent field' },
      affiliate: 'not a lead field',
    });
    expect(reply).toEqual({
      status: 201,
      body: { leadId: expect.any(String), status: 'accepted', priceCents: 8500 },
    });
    const leadId = text(reply.body, 'leadId');
    const own = await client.getLead(key, leadId);
    expect(own).toEqual({
      status: 200,
      body: { leadId, status: 'new', priceCents: 8500, createdAt: expect.any(String), test: false },
    });
    const detail = await client.admin('GET', `/api/admin/leads/${leadId}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      id: leadId,
      status: 'new',
      serviceNeeded: 'emergency_plumbing',
      urgency: 'day',
      zipCode: '94105',
      priceCents: 8500,
      source: 'partner',
      partnerId,
      externalId: 'acme-1',
      phone: expect.stringMatching(/^\+1415555\d{4}$/),
      consent: PARTNER_CONSENT,
      timeline: [
        { status: 'new', at: expect.any(String), cause: 'accepted at intake', actor: `partner:${partnerId}` },
      ],
      offers: [],
    });
    // What the body carried beyond the contract was neither forwarded nor stored (read past the
    // gateway, whose response schemas would hide it).
    const stored = await call(nc, intake.LeadGet, { id: leadId });
    expect(stored.consent).toEqual(PARTNER_CONSENT);
    expect(JSON.stringify(stored)).not.toContain('not a');
  });

  it('answers 401 without a key, with an unknown key and with a revoked key', async () => {
    const body = { ...validLead(), consent: PARTNER_CONSENT };
    const none = await fetch(`${stack.gatewayUrl}/api/partner/v1/leads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toMatchObject({ code: 'INVALID_API_KEY' });
    const unknown = await client.postLead(`tmk_live_${'x'.repeat(32)}`, body);
    expect(unknown).toMatchObject({ status: 401, body: { code: 'INVALID_API_KEY' } });

    const revoked = await client.createKey(partnerId);
    expect((await client.postLead(revoked.key, { ...validLead(), consent: PARTNER_CONSENT })).status).toBe(
      201,
    );
    expect(await client.adminDelete(`/api/admin/partners/${partnerId}/keys/${revoked.id}`)).toBe(204);
    expect(await client.postLead(revoked.key, body)).toMatchObject({
      status: 401,
      body: { code: 'INVALID_API_KEY' },
    });
    expect((await client.getLead(revoked.key, '00000000-0000-4000-8000-000000000000')).status).toBe(401);
    const partner = await client.admin('GET', `/api/admin/partners/${partnerId}`);
    expect(field(partner.body, 'keys')).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: revoked.id, revokedAt: expect.any(String) })]),
    );
    expect(JSON.stringify(partner.body)).not.toContain(revoked.key);
  });

  it("does not show a partner another partner's lead", async () => {
    const mine = await submit({ ...validLead(), consent: PARTNER_CONSENT });
    expect(mine.status).toBe(201);
    const other = await client.createPartner('Other Leads Inc');
    const { key: otherKey } = await client.createKey(other);
    const reply = await client.getLead(otherKey, text(mine.body, 'leadId'));
    expect(reply).toMatchObject({ status: 404, body: { code: 'LEAD_NOT_FOUND' } });
  });

  it('a test key: the lead is answered, stored as rejected (test) and never published', async () => {
    const { key: testKey } = await client.createKey(partnerId, true);
    const reply = await client.postLead(testKey, { ...validLead(), consent: PARTNER_CONSENT });
    expect(reply).toEqual({
      status: 201,
      body: { leadId: expect.any(String), status: 'accepted', priceCents: 3800, test: true },
    });
    const leadId = text(reply.body, 'leadId');
    const detail = await client.admin('GET', `/api/admin/leads/${leadId}`);
    expect(detail.body).toMatchObject({ status: 'rejected', rejectionReason: 'test', test: true });
    expect(await client.getLead(testKey, leadId)).toMatchObject({
      status: 200,
      body: { status: 'rejected', test: true },
    });
    // A live lead accepted after it is published; by then the test lead's event would be there too.
    const live = await submit({ ...validLead(), consent: PARTNER_CONSENT });
    const liveId = text(live.body, 'leadId');
    await eventually(async () => {
      const events = await streamEvents(nc, 'EVT_INTAKE', intake.LeadAccepted.subject);
      return events.some((e) => field(e.data, 'leadId') === liveId) ? true : undefined;
    }, 'the live lead to be published');
    const events = await streamEvents(nc, 'EVT_INTAKE', intake.LeadAccepted.subject);
    expect(events.filter((e) => field(e.data, 'leadId') === leadId)).toHaveLength(0);
  });

  it('Idempotency-Key: a retry gets the first answer; the same key with another body is 422', async () => {
    const body = { ...validLead(), consent: PARTNER_CONSENT };
    const before = (await client.leadsOf(partnerId)).length;
    const first = await submit(body, { 'idempotency-key': 'order-77' });
    expect(first.status).toBe(201);
    const again = await client.postLead(key, body, { 'idempotency-key': 'order-77' });
    expect(again).toEqual(first);
    const changed = await client.postLead(
      key,
      { ...body, description: 'Something else' },
      { 'idempotency-key': 'order-77' },
    );
    expect(changed).toMatchObject({ status: 422, body: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect((await client.leadsOf(partnerId)).length).toBe(before + 1);
    expect(
      await client.postLead(
        key,
        { ...validLead(), consent: PARTNER_CONSENT },
        { 'idempotency-key': 'k'.repeat(256) },
      ),
    ).toMatchObject({ status: 400, body: { code: 'INVALID_IDEMPOTENCY_KEY' } });

    // An error answer is replayed too.
    const unserved = { ...validLead({ zipCode: UNSERVED_ZIP }), consent: PARTNER_CONSENT };
    const refused = await client.postLead(key, unserved, { 'idempotency-key': 'order-78' });
    expect(refused).toMatchObject({ status: 422, body: { code: 'NOT_SERVED' } });
    expect(await client.postLead(key, unserved, { 'idempotency-key': 'order-78' })).toEqual(refused);

    // Two retries at once: one lead, the same answer twice.
    const racing = { ...validLead(), consent: PARTNER_CONSENT };
    const [a, b] = await Promise.all([
      client.postLead(key, racing, { 'idempotency-key': 'order-79' }),
      client.postLead(key, racing, { 'idempotency-key': 'order-79' }),
    ]);
    expect(a?.status).toBe(201);
    expect(b).toEqual(a);
    accepted.push(text(a?.body, 'leadId'));
    expect((await client.leadsOf(partnerId)).length).toBe(before + 2);
  });

  it('a duplicate (same phone or email, same service, 30 days, any source) is 409 with the first lead', async () => {
    const original = validLead({ serviceNeeded: 'drain_cleaning' });
    const first = await submit({ ...original, consent: PARTNER_CONSENT });
    expect(first.status).toBe(201);
    const leadId = text(first.body, 'leadId');
    const samePhone = await client.postLead(key, {
      ...validLead({ serviceNeeded: 'drain_cleaning', phone: original['phone'] }),
      consent: PARTNER_CONSENT,
    });
    expect(samePhone).toMatchObject({ status: 409, body: { code: 'DUPLICATE_LEAD', details: { leadId } } });
    const sameEmailViaForm = await client.post('/api/leads', {
      ...validLead({ serviceNeeded: 'drain_cleaning', email: String(original['email']).toUpperCase() }),
      consent: true,
    });
    expect(sameEmailViaForm).toMatchObject({
      status: 409,
      body: { code: 'DUPLICATE_LEAD', details: { leadId } },
    });
    // Another service is another lead.
    const otherService = await submit({
      ...original,
      serviceNeeded: 'toilet_repair',
      consent: PARTNER_CONSENT,
    });
    expect(otherService.status).toBe(201);
  });

  it('two identical leads at once: exactly one 201, the other 409', async () => {
    for (let round = 0; round < 3; round++) {
      const body = { ...validLead({ serviceNeeded: 'water_heater' }), consent: PARTNER_CONSENT };
      const replies = await Promise.all([submit(body), submit(body)]);
      expect(replies.map((r) => r.status).sort()).toEqual([201, 409]);
      const winner = replies.find((r) => r.status === 201);
      const loser = replies.find((r) => r.status === 409);
      expect(field(field(loser?.body, 'details'), 'leadId')).toBe(text(winner?.body, 'leadId'));
    }
  });

  it('a ZIP no plumber serves is 422 NOT_SERVED and stores nothing; bad fields are all listed', async () => {
    const before = (await client.leadsOf(partnerId)).length;
    const unserved = await client.postLead(key, {
      ...validLead({ zipCode: UNSERVED_ZIP }),
      consent: PARTNER_CONSENT,
    });
    expect(unserved).toMatchObject({ status: 422, body: { code: 'NOT_SERVED' } });
    const invalid = await client.postLead(key, {
      ...validLead({
        email: 'ada@localhost',
        zipCode: '00000',
        phone: '12',
        serviceNeeded: 'roofing',
        urgency: 'asap',
      }),
      consent: PARTNER_CONSENT,
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    const fields = field(field(invalid.body, 'details'), 'fields');
    expect(Array.isArray(fields) ? fields.map((f) => field(f, 'field')).sort() : fields).toEqual([
      'email',
      'phone',
      'serviceNeeded',
      'urgency',
      'zipCode',
    ]);
    const wrongTypes = await client.postLead(key, {
      ...validLead({ firstName: 7 }),
      consent: { text: 'ok' },
    });
    expect(wrongTypes).toMatchObject({
      status: 400,
      body: {
        code: 'VALIDATION_FAILED',
        details: {
          fields: expect.arrayContaining([
            { field: 'firstName', message: expect.any(String) },
            { field: 'consent.capturedAt', message: expect.any(String) },
          ]),
        },
      },
    });
    expect((await client.leadsOf(partnerId)).length).toBe(before);
  });

  it('each partner has its own rate limit: 429 with Retry-After past it', async () => {
    const slow = await client.createPartner('Slow Leads', 3);
    const { key: slowKey } = await client.createKey(slow);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${stack.gatewayUrl}/api/partner/v1/leads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${slowKey}` },
        body: JSON.stringify({ ...validLead({ zipCode: UNSERVED_ZIP }), consent: PARTNER_CONSENT }),
      });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get('retry-after');
        expect(await response.json()).toMatchObject({ code: 'RATE_LIMITED' });
      }
    }
    expect(statuses).toEqual([422, 422, 422, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Another partner is not held back by it.
    expect(
      (await client.postLead(key, { ...validLead({ zipCode: UNSERVED_ZIP }), consent: PARTNER_CONSENT }))
        .status,
    ).toBe(422);
  });

  it('the public form: consent is required; an accepted lead records the form consent', async () => {
    const body = validLead({ serviceNeeded: 'fixture_install', urgency: 'month', externalId: 'form-1' });
    const withoutConsent = await client.post('/api/leads', body);
    expect(withoutConsent).toMatchObject({
      status: 400,
      body: {
        code: 'VALIDATION_FAILED',
        details: { fields: [{ field: 'consent', message: expect.stringContaining('Tick') }] },
      },
    });
    expect((await client.post('/api/leads', { ...body, consent: false })).status).toBe(400);

    const reply = await client.post(
      '/api/leads',
      { ...body, consent: true },
      {
        referer: 'http://localhost:3000/plumbing',
        'user-agent': 'Mozilla/5.0 (iPhone) Mobile',
      },
    );
    expect(reply).toEqual({
      status: 201,
      body: { leadId: expect.any(String), status: 'accepted', priceCents: 2000 },
    });
    const leadId = text(reply.body, 'leadId');
    accepted.push(leadId);
    formLeadId = leadId;
    const detail = await client.admin('GET', `/api/admin/leads/${leadId}`);
    expect(detail.body).toMatchObject({
      source: 'form',
      partnerId: null,
      externalId: null,
      consent: {
        text: LEAD_FORM_CONSENT_TEXT,
        capturedAt: expect.any(String),
        ip: expect.any(String),
        userAgent: 'Mozilla/5.0 (iPhone) Mobile',
        pageUrl: 'http://localhost:3000/plumbing',
      },
    });
    const list = await client.admin(
      'GET',
      '/api/admin/leads?service=fixture_install&urgency=month&zip=94105',
    );
    expect(field(list.body, 'items')).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: leadId })]),
    );
  });

  it('with the registry unreachable a lead is 503 and nothing is stored, not even its Idempotency-Key', async () => {
    const body = { ...validLead(), consent: PARTNER_CONSENT };
    const before = (await client.leadsOf(partnerId)).length;
    await coverage.stop();
    try {
      const reply = await client.postLead(key, body, { 'idempotency-key': 'while-down' });
      expect(reply).toMatchObject({ status: 503, body: { code: 'COVERAGE_UNAVAILABLE' } });
      expect((await client.leadsOf(partnerId)).length).toBe(before);
    } finally {
      coverage = await serveTestCoverage(nc);
    }
    expect((await submit(body, { 'idempotency-key': 'while-down' })).status).toBe(201);
  });

  it('a lead id that is not a UUID is 404 for a partner', async () => {
    expect(await client.getLead(key, 'not-a-lead')).toMatchObject({
      status: 404,
      body: { code: 'LEAD_NOT_FOUND' },
    });
  });

  it('publishes evt.intake.lead.accepted.v1 exactly once for every accepted lead', async () => {
    expect(accepted.length).toBeGreaterThan(5);
    const events = await eventually(async () => {
      const found = await streamEvents(nc, 'EVT_INTAKE', intake.LeadAccepted.subject);
      const ids = new Set(found.map((e) => field(e.data, 'leadId')));
      return accepted.every((id) => ids.has(id)) ? found : undefined;
    }, 'every accepted lead to be published');
    for (const id of accepted) expect(events.filter((e) => field(e.data, 'leadId') === id)).toHaveLength(1);
    const form = events.find((e) => field(e.data, 'leadId') === formLeadId);
    expect(form?.data).toMatchObject({
      serviceCode: 'fixture_install',
      serviceName: 'Fixture install',
      urgency: 'month',
      zipCode: '94105',
      lat: expect.any(Number),
      lng: expect.any(Number),
      priceCents: 2000,
      homeowner: { firstName: 'Ada', lastName: 'Homeowner', phone: expect.stringMatching(/^\+1/) },
      source: 'form',
      partnerId: null,
    });
  });
});
