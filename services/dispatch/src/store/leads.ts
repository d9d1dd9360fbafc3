import { notFound, type leads } from '@trades/contracts';
import type { EntityManager } from '@trades/runtime';
import { iso, type Instant, type LeadRow, type OfferRow } from './rows.ts';

type LeadState = leads.LeadSaleState;

export const leadNotFound = (id: string) => notFound('LEAD_NOT_FOUND', `Dispatch has no lead ${id}.`);

export async function findLead(em: EntityManager, id: string): Promise<LeadRow | undefined> {
  const rows = await em.execute<LeadRow[]>('select * from dispatch.lead where id = ?', [id]);
  return rows[0];
}

/** The lead row, locked for the rest of the transaction; 404 when there is none. */
export async function lockLead(em: EntityManager, id: string): Promise<LeadRow> {
  const rows = await em.execute<LeadRow[]>('select * from dispatch.lead where id = ? for update', [id]);
  const lead = rows[0];
  if (!lead) throw leadNotFound(id);
  return lead;
}

export async function insertLeadTimeline(
  em: EntityManager,
  leadId: string,
  state: LeadState,
  previousState: LeadState | null,
  cause: string,
  actor: string,
): Promise<void> {
  await em.execute(
    'insert into dispatch.lead_timeline (lead_id, state, previous_state, cause, actor) values (?, ?, ?, ?, ?)',
    [leadId, state, previousState, cause, actor],
  );
}

/** Seconds since the lead's timeline first said `cause` (by the database's clock), or null if it never did. */
export async function secondsSinceTimeline(
  em: EntityManager,
  leadId: string,
  cause: string,
): Promise<number | null> {
  const [row] = await em.execute<{ seconds: number | null }[]>(
    `select extract(epoch from now() - min(at))::float8 as seconds from dispatch.lead_timeline
     where lead_id = ? and cause = ?`,
    [leadId, cause],
  );
  return row?.seconds ?? null;
}

export function toLeadSale(row: LeadRow): leads.LeadSale {
  return {
    id: row.id,
    code: row.code,
    state: row.state,
    serviceCode: row.service_code,
    serviceName: row.service_name,
    urgency: row.urgency,
    zipCode: row.zip,
    priceCents: row.price_cents,
    homeowner: row.homeowner,
    description: row.description,
    source: row.source,
    partnerId: row.partner_id,
    wave: row.wave,
    buyer: buyerOf(row),
    chargeAttempt: row.charge_attempt,
    soldAt: isoOrNull(row.sold_at),
    creditedCents: row.credited_cents,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function buyerOf(row: LeadRow): leads.LeadBuyer | null {
  if (row.buyer_id === null || row.buyer_name === null || row.buyer_phone === null) return null;
  return { id: row.buyer_id, name: row.buyer_name, phone: row.buyer_phone, email: row.buyer_email ?? '' };
}

const isoOrNull = (value: Instant | null): string | null => (value === null ? null : iso(value));

export function toLeadOffer(row: OfferRow): leads.LeadOffer {
  return {
    id: row.id,
    plumberId: row.provider_id,
    plumberName: row.provider_name,
    wave: row.wave,
    status: row.status,
    reason: row.reason,
    distanceKm: row.distance_km,
    sentAt: iso(row.sent_at),
    expiresAt: iso(row.expires_at),
    respondedAt: isoOrNull(row.responded_at),
    yesAt: isoOrNull(row.yes_at),
  };
}

export async function leadDetail(em: EntityManager, id: string): Promise<leads.LeadSaleDetail> {
  const lead = await findLead(em, id);
  if (!lead) throw leadNotFound(id);
  const timeline = await em.execute<{ state: LeadState; at: Instant; cause: string; actor: string }[]>(
    'select state, at, cause, actor from dispatch.lead_timeline where lead_id = ? order by id',
    [id],
  );
  const offers = await em.execute<OfferRow[]>(
    'select * from dispatch.offer where lead_id = ? order by wave, sent_at, id',
    [id],
  );
  return {
    ...toLeadSale(lead),
    timeline: timeline.map((t) => ({ state: t.state, at: iso(t.at), cause: t.cause, actor: t.actor })),
    offers: offers.map(toLeadOffer),
  };
}
