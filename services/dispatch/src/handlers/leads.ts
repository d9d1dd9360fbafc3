import { createHmac, timingSafeEqual } from 'node:crypto';
import type { intake, payments } from '@trades/contracts';
import { AppError, conflict, leads, notFound, registry, type EventData } from '@trades/contracts';
import { usZips } from '@trades/geo';
import type { EntityManager } from '@trades/runtime';
import type { DispatchContext } from '../config.ts';
import { saleFactsOf, YES_SALE_FACTS } from '../domain/lead-credit.ts';
import { recordSaleFacts } from '../store/credits.ts';
import {
  dollars,
  FOR_SALE_STATES,
  keepWaitingForHeld,
  LEAD_CLOSE_REASON,
  lateYesReason,
  leadChargeKey,
  leadTransitionProblem,
  leadWavePlanPolicy,
  type LeadWavePolicy,
  type Urgency,
} from '../domain/lead-sale.ts';
import { capResetsAt, capSentence, type Caps } from '../domain/lead-caps.ts';
import { heldRetrySeconds, planNextWave } from '../domain/waves.ts';
import { capsJson, storedCaps } from '../store/lead-caps.ts';
import { buyerOf, findLead, insertLeadTimeline, lockLead, secondsSinceTimeline } from '../store/leads.ts';
import { lockProvider, pendingOfferOf, tryLockProvider } from '../store/offers.ts';
import { iso, type LeadRow, type OfferRow } from '../store/rows.ts';
import { freeCode } from './bookings.ts';
import { afterSaleCaps, checkSaleCaps, withinCaps } from './lead-caps.ts';
import {
  closeOffers,
  offerToNearest,
  REGISTRY_RETRY_SECONDS,
  runDueRows,
  SYSTEM_ACTOR,
} from './lifecycle.ts';

type LeadState = leads.LeadSaleState;
type Buyer = leads.LeadBuyer;

const OPEN_LEAD_STATES = `'NEW','DISPATCHING','OFFERED','CHARGING','ASSIGNED'`;

export function leadPolicy(ctx: DispatchContext, urgency: Urgency): LeadWavePolicy {
  const c = ctx.config;
  switch (urgency) {
    case 'day':
      return {
        waveSize: c.DISPATCH_LEAD_DAY_WAVE_SIZE,
        ttlSeconds: c.DISPATCH_LEAD_DAY_OFFER_TTL_SECONDS,
        maxWaves: c.DISPATCH_LEAD_DAY_MAX_WAVES,
      };
    case 'week':
      return {
        waveSize: c.DISPATCH_LEAD_WEEK_WAVE_SIZE,
        ttlSeconds: c.DISPATCH_LEAD_WEEK_OFFER_TTL_SECONDS,
        maxWaves: c.DISPATCH_LEAD_WEEK_MAX_WAVES,
      };
    case 'month':
      return {
        waveSize: c.DISPATCH_LEAD_MONTH_WAVE_SIZE,
        ttlSeconds: c.DISPATCH_LEAD_MONTH_OFFER_TTL_SECONDS,
        maxWaves: c.DISPATCH_LEAD_MONTH_MAX_WAVES,
      };
  }
}

// ---------------------------------------------------------------------------------------------------
// Signed links: `<id>.<HMAC-SHA256(DISPATCH_LINK_SECRET, "<purpose>:<id>[:…]") base64url>`. Accept links
// sign `lead-offer:<offerId>`; credit links `lead-credit:<leadId>:<buyerId>`.

const linkSignature = (ctx: DispatchContext, message: string): string =>
  createHmac('sha256', ctx.config.DISPATCH_LINK_SECRET).update(message).digest('base64url');

/** Whether `mac` is dispatch's signature of `message` (constant time). */
export function linkSignatureValid(ctx: DispatchContext, message: string, mac: string): boolean {
  const expected = Buffer.from(linkSignature(ctx, message));
  const given = Buffer.from(mac);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const offerMessage = (offerId: string): string => `lead-offer:${offerId}`;
export const creditMessage = (leadId: string, buyerId: string): string => `lead-credit:${leadId}:${buyerId}`;

export const acceptToken = (ctx: DispatchContext, offerId: string): string =>
  `${offerId}.${linkSignature(ctx, offerMessage(offerId))}`;

/** The sale's credit link token (on the ASSIGNED event, for the buyer's sale email). */
export const creditToken = (ctx: DispatchContext, leadId: string, buyerId: string): string =>
  `${leadId}.${linkSignature(ctx, creditMessage(leadId, buyerId))}`;

/** The offer id a token was signed for; 404 LEAD_OFFER_NOT_FOUND for anything dispatch did not sign. */
export function offerIdOfToken(ctx: DispatchContext, token: string): string {
  const [offerId, mac] = token.split('.');
  const missing = notFound(
    'LEAD_OFFER_NOT_FOUND',
    'This link does not open a lead offer. Open the whole link from your email, or reply to the text instead.',
  );
  if (offerId === undefined || mac === undefined) throw missing;
  if (!linkSignatureValid(ctx, offerMessage(offerId), mac)) throw missing;
  return offerId;
}

// ---------------------------------------------------------------------------------------------------
// Transitions

export function leadEventData(
  lead: LeadRow,
  previousState: LeadState | null,
  cause: string,
  actor: string,
): leads.LeadSaleData {
  const data: leads.LeadSaleData = {
    leadId: lead.id,
    leadCode: lead.code,
    state: lead.state,
    previousState,
    cause,
    actor,
    at: iso(lead.updated_at),
    priceCents: lead.price_cents,
    serviceCode: lead.service_code,
    serviceName: lead.service_name,
    urgency: lead.urgency,
    zipCode: lead.zip,
    homeowner: lead.homeowner,
    description: lead.description,
    partnerId: lead.partner_id,
    buyer: buyerOf(lead),
    chargeAttempt: lead.charge_attempt,
  };
  if (lead.state === 'CHARGING' && lead.buyer_id !== null) {
    data.idempotencyKey = leadChargeKey(lead.id, lead.buyer_id);
  }
  return data;
}

interface LeadChanges {
  buyer_id?: string | null;
  buyer_name?: string | null;
  buyer_phone?: string | null;
  buyer_email?: string | null;
  charge_attempt?: number;
  wave?: number;
  /** jsonb (capsJson) */
  buyer_caps?: string | null;
  sold_at?: null;
}

interface LeadTransitionOptions {
  cause: string;
  actor: string;
  set?: LeadChanges;
  /** The moment of sale: `sold_at` becomes now (what the buyer's caps count by). */
  soldNow?: boolean;
  /** Seconds from now until the dispatcher looks at the lead again; null (the default) for never. */
  nextActionInSeconds?: number | null;
}

/**
 * Moves a lead to `to` with one conditional UPDATE (`where id = ? and state = ? and charge_attempt = ?`,
 * as it was read), records the step in the timeline and enqueues its event, in the caller's
 * transaction. Undefined when someone else moved it first.
 */
export async function tryLeadTransition(
  ctx: DispatchContext,
  em: EntityManager,
  lead: LeadRow,
  to: LeadState,
  options: LeadTransitionOptions,
): Promise<LeadRow | undefined> {
  const problem = leadTransitionProblem(lead.state, to);
  if (problem) throw conflict('INVALID_TRANSITION', problem, { from: lead.state, to });
  const sets = ['state = ?', 'updated_at = clock_timestamp()'];
  const params: unknown[] = [to];
  for (const [column, value] of Object.entries(options.set ?? {})) {
    sets.push(`${column} = ?`);
    params.push(value);
  }
  if (options.soldNow) sets.push('sold_at = clock_timestamp()');
  const next = options.nextActionInSeconds ?? null;
  if (next === null) {
    sets.push('next_action_at = null');
  } else {
    sets.push('next_action_at = now() + make_interval(secs => ?)');
    params.push(next);
  }
  // The winner of "first YES" is decided here: a charge starts only from the state and attempt it was
  // read in; every concurrent YES re-reads the row after the winner commits and matches nothing.
  const [moved] = await em.execute<LeadRow[]>(
    `update dispatch.lead set ${sets.join(', ')} where id = ? and state = ? and charge_attempt = ? returning *`,
    [...params, lead.id, lead.state, lead.charge_attempt],
  );
  if (!moved) return undefined;
  await insertLeadTimeline(em, moved.id, to, lead.state, options.cause, options.actor);
  const data = leadEventData(moved, lead.state, options.cause, options.actor);
  // The sale email carries the buyer's credit link.
  if (to === 'ASSIGNED' && moved.buyer_id !== null)
    data.creditToken = creditToken(ctx, moved.id, moved.buyer_id);
  await ctx.publish(em, leads.LEAD_EVENT_BY_STATE[to], data);
  return moved;
}

export async function leadTransition(
  ctx: DispatchContext,
  em: EntityManager,
  lead: LeadRow,
  to: LeadState,
  options: LeadTransitionOptions,
): Promise<LeadRow> {
  const moved = await tryLeadTransition(ctx, em, lead, to, options);
  if (!moved) {
    throw conflict(
      'INVALID_TRANSITION',
      `The lead changed while this was being done (it is no longer ${lead.state}); reload it and try again.`,
      { from: lead.state, to },
    );
  }
  return moved;
}

// ---------------------------------------------------------------------------------------------------
// Intake → a lead for sale

/** An accepted lead becomes a lead for sale (once: the id is intake's), and its first wave goes out. */
export async function createLead(
  ctx: DispatchContext,
  em: EntityManager,
  accepted: EventData<typeof intake.LeadAccepted>,
): Promise<LeadRow | undefined> {
  const free = await freeCode(em, 'lead', OPEN_LEAD_STATES);
  if (!free) throw new Error('every lead code is in use by an open lead');
  const [created] = await em.execute<LeadRow[]>(
    `insert into dispatch.lead (id, code, state, service_code, service_name, urgency, zip, lat, lng, price_cents,
       homeowner, description, source, partner_id)
     values (?, ?, 'NEW', ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?)
     on conflict (id) do nothing returning *`,
    [
      accepted.leadId,
      free.code,
      accepted.serviceCode,
      accepted.serviceName,
      accepted.urgency,
      accepted.zipCode,
      accepted.lat,
      accepted.lng,
      accepted.priceCents,
      JSON.stringify(accepted.homeowner),
      accepted.description,
      accepted.source,
      accepted.partnerId,
    ],
  );
  if (!created) return undefined;
  const cause =
    accepted.source === 'partner' ? 'lead accepted from a partner' : 'lead accepted from the form';
  await insertLeadTimeline(em, created.id, 'NEW', null, cause, 'intake');
  await ctx.publish(em, leads.LeadNew, leadEventData(created, null, cause, 'intake'));
  const dispatching = await leadTransition(ctx, em, created, 'DISPATCHING', {
    cause: 'offering started',
    actor: SYSTEM_ACTOR,
    nextActionInSeconds: 0,
  });
  return sendNextLeadWave(ctx, em, dispatching);
}

// ---------------------------------------------------------------------------------------------------
// Waves

/**
 * Sends a lead's next wave: the nearest plumbers who can buy it (registry `plumber.candidates`: they
 * cover its ZIP and buy its service, are active and available, have a saved card and no pending
 * offer), not offered it before and within their caps, through the same offer insert and search as
 * jobs. A wave that finds nobody free but some held by other offers waits for them (see
 * {@link waitForHeldPlumbers}); one that finds nobody at all counts, and the lead looks again after the
 * wave's TTL. After the last wave the lead is UNSOLD. The lead row must be locked by the caller.
 */
export async function sendNextLeadWave(
  ctx: DispatchContext,
  em: EntityManager,
  lead: LeadRow,
): Promise<LeadRow> {
  const policy = leadPolicy(ctx, lead.urgency);
  const plan = planNextWave(leadWavePlanPolicy(policy), { wave: lead.wave, roundStartWave: 0 });
  if (plan.kind === 'exhausted') {
    const [offered] = await em.execute<{ n: number }[]>(
      'select count(*)::int as n from dispatch.offer where lead_id = ?',
      [lead.id],
    );
    const cause =
      (offered?.n ?? 0) === 0
        ? `no plumber could be offered it in ${policy.maxWaves} wave${policy.maxWaves === 1 ? '' : 's'}`
        : `nobody bought it after ${policy.maxWaves} wave${policy.maxWaves === 1 ? '' : 's'}`;
    return leadTransition(ctx, em, lead, 'UNSOLD', { cause, actor: SYSTEM_ACTOR });
  }
  const before = await em.execute<{ provider_id: string }[]>(
    'select provider_id from dispatch.offer where lead_id = ?',
    [lead.id],
  );
  const exclude = before.map((o) => o.provider_id);
  let search;
  try {
    search = await offerToNearest(
      em,
      plan.size,
      exclude,
      async (limit, excludeProviderIds) => {
        const found = await ctx.call(registry.PlumberCandidates, {
          serviceCode: lead.service_code,
          zipCode: lead.zip,
          lat: lead.lat,
          lng: lead.lng,
          limit,
          excludeProviderIds,
        });
        // Caps: a plumber at one, or whom this lead would take over one, is passed over.
        const items = await withinCaps(em, found.items, lead.price_cents);
        const kept = new Set(items.map((c) => c.providerId));
        // A held plumber at a cap is nobody to wait for.
        const held = found.held?.length ? await withinCaps(em, found.held, lead.price_cents) : [];
        return {
          items,
          held,
          passedOver: found.items.filter((c) => !kept.has(c.providerId)).map((c) => c.providerId),
        };
      },
      (candidate) => ({
        of: { kind: 'lead', id: lead.id },
        providerId: candidate.providerId,
        providerName: candidate.name,
        providerPhone: candidate.phone,
        providerEmail: candidate.email,
        wave: plan.wave,
        distanceKm: candidate.distanceKm,
        ttlSeconds: policy.ttlSeconds,
        providerCaps: {
          dailyCap: candidate.dailyCap,
          weeklyCap: candidate.weeklyCap,
          monthlyCap: candidate.monthlyCap,
          monthlySpendCapCents: candidate.monthlySpendCapCents,
          timeZone: candidate.timeZone,
        },
      }),
    );
  } catch (error) {
    if (!(error instanceof AppError) || error.status < 500) throw error;
    ctx.log.warn(
      { leadId: lead.id, err: error },
      'registry unavailable; the lead wave will be tried again shortly',
    );
    const [due] = await em.execute<LeadRow[]>(
      'update dispatch.lead set next_action_at = now() + make_interval(secs => ?) where id = ? returning *',
      [REGISTRY_RETRY_SECONDS, lead.id],
    );
    return due ?? lead;
  }
  if (search.offers.length === 0 && search.held > 0) {
    const waiting = await waitForHeldPlumbers(ctx, em, lead, plan.wave, policy.ttlSeconds);
    if (waiting) return waiting;
    // Waited as long as the wave's offers would have: the wave counts, and the next goes out now.
    const [counted] = await em.execute<LeadRow[]>(
      'update dispatch.lead set wave = ? where id = ? returning *',
      [plan.wave, lead.id],
    );
    if (!counted) throw new Error(`lead ${lead.id} vanished while sending a wave`);
    await insertLeadTimeline(
      em,
      lead.id,
      lead.state,
      lead.state,
      `wave ${plan.wave}: no plumber came free within ${policy.ttlSeconds} s`,
      SYSTEM_ACTOR,
    );
    return sendNextLeadWave(ctx, em, counted);
  }
  if (search.offers.length === 0) {
    const [waited] = await em.execute<LeadRow[]>(
      `update dispatch.lead set wave = ?, next_action_at = now() + make_interval(secs => ?) where id = ? returning *`,
      [plan.wave, policy.ttlSeconds, lead.id],
    );
    await insertLeadTimeline(
      em,
      lead.id,
      lead.state,
      lead.state,
      `wave ${plan.wave}: no plumber free to offer it to; looking again in ${policy.ttlSeconds} s`,
      SYSTEM_ACTOR,
    );
    return waited ?? lead;
  }
  const offered = await leadTransition(ctx, em, lead, 'OFFERED', {
    cause: `wave ${plan.wave}: offered to ${search.offers.length} plumber${search.offers.length === 1 ? '' : 's'}`,
    actor: SYSTEM_ACTOR,
    set: { wave: plan.wave },
    nextActionInSeconds: policy.ttlSeconds,
  });
  for (const offer of search.offers) {
    await ctx.publish(em, leads.LeadOfferSent, {
      offerId: offer.id,
      leadId: lead.id,
      leadCode: lead.code,
      providerId: offer.provider_id,
      providerName: offer.provider_name,
      providerPhone: offer.provider_phone,
      providerEmail: offer.provider_email ?? '',
      wave: offer.wave,
      serviceCode: lead.service_code,
      serviceName: lead.service_name,
      urgency: lead.urgency,
      zipCode: lead.zip,
      priceCents: lead.price_cents,
      distanceKm: offer.distance_km,
      expiresAt: iso(offer.expires_at),
      acceptToken: acceptToken(ctx, offer.id),
    });
  }
  return offered;
}

/**
 * The wave found nobody free, but plumbers who could buy the lead are holding other offers (or being
 * offered one right now): unless it has waited the wave's TTL for them already, the lead stays
 * DISPATCHING without counting the wave and looks again in a moment (with jitter, like a job waiting for
 * held locksmiths), noted once on its timeline; that line's time is when the wait began. Undefined
 * when the wait is over.
 */
async function waitForHeldPlumbers(
  ctx: DispatchContext,
  em: EntityManager,
  lead: LeadRow,
  wave: number,
  ttlSeconds: number,
): Promise<LeadRow | undefined> {
  const cause = `wave ${wave}: every plumber who could buy it is considering another offer; waiting for one to come free`;
  const waitedSeconds = await secondsSinceTimeline(em, lead.id, cause);
  if (!keepWaitingForHeld(waitedSeconds, ttlSeconds)) return undefined;
  const [due] = await em.execute<LeadRow[]>(
    'update dispatch.lead set next_action_at = now() + make_interval(secs => ?) where id = ? returning *',
    [heldRetrySeconds(Math.random()), lead.id],
  );
  if (waitedSeconds === null) {
    await insertLeadTimeline(em, lead.id, lead.state, lead.state, cause, SYSTEM_ACTOR);
    ctx.log.info({ leadId: lead.id, wave }, 'plumbers for the lead all held; waiting for one');
  }
  return due ?? lead;
}

/**
 * After a lead offer closed (NO, expiry, undeliverable): an OFFERED lead with nothing left pending goes
 * to its next wave; otherwise it looks again when its next offer expires. A lead being charged waits
 * for the charge.
 */
export async function afterLeadOfferClosed(
  ctx: DispatchContext,
  em: EntityManager,
  lead: LeadRow,
): Promise<LeadRow> {
  if (lead.state !== 'OFFERED') return lead;
  const [pending] = await em.execute<{ n: number; next: Date | string | null }[]>(
    `select count(*)::int as n, min(expires_at) as next from dispatch.offer where lead_id = ? and status = 'PENDING'`,
    [lead.id],
  );
  if (pending && pending.n > 0) {
    await em.execute('update dispatch.lead set next_action_at = ? where id = ?', [pending.next, lead.id]);
    return lead;
  }
  const dispatching = await leadTransition(ctx, em, lead, 'DISPATCHING', {
    cause: `wave ${lead.wave} ended without a sale`,
    actor: SYSTEM_ACTOR,
    nextActionInSeconds: 0,
  });
  return sendNextLeadWave(ctx, em, dispatching);
}

/** Expires a lead's overdue offers (never one whose YES is in line: it waits for the charge ahead). */
async function expireOverdueOffers(ctx: DispatchContext, em: EntityManager, lead: LeadRow): Promise<void> {
  await closeOffers(
    ctx,
    em,
    lead,
    { sql: 'lead_id = ? and expires_at <= now() and yes_at is null', params: [lead.id] },
    'EXPIRED',
    LEAD_CLOSE_REASON.expired,
    false,
  );
}

/** A lead whose due time has come (its row locked by the caller). */
export async function advanceDueLead(ctx: DispatchContext, em: EntityManager, lead: LeadRow): Promise<void> {
  if (lead.state === 'OFFERED') {
    await expireOverdueOffers(ctx, em, lead);
    await afterLeadOfferClosed(ctx, em, lead);
    return;
  }
  if (lead.state === 'DISPATCHING') {
    await sendNextLeadWave(ctx, em, lead);
    return;
  }
  await em.execute('update dispatch.lead set next_action_at = null where id = ?', [lead.id]);
}

/** The leads' share of the timer (the same loop as the jobs'). */
export function runDueLeads(ctx: DispatchContext, maxLeads = 100): Promise<number> {
  return runDueRows<LeadRow>(ctx, 'lead', (em, lead) => advanceDueLead(ctx, em, lead), maxLeads);
}

// ---------------------------------------------------------------------------------------------------
// The sale: YES (SMS or accept link), an operator's sale, the charge's result

/**
 * Starts charging the lead to `buyer`: CHARGING with the buyer, the next charge attempt and the moment of
 * sale (`sold_at`, what caps count by), with the caps the sale was checked against (null: none known).
 * The caller holds the buyer's provider lock and has checked their caps under it.
 */
async function startCharge(
  ctx: DispatchContext,
  em: EntityManager,
  lead: LeadRow,
  buyer: Buyer,
  caps: Caps | null,
  cause: string,
  actor: string,
): Promise<LeadRow | undefined> {
  return tryLeadTransition(ctx, em, lead, 'CHARGING', {
    cause,
    actor,
    soldNow: true,
    set: {
      buyer_id: buyer.id,
      buyer_name: buyer.name,
      buyer_phone: buyer.phone,
      buyer_email: buyer.email,
      buyer_caps: caps === null ? null : capsJson(caps),
      charge_attempt: lead.charge_attempt + 1,
    },
  });
}

/** Closes an offer whose plumber a sale of this lead would take over a cap; the lead goes on to others. */
async function closeOverCap(
  ctx: DispatchContext,
  em: EntityManager,
  lead: LeadRow,
  offer: OfferRow,
): Promise<void> {
  await closeOffers(
    ctx,
    em,
    lead,
    { sql: 'id = ?', params: [offer.id] },
    'CANCELED',
    LEAD_CLOSE_REASON.capReached,
    true,
  );
}

/** Whether the offer's plumber may buy the lead now: their caps as offered, counted under their lock. */
async function offerWithinCaps(em: EntityManager, lead: LeadRow, offer: OfferRow): Promise<boolean> {
  const caps = storedCaps(offer.provider_caps);
  if (!caps) return true;
  return (await checkSaleCaps(em, offer.provider_id, caps, lead.price_cents)).exceeded === null;
}

const buyerFromOffer = (offer: OfferRow): Buyer => ({
  id: offer.provider_id,
  name: offer.provider_name,
  phone: offer.provider_phone,
  email: offer.provider_email ?? '',
});

export interface LeadYesOutcome {
  outcome: 'charging' | 'queued' | 'rejected';
  reason?: leads.LeadOfferRejectReason;
  leadCode: string;
}

export interface LeadYes {
  providerId: string;
  providerPhone: string;
  channel: 'sms' | 'link';
  /** The code quoted in `YES <code>`, if any. */
  code?: string | undefined;
  /** The offer an accept link is for. */
  offerId?: string;
}

/**
 * A plumber's YES to a lead offer, by SMS or through the accept link (the same path). Locks, in the
 * order every writer takes them: the plumber's provider lock, then the lead row; the offer is read again
 * under both. An OFFERED lead starts charging to them (one conditional update: the first YES wins); a
 * lead being charged to someone else puts them in line (`yes_at`), told so by lead.offer_queued; a sold
 * lead, an expired or closed offer is refused with the reason (by SMS: lead.reply_rejected).
 */
export async function leadYes(
  ctx: DispatchContext,
  em: EntityManager,
  yes: LeadYes,
): Promise<LeadYesOutcome> {
  await lockProvider(em, yes.providerId);
  let pending = (await pendingOfferOf(em, yes.providerId)).lead;
  if (yes.offerId !== undefined && pending?.id !== yes.offerId) pending = undefined;
  const refuse = async (
    reason: leads.LeadOfferRejectReason,
    leadId: string | null,
    leadCode: string | null,
  ): Promise<LeadYesOutcome> => {
    if (yes.channel === 'sms') {
      await ctx.publish(em, leads.LeadReplyRejected, {
        providerId: yes.providerId,
        providerPhone: yes.providerPhone,
        channel: yes.channel,
        reason,
        leadId,
        leadCode,
      });
    }
    return { outcome: 'rejected', reason, leadCode: leadCode ?? '' };
  };

  if (!pending) {
    // Too late, or nothing to say yes to: tell them why rather than that they had nothing pending.
    const [latest] = await em.execute<(OfferRow & { lead_code: string })[]>(
      `select o.*, l.code as lead_code from dispatch.offer o join dispatch.lead l on l.id = o.lead_id
       where o.provider_id = ? ${yes.offerId !== undefined ? 'and o.id = ?' : yes.code !== undefined ? 'and l.code = ?' : ''}
       order by o.sent_at desc limit 1`,
      [
        yes.providerId,
        ...(yes.offerId !== undefined ? [yes.offerId] : yes.code !== undefined ? [yes.code] : []),
      ],
    );
    if (!latest || latest.lead_id === null) return refuse('no_pending_offer', null, yes.code ?? null);
    await em.execute(
      'update dispatch.offer set responded_at = clock_timestamp() where id = ? and responded_at is null',
      [latest.id],
    );
    return refuse(lateYesReason(latest.status, latest.reason), latest.lead_id, latest.lead_code);
  }
  if (yes.code !== undefined && yes.code !== pending.lead_code) {
    return refuse('wrong_lead_code', pending.lead_id, pending.lead_code);
  }
  const lead = await lockLead(em, pending.lead_id);
  const [offer] = await em.execute<OfferRow[]>('select * from dispatch.offer where id = ?', [pending.id]);
  if (!offer || offer.status !== 'PENDING') {
    return refuse(lateYesReason(offer?.status ?? 'CLOSED', offer?.reason ?? null), lead.id, lead.code);
  }
  if (lead.state === 'CHARGING' && lead.buyer_id === yes.providerId) {
    return { outcome: 'charging', leadCode: lead.code };
  }
  if ((lead.state === 'OFFERED' || lead.state === 'CHARGING') && !(await offerWithinCaps(em, lead, offer))) {
    // Over a cap (bought elsewhere since the offer went out): their offer closes, the lead goes on.
    await closeOverCap(ctx, em, lead, offer);
    if (lead.state === 'OFFERED') await afterLeadOfferClosed(ctx, em, lead);
    return refuse('cap_reached', lead.id, lead.code);
  }
  const [answered] = await em.execute<OfferRow[]>(
    `update dispatch.offer set yes_at = coalesce(yes_at, clock_timestamp()),
       responded_at = coalesce(responded_at, clock_timestamp())
     where id = ? returning *`,
    [offer.id],
  );
  if (lead.state === 'OFFERED') {
    const charging = await startCharge(
      ctx,
      em,
      lead,
      buyerFromOffer(offer),
      storedCaps(offer.provider_caps),
      `${offer.provider_name} said YES${yes.channel === 'link' ? ' (accept link)' : ''}; charging ${dollars(lead.price_cents)}`,
      yes.providerId,
    );
    if (charging) {
      // Offered to them as a candidate: the lead was in their coverage and services.
      await recordSaleFacts(em, lead.id, YES_SALE_FACTS);
      return { outcome: 'charging', leadCode: lead.code };
    }
  }
  if (lead.state === 'CHARGING') {
    if (offer.yes_at === null && answered) {
      const [ahead] = await em.execute<{ n: number }[]>(
        `select count(*)::int as n from dispatch.offer where lead_id = ? and status = 'PENDING'
           and yes_at is not null and yes_at <= ? and provider_id <> ?`,
        [lead.id, answered.yes_at, lead.buyer_id],
      );
      await ctx.publish(em, leads.LeadOfferQueued, {
        offerId: offer.id,
        leadId: lead.id,
        leadCode: lead.code,
        providerId: offer.provider_id,
        providerName: offer.provider_name,
        providerPhone: offer.provider_phone,
        providerEmail: offer.provider_email ?? '',
        position: Math.max(1, ahead?.n ?? 1),
      });
    }
    return { outcome: 'queued', leadCode: lead.code };
  }
  // Sold or no longer offered while the offer was still open: it closes now.
  const sold = lead.state === 'ASSIGNED' || lead.state === 'COMPLETED';
  await closeOffers(
    ctx,
    em,
    lead,
    { sql: 'id = ?', params: [offer.id] },
    'CANCELED',
    sold ? LEAD_CLOSE_REASON.sold : 'lead no longer offered',
    true,
  );
  return refuse(sold ? 'lead_sold' : 'offer_closed', lead.id, lead.code);
}

/** NO to a lead offer: declined; a wave with nothing left pending moves on. The buyer's NO mid-charge changes nothing. */
export async function leadNo(
  ctx: DispatchContext,
  em: EntityManager,
  providerId: string,
  offer: OfferRow & { lead_id: string },
): Promise<void> {
  const lead = await lockLead(em, offer.lead_id);
  if (lead.state === 'CHARGING' && lead.buyer_id === providerId) return;
  const closed = await closeOffers(
    ctx,
    em,
    lead,
    { sql: 'id = ?', params: [offer.id] },
    'DECLINED',
    LEAD_CLOSE_REASON.declined,
    true,
  );
  if (closed.length > 0) await afterLeadOfferClosed(ctx, em, lead);
}

/** A lead offer's SMS could not be delivered: like no reply (unless they already said YES). */
export async function leadOfferUndeliverable(
  ctx: DispatchContext,
  em: EntityManager,
  offer: OfferRow & { lead_id: string },
  reason: string,
): Promise<void> {
  const lead = await lockLead(em, offer.lead_id);
  const closed = await closeOffers(
    ctx,
    em,
    lead,
    { sql: 'id = ? and yes_at is null', params: [offer.id] },
    'FAILED',
    reason,
    false,
  );
  if (closed.length > 0) await afterLeadOfferClosed(ctx, em, lead);
}

/** DONE <code> from the buyer: their sold lead is COMPLETED. False when they have no such lead. */
export async function leadDone(
  ctx: DispatchContext,
  em: EntityManager,
  providerId: string,
  code: string | undefined,
): Promise<boolean> {
  const [lead] = await em.execute<LeadRow[]>(
    `select * from dispatch.lead where buyer_id = ? and state = 'ASSIGNED' ${code !== undefined ? 'and code = ?' : ''}
     order by updated_at desc limit 1 for update`,
    code !== undefined ? [providerId, code] : [providerId],
  );
  if (!lead) return false;
  await leadTransition(ctx, em, lead, 'COMPLETED', { cause: 'plumber reported DONE', actor: providerId });
  return true;
}

/** An operator sells the lead now to a named plumber: the same charge as a YES. */
export async function assignLead(
  ctx: DispatchContext,
  request: { id: string; plumberId: string; actor: string },
): Promise<void> {
  const plumber = await ctx.call(registry.PlumberGet, { id: request.plumberId });
  const name = `${plumber.firstName} ${plumber.lastName}`;
  if (plumber.status !== 'active') {
    throw conflict(
      'PLUMBER_NOT_ACTIVE',
      `${name} is ${plumber.status}; only an active plumber can buy a lead.`,
    );
  }
  if (plumber.card.status !== 'saved') {
    throw conflict(
      'NO_CARD',
      `${name} has no card on file that can be charged; send them a card link first.`,
    );
  }
  await ctx.transaction(async (em) => {
    await lockProvider(em, plumber.id);
    const lead = await lockLead(em, request.id);
    if (!FOR_SALE_STATES.includes(lead.state)) {
      throw conflict(
        'LEAD_NOT_FOR_SALE',
        lead.state === 'CHARGING'
          ? `Lead ${lead.code} is being charged to ${lead.buyer_name ?? 'a plumber'} right now; wait for the result.`
          : `Lead ${lead.code} is ${lead.state} and cannot be sold again.`,
      );
    }
    const caps = await checkSaleCaps(em, plumber.id, plumber, lead.price_cents);
    if (caps.exceeded !== null) {
      throw conflict('PLUMBER_AT_CAP', capSentence(name, caps.exceeded, plumber, caps.usage, caps.windows), {
        cap: caps.exceeded,
        resetsAt: iso(capResetsAt(caps.exceeded, caps.windows)),
      });
    }
    const charging = await startCharge(
      ctx,
      em,
      lead,
      { id: plumber.id, name, phone: plumber.phone, email: plumber.email },
      {
        dailyCap: plumber.dailyCap,
        weeklyCap: plumber.weeklyCap,
        monthlyCap: plumber.monthlyCap,
        monthlySpendCapCents: plumber.monthlySpendCapCents,
        timeZone: plumber.timeZone,
      },
      `sold to ${name} by an operator; charging ${dollars(lead.price_cents)}`,
      request.actor,
    );
    if (!charging)
      throw conflict('LEAD_NOT_FOR_SALE', 'The lead changed while this was being done; reload it.');
    // Sold by hand: whether it was in their coverage and services decides outside_area / not_my_service credits.
    await recordSaleFacts(em, lead.id, saleFactsOf(plumber, lead, usZips().lookup(plumber.zipCode)));
  });
}

/** An operator completes a sold lead. */
export async function completeLead(ctx: DispatchContext, id: string, actor: string): Promise<void> {
  await ctx.transaction(async (em) => {
    const lead = await lockLead(em, id);
    await leadTransition(ctx, em, lead, 'COMPLETED', { cause: 'completed by an operator', actor });
  });
}

/** The charge went through: the lead is sold to its buyer and every other offer closes. */
export async function onChargeSucceeded(
  ctx: DispatchContext,
  em: EntityManager,
  charge: EventData<typeof payments.LeadChargeSucceeded>,
): Promise<void> {
  const lead = await findLead(em, charge.leadId);
  if (!lead) return;
  // The buyer's lock first, as every writer takes it: their pending offers may close (a cap reached).
  await lockProvider(em, charge.providerId);
  const locked = await lockLead(em, lead.id);
  if (locked.state === 'CHARGING' && locked.buyer_id === charge.providerId) {
    const sold = await leadTransition(ctx, em, locked, 'ASSIGNED', {
      cause: `${locked.buyer_name ?? 'the plumber'} was charged ${dollars(charge.amountCents)}`,
      actor: 'payments',
    });
    await closeOffers(
      ctx,
      em,
      sold,
      { sql: 'lead_id = ? and provider_id = ?', params: [sold.id, charge.providerId] },
      'ACCEPTED',
      LEAD_CLOSE_REASON.bought,
      true,
    );
    await closeOffers(
      ctx,
      em,
      sold,
      { sql: 'lead_id = ?', params: [sold.id] },
      'CANCELED',
      LEAD_CLOSE_REASON.sold,
      false,
    );
    await afterSaleCaps(ctx, em, sold);
    return;
  }
  if ((locked.state === 'ASSIGNED' || locked.state === 'COMPLETED') && locked.buyer_id === charge.providerId)
    return;
  // Never expected: a charge for a lead that was not being charged to them. They get their money back.
  if (charge.paymentIntentId === null) return;
  ctx.log.error(
    { leadId: lead.id, providerId: charge.providerId, state: locked.state },
    'a lead charge succeeded for a plumber the lead was not being charged to; voiding it',
  );
  await ctx.publish(em, leads.LeadChargeVoided, {
    leadId: lead.id,
    providerId: charge.providerId,
    paymentIntentId: charge.paymentIntentId,
    reason: `lead ${locked.code} was ${locked.state} for ${locked.buyer_name ?? 'nobody'} when the charge succeeded`,
  });
}

/**
 * The card did not go through: the buyer's offer fails, and the lead goes at once to the next plumber who
 * also said YES (in the order their replies arrived); with nobody in line, back on offer (pending offers
 * left) or on to the next wave.
 */
export async function onChargeFailed(
  ctx: DispatchContext,
  em: EntityManager,
  charge: EventData<typeof payments.LeadChargeFailed>,
): Promise<void> {
  const lead = await findLead(em, charge.leadId);
  if (!lead) return;
  // Whoever is next in line is sold it under their lock, taken (as everywhere) before the lead row; who
  // that is, is read again under both.
  const inLine = `select * from dispatch.offer where lead_id = ? and status = 'PENDING' and yes_at is not null
     and provider_id <> ? order by yes_at, id`;
  const [expected] = await em.execute<OfferRow[]>(`${inLine} limit 1`, [lead.id, charge.providerId]);
  if (expected) await lockProvider(em, expected.provider_id);
  const locked = await lockLead(em, lead.id);
  if (
    locked.state !== 'CHARGING' ||
    locked.buyer_id !== charge.providerId ||
    locked.charge_attempt !== charge.chargeAttempt
  ) {
    ctx.log.warn(
      { leadId: lead.id, providerId: charge.providerId, state: locked.state },
      'a lead charge failed for a charge that is no longer current; nothing to do',
    );
    return;
  }
  const failedName = locked.buyer_name ?? 'the plumber';
  await closeOffers(
    ctx,
    em,
    locked,
    { sql: 'lead_id = ? and provider_id = ?', params: [locked.id, charge.providerId] },
    'FAILED',
    `${LEAD_CLOSE_REASON.cardFailed} (${charge.code})`,
    false,
  );
  for (const next of await em.execute<OfferRow[]>(inLine, [locked.id, charge.providerId])) {
    // Another plumber came first in line meanwhile: their lock can only be tried here, after the row.
    if (next.provider_id !== expected?.provider_id && !(await tryLockProvider(em, next.provider_id))) {
      throw new Error(
        `the next in line for lead ${locked.id} is busy right now; the charge result will be retried`,
      );
    }
    if (!(await offerWithinCaps(em, locked, next))) {
      await closeOverCap(ctx, em, locked, next);
      await ctx.publish(em, leads.LeadReplyRejected, {
        providerId: next.provider_id,
        providerPhone: next.provider_phone,
        channel: 'sms',
        reason: 'cap_reached',
        leadId: locked.id,
        leadCode: locked.code,
      });
      continue;
    }
    await startCharge(
      ctx,
      em,
      locked,
      buyerFromOffer(next),
      storedCaps(next.provider_caps),
      `${failedName}'s card did not go through (${charge.code}); ${next.provider_name} is next in line; charging ${dollars(locked.price_cents)}`,
      SYSTEM_ACTOR,
    );
    return;
  }
  await expireOverdueOffers(ctx, em, locked);
  const [pending] = await em.execute<{ n: number; wait: number | null }[]>(
    `select count(*)::int as n, extract(epoch from min(expires_at) - now())::float8 as wait
     from dispatch.offer where lead_id = ? and status = 'PENDING'`,
    [locked.id],
  );
  const cause = `${failedName}'s card did not go through (${charge.code}); nobody in line`;
  const clearBuyer = {
    buyer_id: null,
    buyer_name: null,
    buyer_phone: null,
    buyer_email: null,
    buyer_caps: null,
    sold_at: null,
  };
  if (pending && pending.n > 0) {
    await leadTransition(ctx, em, locked, 'OFFERED', {
      cause: `${cause}; still offered`,
      actor: SYSTEM_ACTOR,
      set: clearBuyer,
      nextActionInSeconds: Math.max(0, pending.wait ?? 0),
    });
    return;
  }
  const dispatching = await leadTransition(ctx, em, locked, 'DISPATCHING', {
    cause: `${cause}; next wave`,
    actor: SYSTEM_ACTOR,
    set: clearBuyer,
    nextActionInSeconds: 0,
  });
  await sendNextLeadWave(ctx, em, dispatching);
}
