// What every part of the `leads` scenario shares: the plumbers it creates through the registry (test cards
// saved through card links), the platform's lead and credit events watched as a plain subscriber, the
// refunds the Stripe emulator announces to a webhook endpoint of the bench's own, the PaymentIntents
// read back through Stripe's list, and the operator's session at the gateway.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NatsConnection } from '@nats-io/transport-node';
import { AppError, credits, leads, payments, registry } from '@trades/contracts';
import { call, DEVELOPMENT_DEFAULTS } from '@trades/runtime';
import type { SmtpSink } from '../../../testkit/src/smtp-sink.ts';
import { httpJson } from '../lib/http.ts';
import type { LatencyRow } from '../lib/report.ts';
import { summarize } from '../lib/stats.ts';

export const SERVICE = 'drain_cleaning';
export const RUN_TAG = (Date.now() % 1_000_000).toString().padStart(6, '0');

export const now = (): number => performance.timeOrigin + performance.now();

export interface OfferSeen {
  leadId: string;
  code: string;
  providerId: string;
  phone: string;
  email: string;
  at: number;
}

export interface CreditSeen {
  creditId: string;
  reason: string;
  status: string;
  automatic: boolean;
  at: number;
}

export interface Observed {
  offers: Map<string, OfferSeen[]>;
  firstOfferAt: Map<string, number>;
  chargingAt: Map<string, number>;
  assigned: Map<string, number>;
  assignedAt: Map<string, number>;
  /** The lead's latest state by its events (NEW, DISPATCHING, OFFERED, CHARGING, ASSIGNED, …). */
  state: Map<string, string>;
  /** Each lead's last buyer, from its CHARGING / ASSIGNED events. */
  buyer: Map<string, string>;
  /** The first credit asked for on a lead (`credit_requested`): its reason, status and the instant. */
  creditRequested: Map<string, CreditSeen>;
  creditRefundedAt: Map<string, number>;
  /** Leads whose homeowner's confirmation SMS bounced (messaging's `homeowner_unreachable`). */
  homeownerUnreachable: Set<string>;
  /** A YES refused (`reply_rejected`): lead id → reason, e.g. cap_reached. */
  replyRejected: Map<string, string>;
  /** Charges dispatch voided (a success for a plumber the lead was no longer being sold to). */
  chargesVoided: string[];
  lastEventAt: number;
}

const dataOf = (envelope: unknown): unknown =>
  typeof envelope === 'object' && envelope !== null && 'data' in envelope ? envelope.data : undefined;

/** Dispatch's lead and credit events and messaging's bounces, watched as a plain subscriber. */
export function observeLeads(nc: NatsConnection): Observed {
  const seen: Observed = {
    offers: new Map(),
    firstOfferAt: new Map(),
    chargingAt: new Map(),
    assigned: new Map(),
    assignedAt: new Map(),
    state: new Map(),
    buyer: new Map(),
    creditRequested: new Map(),
    creditRefundedAt: new Map(),
    homeownerUnreachable: new Set(),
    replyRejected: new Map(),
    chargesVoided: [],
    lastEventAt: 0,
  };
  const each = (subject: string, handle: (subject: string, data: unknown, at: number) => void): void => {
    nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) return;
        const at = now();
        seen.lastEventAt = Date.now();
        let envelope: unknown;
        try {
          envelope = msg.json();
        } catch {
          return;
        }
        handle(msg.subject, dataOf(envelope), at);
      },
    });
  };
  each('evt.dispatch.lead.>', (subject, data, at) => {
    if (subject === leads.LeadOfferSent.subject && leads.LeadOfferSent.validate.check(data)) {
      if (!seen.firstOfferAt.has(data.leadId)) seen.firstOfferAt.set(data.leadId, at);
      const list = seen.offers.get(data.leadId) ?? [];
      list.push({
        leadId: data.leadId,
        code: data.leadCode,
        providerId: data.providerId,
        phone: data.providerPhone,
        email: data.providerEmail.toLowerCase(),
        at,
      });
      seen.offers.set(data.leadId, list);
      return;
    }
    if (subject === credits.CreditRequested.subject && credits.CreditRequested.validate.check(data)) {
      const { credit } = data;
      if (!seen.creditRequested.has(credit.leadId))
        seen.creditRequested.set(credit.leadId, {
          creditId: credit.id,
          reason: credit.reason,
          status: credit.status,
          automatic: credit.automatic,
          at,
        });
      return;
    }
    if (subject === credits.CreditRefunded.subject && credits.CreditRefunded.validate.check(data)) {
      if (!seen.creditRefundedAt.has(data.credit.leadId)) seen.creditRefundedAt.set(data.credit.leadId, at);
      return;
    }
    if (subject === leads.LeadReplyRejected.subject && leads.LeadReplyRejected.validate.check(data)) {
      if (data.leadId) seen.replyRejected.set(data.leadId, data.reason);
      return;
    }
    if (subject === leads.LeadChargeVoided.subject && leads.LeadChargeVoided.validate.check(data)) {
      seen.chargesVoided.push(data.leadId);
      return;
    }
    if (!leads.LeadNew.validate.check(data)) return;
    seen.state.set(data.leadId, data.state);
    if (data.buyer) seen.buyer.set(data.leadId, data.buyer.id);
    if (subject === leads.LeadCharging.subject) {
      if (!seen.chargingAt.has(data.leadId)) seen.chargingAt.set(data.leadId, at);
    } else if (subject === leads.LeadAssigned.subject) {
      seen.assigned.set(data.leadId, (seen.assigned.get(data.leadId) ?? 0) + 1);
      if (!seen.assignedAt.has(data.leadId)) seen.assignedAt.set(data.leadId, at);
    }
  });
  each(credits.HomeownerUnreachable.subject, (_subject, data) => {
    if (credits.HomeownerUnreachable.validate.check(data)) seen.homeownerUnreachable.add(data.leadId);
  });
  return seen;
}

/** Waits until no lead event, SMS or email arrived for `quietMs`, or `maxMs` passed. */
export async function settle(
  observed: Observed,
  queued: Map<string, number>,
  smtp: SmtpSink,
  quietMs: number,
  maxMs: number,
): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = '';
  let lastChange = Date.now();
  while (Date.now() < deadline) {
    const state = `${queued.size}/${smtp.emails.length}`;
    if (state !== last) {
      last = state;
      lastChange = Date.now();
    }
    if (Date.now() - Math.max(lastChange, observed.lastEventAt) >= quietMs) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls an asynchronous `probe` every 50 ms until it holds or `timeoutMs` passed; whether it held. */
export async function waitUntilAsync(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return probe();
}

export interface BenchPlumber {
  id: string;
  phone: string;
  email: string;
}

/** A plumber's caps as the registry takes them (0 = no cap). */
export type CapsInput = Partial<
  Pick<registry.PlumberCaps, 'dailyCap' | 'weeklyCap' | 'monthlyCap' | 'monthlySpendCapCents' | 'timeZone'>
>;

/**
 * A plumber created through the registry, with a Stripe test card saved through a card link the way the
 * card page (and scripts/seed.ts) does. Payments' own first link may supersede ours meanwhile: then again.
 */
async function createPlumber(
  nc: NatsConnection,
  index: number,
  prefix: string,
  zip: string,
  caps: CapsInput,
): Promise<BenchPlumber> {
  const options = { timeoutMs: 30_000 };
  const phone = `+1${prefix}${String(2_000_000 + index)}`;
  const email = `bench.${RUN_TAG}.${prefix}.${index}@plumbers.test`;
  const created = await call(
    nc,
    registry.PlumberCreate,
    {
      firstName: 'Bench',
      lastName: `Plumber${index}`,
      email,
      phone,
      zipCode: zip,
      services: [SERVICE],
      radiusKm: 25,
      dailyCap: 0,
      ...caps,
      actor: 'bench',
    },
    options,
  );
  for (let attempt = 1; ; attempt++) {
    const { url } = await call(
      nc,
      payments.ProviderCardLink,
      { providerId: created.id, firstName: created.firstName, email: created.email, phone: created.phone },
      options,
    );
    const token = url.slice(url.lastIndexOf('/') + 1);
    try {
      await call(nc, payments.ProviderCardTestConfirm, { token, paymentMethod: 'pm_card_visa' }, options);
      await call(nc, payments.ProviderCardComplete, { token }, options);
      return { id: created.id, phone: created.phone, email: created.email.toLowerCase() };
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'CARD_LINK_EXPIRED' && attempt < 5)) throw error;
    }
  }
}

/** `count` plumbers around `zip`, eight at a time, in index order; `caps(i)` gives plumber i's caps. */
export async function createPlumbers(
  nc: NatsConnection,
  count: number,
  prefix: string,
  zip: string,
  caps: (index: number) => CapsInput = () => ({}),
): Promise<BenchPlumber[]> {
  const made: BenchPlumber[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      made[index] = await createPlumber(nc, index, prefix, zip, caps(index));
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, count) }, worker));
  return made;
}

/** Waits until the registry sees every plumber's card as saved (payments announces it by event). */
export async function cardsSaved(nc: NatsConnection, plumbers: BenchPlumber[]): Promise<number> {
  const deadline = Date.now() + 60_000;
  const pending = new Set(plumbers.map((p) => p.id));
  while (pending.size > 0 && Date.now() < deadline) {
    for (const id of [...pending]) {
      const plumber = await call(nc, registry.PlumberGet, { id }, { timeoutMs: 15_000 });
      if (plumber.card.status === 'saved') pending.delete(id);
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 500));
  }
  return plumbers.length - pending.size;
}

export interface PaymentIntentSeen {
  id: string;
  status: string;
  leadId: string;
  customer: string;
  amount: number;
}

const stripeHeaders = (): Record<string, string> => ({
  authorization: `Bearer ${DEVELOPMENT_DEFAULTS['STRIPE_SECRET_KEY'] ?? ''}`,
});

const field = (item: object, name: string): unknown =>
  name in item ? (item as Record<string, unknown>)[name] : undefined;

/** Every PaymentIntent at the Stripe emulator, through Stripe's paginated list. */
export async function paymentIntents(stripeUrl: string): Promise<PaymentIntentSeen[]> {
  const seen: PaymentIntentSeen[] = [];
  let after = '';
  for (;;) {
    const query = `/v1/payment_intents?limit=100${after ? `&starting_after=${after}` : ''}`;
    const page = await httpJson(stripeUrl, query, { headers: stripeHeaders() });
    const items =
      typeof page === 'object' && page !== null && 'data' in page && Array.isArray(page.data)
        ? (page.data as unknown[])
        : [];
    for (const item of items) {
      if (typeof item !== 'object' || item === null) continue;
      const metadata = field(item, 'metadata');
      const leadId =
        typeof metadata === 'object' && metadata !== null && 'lead_id' in metadata
          ? String(metadata.lead_id)
          : '';
      const text = (name: string): string => {
        const value = field(item, name);
        return typeof value === 'string' ? value : '';
      };
      const amount = field(item, 'amount');
      seen.push({
        id: text('id'),
        status: text('status'),
        leadId,
        customer: text('customer'),
        amount: typeof amount === 'number' ? amount : 0,
      });
    }
    const hasMore = typeof page === 'object' && page !== null && 'has_more' in page && page.has_more === true;
    const last = seen.at(-1)?.id;
    if (!hasMore || !last || items.length === 0) return seen;
    after = last;
  }
}

export interface RefundWatch {
  /** lead id (the refund's `metadata.lead_id`) → the instant its `refund.created` webhook arrived. */
  createdAt: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Refunds as the Stripe emulator announces them: a webhook endpoint for `refund.created` registered
 * through Stripe's own API, pointing at a small HTTP server in the bench's process. The instant a
 * delivery arrives is at most a local hop after the refund existed at "Stripe" (the emulator posts each
 * event as soon as it is made), and far finer than the event's `created` (whole seconds).
 */
export async function watchRefunds(stripeUrl: string): Promise<RefundWatch> {
  const createdAt = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = now();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
      let event: unknown;
      try {
        event = JSON.parse(Buffer.concat(chunks).toString());
      } catch {
        return;
      }
      const object = dataOf(event);
      const refund =
        typeof object === 'object' && object !== null && 'object' in object ? object.object : undefined;
      const metadata =
        typeof refund === 'object' && refund !== null && 'metadata' in refund ? refund.metadata : undefined;
      const leadId =
        typeof metadata === 'object' && metadata !== null && 'lead_id' in metadata
          ? String(metadata.lead_id)
          : '';
      if (leadId && !createdAt.has(leadId)) createdAt.set(leadId, at);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const form = new URLSearchParams({ url: `http://127.0.0.1:${port}/refunds` });
  form.append('enabled_events[0]', 'refund.created');
  const response = await fetch(`${stripeUrl}/v1/webhook_endpoints`, {
    method: 'POST',
    headers: { ...stripeHeaders(), 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  if (!response.ok) {
    server.close();
    throw new Error(`Stripe webhook endpoint: ${response.status} ${await response.text()}`);
  }
  return {
    createdAt,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The operator's session cookie at the gateway (local sign-in with the development operator). */
export async function operatorSession(gatewayUrl: string): Promise<string> {
  const response = await fetch(`${gatewayUrl}/api/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'],
      password: DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'],
    }),
  });
  const cookie = response.headers.getSetCookie()[0]?.split(';')[0];
  if (response.status !== 204 || !cookie) throw new Error(`operator sign-in: ${response.status}`);
  return cookie;
}

export function derivedRow(name: string, rate: number | null, samples: number[], missing = 0): LatencyRow {
  return {
    name,
    rate,
    sent: samples.length + missing,
    errors: missing,
    throughput: null,
    latency: summarize(samples),
    lagP99: null,
    fromSend: null,
    checks: [],
  };
}
