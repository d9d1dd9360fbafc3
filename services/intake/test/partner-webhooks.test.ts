import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Service } from '@nats-io/services';
import { CONSUMERS, credits, leads, type EventContract, type EventData } from '@trades/contracts';
import { encodeJson, type NatsConnection, type RunningService } from '@trades/runtime';
import type { Stack } from '@trades/testkit/stack';
import { consumerSettled, waitFor } from '@trades/testkit';
import { field, text } from './booking-client.ts';
import { PARTNER_CONSENT, startLeadStack, UNSERVED_ZIP, validLead, type LeadClient } from './lead-client.ts';

jest.setTimeout(120_000);

/** One POST the partner's endpoint received: the raw body, exactly as signed. */
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/**
 * The partner's webhook endpoint: records every POST and answers 200, or what `answerFor` says (a 500 to
 * make intake retry).
 */
async function startPartnerEndpoint(answerFor: (body: string, seen: Received[]) => number): Promise<{
  url: string;
  received: Received[];
  close: () => Promise<void>;
}> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = answerFor(body, received);
      received.push({ headers: req.headers, body, answered: status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'partner is down');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/leads`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * What a partner does with only its secret and the documented scheme (services/intake/README.md):
 * `Trades-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, five minutes' tolerance.
 */
function partnerVerifies(secret: string, rawBody: string, header: string | undefined): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2)));
  const t = String(parts['t'] ?? '');
  const v1 = String(parts['v1'] ?? '');
  if (!/^\d+$/.test(t) || !/^[0-9a-f]{64}$/.test(v1)) return false;
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

const leadIdOf = (body: string): string => {
  const parsed: unknown = JSON.parse(body);
  return text(field(parsed, 'data'), 'leadId');
};
const typeOf = (body: string): string => text(JSON.parse(body), 'type');

describe('partners: profile, rejections, signed webhooks with retries, stats', () => {
  let stack: Stack;
  let client: LeadClient;
  let nc: NatsConnection;
  let coverage: Service;
  let intakeService: RunningService<unknown>;
  let endpoint: Awaited<ReturnType<typeof startPartnerEndpoint>>;
  let partnerId = '';
  let key = '';
  let secret = '';
  /** The lead whose first webhook the partner answers with a 500. */
  let failingLeadId: string | null = null;

  beforeAll(async () => {
    ({ stack, client, nc, coverage } = await startLeadStack());
    const running = stack.services.get('intake')?.[0];
    if (!running) throw new Error('intake is not running');
    intakeService = running;
    endpoint = await startPartnerEndpoint((body, seen) => {
      const leadId = leadIdOf(body);
      const first = !seen.some((r) => leadIdOf(r.body) === leadId && typeOf(r.body) === typeOf(body));
      return leadId === failingLeadId && first ? 500 : 200;
    });
  }, 90_000);

  afterAll(async () => {
    await endpoint?.close();
    await coverage?.stop();
    await nc?.close();
    await stack?.stop();
  }, 60_000);

  async function publishEvent<E extends EventContract>(contract: E, data: EventData<E>): Promise<void> {
    const id = randomUUID();
    await intakeService.ctx.js.publish(
      contract.subject,
      encodeJson({ id, occurredAt: new Date().toISOString(), data }),
      { msgID: id },
    );
  }

  function saleEvent(
    leadId: string,
    state: 'OFFERED' | 'ASSIGNED' | 'UNSOLD',
    at: string,
    priceCents: number,
  ): EventData<typeof leads.LeadAssigned> {
    return {
      leadId,
      leadCode: '4821',
      state,
      previousState: null,
      cause: `test: ${state}`,
      actor: 'dispatch',
      at,
      priceCents,
      serviceCode: 'leak_repair',
      serviceName: 'Leak repair',
      urgency: 'week',
      zipCode: '94105',
      homeowner: { firstName: 'Ada', lastName: 'Homeowner', email: 'ada@example.com', phone: '+14155550100' },
      description: null,
      partnerId,
      buyer:
        state === 'ASSIGNED'
          ? { id: randomUUID(), name: 'Pat Plumber', phone: '+14155550199', email: 'pat@example.com' }
          : null,
      chargeAttempt: state === 'ASSIGNED' ? 1 : 0,
    };
  }

  const deliveries = async (): Promise<Record<string, unknown>[]> => {
    const reply = await client.admin('GET', `/api/admin/partners/${partnerId}/deliveries?limit=100`);
    expect(reply.status).toBe(200);
    const items = field(reply.body, 'items');
    return Array.isArray(items) ? items : [];
  };

  const leadRow = async (leadId: string) => {
    const [row] = await intakeService.ctx.orm.em
      .fork()
      .execute<{ status: string; offered_at: Date | null; sold_at: Date | null; credited_cents: number }[]>(
        'select status, offered_at, sold_at, credited_cents from intake.lead where id = ?',
        [leadId],
      );
    return row;
  };

  it('creates a partner with contact, payout and webhook URL, refuses a URL that is not http(s), and shows the secret once', async () => {
    const refused = await client.admin('POST', '/api/admin/partners', {
      name: 'Hooked Leads',
      webhookUrl: 'ftp://partner.example/hooks',
    });
    expect(refused).toMatchObject({ status: 400, body: { code: 'INVALID_WEBHOOK_URL' } });

    const created = await client.admin('POST', '/api/admin/partners', {
      name: 'Hooked Leads',
      email: 'API@Hooked.example',
      contactName: 'Jo Partner',
      phone: '(415) 555-0142',
      payoutCentsPerLead: 1200,
      webhookUrl: endpoint.url,
    });
    expect(created).toMatchObject({
      status: 201,
      body: {
        name: 'Hooked Leads',
        email: 'api@hooked.example',
        contactName: 'Jo Partner',
        phone: '+14155550142',
        payoutCentsPerLead: 1200,
        webhookUrl: endpoint.url,
        webhookSecretSet: false,
        status: 'active',
      },
    });
    partnerId = text(created.body, 'id');

    const rotated = await client.admin('POST', `/api/admin/partners/${partnerId}/webhook-secret`);
    expect(rotated.status).toBe(201);
    secret = text(rotated.body, 'secret');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const partner = await client.admin('GET', `/api/admin/partners/${partnerId}`);
    expect(partner.body).toMatchObject({ webhookSecretSet: true });
    expect(JSON.stringify(partner.body)).not.toContain(secret);

    const patched = await client.admin('PATCH', `/api/admin/partners/${partnerId}`, {
      webhookUrl: 'not a url',
    });
    expect(patched).toMatchObject({ status: 400, body: { code: 'INVALID_WEBHOOK_URL' } });
    ({ key } = await client.createKey(partnerId));
  });

  it('POSTs lead.accepted signed so the partner can verify it with only its secret; a 500 is retried until delivered', async () => {
    // The partner's endpoint fails the first time for the next lead accepted.
    const reply = await client.postLead(key, {
      ...validLead({ externalId: 'hooked-1' }),
      consent: PARTNER_CONSENT,
    });
    expect(reply.status).toBe(201);
    const leadId = text(reply.body, 'leadId');
    failingLeadId = leadId;

    const attempts = await waitFor(
      async () => {
        const hits = endpoint.received.filter((r) => leadIdOf(r.body) === leadId);
        return hits.length >= 2 ? hits : undefined;
      },
      { timeoutMs: 60_000, what: 'the retried webhook' },
    );
    expect(attempts.map((a) => a.answered)).toEqual([500, 200]);
    for (const received of attempts) {
      expect(partnerVerifies(secret, received.body, received.headers['trades-signature']?.toString())).toBe(
        true,
      );
      // A body changed on the way, or another secret, does not verify.
      expect(
        partnerVerifies(
          secret,
          received.body.replace('hooked-1', 'hooked-2'),
          received.headers['trades-signature']?.toString(),
        ),
      ).toBe(false);
      expect(
        partnerVerifies('whsec_other', received.body, received.headers['trades-signature']?.toString()),
      ).toBe(false);
      expect(JSON.parse(received.body)).toEqual({
        id: expect.any(String),
        type: 'lead.accepted',
        createdAt: expect.any(String),
        data: {
          leadId,
          externalId: 'hooked-1',
          status: 'new',
          priceCents: expect.any(Number),
          creditedCents: 0,
        },
      });
    }
    // One delivery (its id is the body's id on every attempt), delivered on the second attempt.
    expect(JSON.parse(attempts[0]?.body ?? '{}').id).toBe(JSON.parse(attempts[1]?.body ?? '{}').id);
    const delivered = await waitFor(
      async () => (await deliveries()).find((d) => d['leadId'] === leadId && d['status'] === 'delivered'),
      { what: 'the delivery recorded as delivered' },
    );
    expect(delivered).toMatchObject({
      outcome: 'accepted',
      url: endpoint.url,
      attempts: 2,
      lastStatusCode: 200,
      nextAttemptAt: null,
      deliveredAt: expect.any(String),
    });
  });

  it('counts every refusal by reason (partners and the form), not test keys, and stats add up after sales and a credit', async () => {
    const post = (body: Record<string, unknown>, withKey = key) =>
      client.postLead(withKey, { ...body, consent: PARTNER_CONSENT });
    const sold = await post(validLead({ externalId: 'sold-1' }));
    const unsold = await post(validLead({ externalId: 'unsold-1' }));
    const credited = await post(validLead({ externalId: 'credited-1' }));
    for (const r of [sold, unsold, credited]) expect(r.status).toBe(201);
    const soldId = text(sold.body, 'leadId');
    const unsoldId = text(unsold.body, 'leadId');
    const creditedId = text(credited.body, 'leadId');
    const price = Number(field(sold.body, 'priceCents'));

    const duplicate = validLead();
    expect((await post(duplicate)).status).toBe(201);
    expect((await post({ ...duplicate, email: 'another@example.com' })).status).toBe(409);
    expect((await post(validLead({ zipCode: UNSERVED_ZIP }))).status).toBe(422);
    expect((await post(validLead({ email: 'not-an-email' }))).status).toBe(400);
    // An Idempotency-Key's replay is the same refusal, counted once.
    const keyed = validLead({ zipCode: UNSERVED_ZIP });
    expect((await post(keyed)).status).toBe(422);
    for (let i = 0; i < 2; i++)
      expect(
        (
          await client.postLead(
            key,
            { ...keyed, consent: PARTNER_CONSENT },
            { 'idempotency-key': 'refused-once' },
          )
        ).status,
      ).toBe(422);
    // A test key's refusals are not counted.
    const { key: testKey } = await client.createKey(partnerId, true);
    expect((await post(validLead({ zipCode: UNSERVED_ZIP }), testKey)).status).toBe(422);
    // The form's refusals are counted too, without a partner and without anything personal.
    const form = await client.post('/api/leads', { ...validLead({ zipCode: UNSERVED_ZIP }), consent: true });
    expect(form.status).toBe(422);
    const [formRejection] = await intakeService.ctx.orm.em
      .fork()
      .execute<Record<string, unknown>[]>(
        `select * from intake.lead_rejection where source = 'form' order by id desc limit 1`,
      );
    expect(formRejection).toEqual({
      id: expect.anything(),
      source: 'form',
      partner_id: null,
      reason: 'not_served',
      service_code: 'leak_repair',
      at: expect.anything(),
    });

    // The sale, as dispatch would publish it: offered, sold (twice: a redelivery), unsold, credited.
    const start = Date.now() - 60_000;
    const t = (s: number) => new Date(start + s * 1000).toISOString();
    await publishEvent(leads.LeadOffered, saleEvent(soldId, 'OFFERED', t(1), price));
    await publishEvent(leads.LeadAssigned, saleEvent(soldId, 'ASSIGNED', t(2), price));
    await publishEvent(leads.LeadAssigned, saleEvent(soldId, 'ASSIGNED', t(2), price));
    await publishEvent(leads.LeadUnsold, saleEvent(unsoldId, 'UNSOLD', t(3), price));
    await publishEvent(leads.LeadAssigned, saleEvent(creditedId, 'ASSIGNED', t(4), price));
    const creditId = randomUUID();
    const credit: EventData<typeof credits.CreditRefunded> = {
      credit: {
        id: creditId,
        leadId: creditedId,
        leadCode: '4821',
        serviceName: 'Leak repair',
        zipCode: '94105',
        priceCents: price,
        plumberId: randomUUID(),
        plumberName: 'Pat Plumber',
        plumberPhone: '+14155550199',
        plumberEmail: 'pat@example.com',
        reason: 'wrong_number',
        note: null,
        channel: 'sms',
        status: 'credited',
        amountCents: 500,
        automatic: true,
        evidence: null,
        returnRate: 0,
        flagged: false,
        requestedBy: 'plumber',
        decidedBy: null,
        decisionNote: null,
        refundId: 're_test',
        failure: null,
        requestedAt: t(5),
        decidedAt: t(5),
        creditedAt: t(6),
      },
      leadCreditedCents: 500,
      partnerId,
    };
    await publishEvent(credits.CreditRefunded, credit);
    await publishEvent(credits.CreditRefunded, { ...credit, leadCreditedCents: 300 });

    await waitFor(async () => ((await leadRow(creditedId))?.credited_cents === 500 ? true : undefined), {
      what: 'the credit projected',
    });
    // Every event published above is handled (the redeliveries too) before anything is counted.
    await waitFor(() => consumerSettled(nc, CONSUMERS.intakeLeads), { what: 'the events handled' });
    const soldRow = await leadRow(soldId);
    expect(soldRow).toMatchObject({ status: 'assigned' });
    expect(new Date(soldRow?.offered_at ?? 0).toISOString()).toBe(t(1));
    expect(new Date(soldRow?.sold_at ?? 0).toISOString()).toBe(t(2));
    expect((await leadRow(unsoldId))?.status).toBe('unsold');

    // One delivery per outcome, however often the event came.
    const byOutcome = await waitFor(
      async () => {
        const all = await deliveries();
        const ofLeads = all.filter((d) => [soldId, unsoldId, creditedId].includes(String(d['leadId'])));
        return ofLeads.length >= 7 && ofLeads.every((d) => d['status'] === 'delivered') ? ofLeads : undefined;
      },
      { what: 'the outcomes delivered' },
    );
    const outcomes = byOutcome.map((d) => `${String(d['leadId'])}:${String(d['outcome'])}`).sort();
    expect(outcomes).toEqual(
      [
        `${soldId}:accepted`,
        `${soldId}:sold`,
        `${unsoldId}:accepted`,
        `${unsoldId}:unsold`,
        `${creditedId}:accepted`,
        `${creditedId}:sold`,
        `${creditedId}:credited`,
      ].sort(),
    );
    const creditedPost = endpoint.received.find(
      (r) => leadIdOf(r.body) === creditedId && typeOf(r.body) === 'lead.credited',
    );
    expect(JSON.parse(creditedPost?.body ?? '{}')).toMatchObject({
      data: { leadId: creditedId, status: 'assigned', priceCents: price, creditedCents: 500 },
    });

    const stats = await client.admin('GET', `/api/admin/partners/${partnerId}/stats`);
    expect(stats).toEqual({
      status: 200,
      body: {
        partnerId,
        from: null,
        to: null,
        // hooked-1, sold-1, unsold-1, credited-1, the duplicate's first: 5 accepted; 5 refused.
        posted: 10,
        accepted: 5,
        rejected: { invalid: 1, duplicate: 1, notServed: 3 },
        sold: 2,
        unsold: 1,
        credited: 1,
        revenueCents: 2 * price - 500,
        creditedCents: 500,
        payoutCents: 5 * 1200,
      },
    });
    const future = await client.admin(
      'GET',
      `/api/admin/partners/${partnerId}/stats?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`,
    );
    expect(future.body).toMatchObject({ posted: 0, accepted: 0, sold: 0, payoutCents: 0 });
  });

  it('lets an operator send a delivery again, and records the last-used time of a key', async () => {
    const [latest] = await deliveries();
    const retried = await client.admin(
      'POST',
      `/api/admin/partners/${partnerId}/deliveries/${String(latest?.['id'])}/retry`,
    );
    expect(retried).toMatchObject({ status: 200, body: { id: latest?.['id'], status: 'pending' } });
    await waitFor(
      async () => {
        const again = (await deliveries()).find((d) => d['id'] === latest?.['id']);
        return again?.['status'] === 'delivered' && Number(again['attempts']) > Number(latest?.['attempts'])
          ? again
          : undefined;
      },
      { what: 'the retried delivery' },
    );
    const missing = await client.admin(
      'POST',
      `/api/admin/partners/${partnerId}/deliveries/${randomUUID()}/retry`,
    );
    expect(missing).toMatchObject({ status: 404, body: { code: 'DELIVERY_NOT_FOUND' } });

    const partner = await client.admin('GET', `/api/admin/partners/${partnerId}`);
    const keys = field(partner.body, 'keys');
    expect(
      Array.isArray(keys) && keys.some((k) => field(k, 'name') === 'main' && field(k, 'lastUsedAt')),
    ).toBe(true);
  });

  it("refuses a suspended partner's key at once, and takes it again when reactivated; no webhook URL, no delivery", async () => {
    const suspended = await client.admin('PATCH', `/api/admin/partners/${partnerId}`, {
      status: 'suspended',
    });
    expect(suspended).toMatchObject({ status: 200, body: { status: 'suspended' } });
    const refused = await client.postLead(key, { ...validLead(), consent: PARTNER_CONSENT });
    expect(refused).toMatchObject({ status: 401, body: { code: 'INVALID_API_KEY' } });

    const active = await client.admin('PATCH', `/api/admin/partners/${partnerId}`, {
      status: 'active',
      webhookUrl: null,
      payoutCentsPerLead: null,
      rateLimitPerMinute: 300,
    });
    expect(active).toMatchObject({
      status: 200,
      body: { status: 'active', webhookUrl: null, payoutCentsPerLead: null, rateLimitPerMinute: 300 },
    });
    const taken = await client.postLead(key, { ...validLead(), consent: PARTNER_CONSENT });
    expect(taken.status).toBe(201);
    const leadId = text(taken.body, 'leadId');
    expect((await deliveries()).some((d) => d['leadId'] === leadId)).toBe(false);

    const unknown = await client.admin('PATCH', `/api/admin/partners/${randomUUID()}`, { name: 'Nobody' });
    expect(unknown).toMatchObject({ status: 404, body: { code: 'PARTNER_NOT_FOUND' } });
    const empty = await client.admin('PATCH', `/api/admin/partners/${partnerId}`, {});
    expect(empty.status).toBe(400);
  });
});
