import { notFound, type credits } from '@trades/contracts';
import type { EntityManager } from '@trades/runtime';
import { decodeCursor, encodeCursor } from './jobs.ts';
import { iso, type Instant, type LeadRow } from './rows.ts';

/** A `lead_credit` row with the lead's code, service, ZIP, price and buyer (the plumber) joined. */
export interface CreditRow {
  id: string;
  lead_id: string;
  plumber_id: string;
  reason: credits.CreditReason;
  note: string | null;
  channel: credits.CreditChannel;
  status: credits.CreditStatus;
  amount_cents: number;
  automatic: boolean;
  evidence: string | null;
  return_rate: number | null;
  flagged: boolean;
  requested_by: string;
  decided_by: string | null;
  decision_note: string | null;
  refund_id: string | null;
  failure: string | null;
  requested_at: Instant;
  decided_at: Instant | null;
  credited_at: Instant | null;
  lead_code: string;
  service_name: string;
  zip: string;
  price_cents: number;
  buyer_name: string | null;
  buyer_phone: string | null;
  buyer_email: string | null;
}

const SELECT = `select c.*, l.code as lead_code, l.service_name, l.zip, l.price_cents, l.buyer_name, l.buyer_phone,
  l.buyer_email from dispatch.lead_credit c join dispatch.lead l on l.id = c.lead_id`;

const isoOrNull = (value: Instant | null): string | null => (value === null ? null : iso(value));

export function toLeadCredit(row: CreditRow): credits.LeadCredit {
  return {
    id: row.id,
    leadId: row.lead_id,
    leadCode: row.lead_code,
    serviceName: row.service_name,
    zipCode: row.zip,
    priceCents: row.price_cents,
    plumberId: row.plumber_id,
    plumberName: row.buyer_name ?? '',
    plumberPhone: row.buyer_phone ?? '',
    plumberEmail: row.buyer_email ?? '',
    reason: row.reason,
    note: row.note,
    channel: row.channel,
    status: row.status,
    amountCents: row.amount_cents,
    automatic: row.automatic,
    evidence: row.evidence,
    returnRate: row.return_rate,
    flagged: row.flagged,
    requestedBy: row.requested_by,
    decidedBy: row.decided_by,
    decisionNote: row.decision_note,
    refundId: row.refund_id,
    failure: row.failure,
    requestedAt: iso(row.requested_at),
    decidedAt: isoOrNull(row.decided_at),
    creditedAt: isoOrNull(row.credited_at),
  };
}

/** What the buyer's credit page shows of a credit (the link needs no session: nothing internal). */
export function toBuyerCredit(row: CreditRow): credits.BuyerCredit {
  const credit = toLeadCredit(row);
  return {
    id: credit.id,
    leadCode: credit.leadCode,
    reason: credit.reason,
    note: credit.note,
    channel: credit.channel,
    status: credit.status,
    amountCents: credit.amountCents,
    automatic: credit.automatic,
    decisionNote: credit.decisionNote,
    requestedAt: credit.requestedAt,
    decidedAt: credit.decidedAt,
    creditedAt: credit.creditedAt,
  };
}

export const creditNotFound = (id: string) =>
  notFound('CREDIT_NOT_FOUND', `There is no credit ${id}; it may have been typed wrong.`);

export async function findCredit(
  em: EntityManager,
  id: string,
  lock = false,
): Promise<CreditRow | undefined> {
  const rows = await em.execute<CreditRow[]>(`${SELECT} where c.id = ? ${lock ? 'for update of c' : ''}`, [
    id,
  ]);
  return rows[0];
}

export async function getCredit(em: EntityManager, id: string): Promise<credits.LeadCredit> {
  const row = await findCredit(em, id);
  if (!row) throw creditNotFound(id);
  return toLeadCredit(row);
}

/** The credit of a lead waiting for an operator or for its refund (at most one: a unique index). */
export async function openCreditOf(em: EntityManager, leadId: string): Promise<CreditRow | undefined> {
  const rows = await em.execute<CreditRow[]>(
    `${SELECT} where c.lead_id = ? and c.status in ('review', 'approved') for update of c`,
    [leadId],
  );
  return rows[0];
}

/** A plumber's credits of one lead, newest first. */
export async function creditsOf(em: EntityManager, leadId: string, plumberId: string): Promise<CreditRow[]> {
  return em.execute<CreditRow[]>(
    `${SELECT} where c.lead_id = ? and c.plumber_id = ? order by c.requested_at desc, c.id desc`,
    [leadId, plumberId],
  );
}

export interface NewCredit {
  id: string;
  leadId: string;
  plumberId: string;
  reason: credits.CreditReason;
  note: string | null;
  channel: credits.CreditChannel;
  status: 'review' | 'approved';
  amountCents: number;
  automatic: boolean;
  evidence: string | null;
  returnRate: number | null;
  flagged: boolean;
  requestedBy: string;
  /** Set when the credit is decided as it is made (automatic or an operator's). */
  decidedBy: string | null;
}

export async function insertCredit(em: EntityManager, credit: NewCredit): Promise<CreditRow> {
  await em.execute(
    `insert into dispatch.lead_credit (id, lead_id, plumber_id, reason, note, channel, status, amount_cents, automatic,
       evidence, return_rate, flagged, requested_by, decided_by, decided_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, case when ? then date_trunc('milliseconds', clock_timestamp()) end)`,
    [
      credit.id,
      credit.leadId,
      credit.plumberId,
      credit.reason,
      credit.note,
      credit.channel,
      credit.status,
      credit.amountCents,
      credit.automatic,
      credit.evidence,
      credit.returnRate,
      credit.flagged,
      credit.requestedBy,
      credit.decidedBy,
      credit.decidedBy !== null,
    ],
  );
  const row = await findCredit(em, credit.id);
  if (!row) throw new Error(`credit ${credit.id} vanished after its insert`);
  return row;
}

/** Records a decision (or the refund's outcome) on a credit and returns the row as it is now. */
export async function updateCredit(
  em: EntityManager,
  id: string,
  changes: Partial<
    Pick<
      CreditRow,
      | 'status'
      | 'amount_cents'
      | 'automatic'
      | 'evidence'
      | 'decided_by'
      | 'decision_note'
      | 'refund_id'
      | 'failure'
    >
  >,
  stamp: 'decided_at' | 'credited_at' | null,
): Promise<CreditRow> {
  const sets: string[] = [];
  const params: unknown[] = [];
  for (const [column, value] of Object.entries(changes)) {
    sets.push(`${column} = ?`);
    params.push(value);
  }
  if (stamp !== null) sets.push(`${stamp} = date_trunc('milliseconds', clock_timestamp())`);
  await em.execute(`update dispatch.lead_credit set ${sets.join(', ')} where id = ?`, [...params, id]);
  const row = await findCredit(em, id);
  if (!row) throw creditNotFound(id);
  return row;
}

/**
 * A plumber's return rate inputs over the last 30 days: leads sold to them, and how many of those were
 * credited (a credit approved or refunded, any amount).
 */
export async function returnCounts(
  em: EntityManager,
  plumberId: string,
): Promise<{ bought: number; credited: number }> {
  const [row] = await em.execute<{ bought: number; credited: number }[]>(
    `select count(*)::int as bought,
       count(*) filter (where exists (select 1 from dispatch.lead_credit c where c.lead_id = l.id and c.plumber_id = l.buyer_id
                                      and c.status in ('approved', 'credited')))::int as credited
     from dispatch.lead l
     where l.buyer_id = ? and l.state in ('ASSIGNED', 'COMPLETED', 'CREDITED') and l.sold_at > now() - interval '30 days'`,
    [plumberId],
  );
  return row ?? { bought: 0, credited: 0 };
}

/** An earlier lead with the same homeowner (phone or email) and service sold to the same plumber. */
export async function earlierDuplicate(em: EntityManager, lead: LeadRow): Promise<string | null> {
  if (lead.buyer_id === null || lead.sold_at === null) return null;
  const [row] = await em.execute<{ code: string }[]>(
    `select code from dispatch.lead
     where id <> ? and buyer_id = ? and service_code = ? and state in ('ASSIGNED', 'COMPLETED', 'CREDITED')
       and sold_at < ? and (homeowner->>'phone' = ? or lower(homeowner->>'email') = lower(?))
     order by sold_at limit 1`,
    [lead.id, lead.buyer_id, lead.service_code, lead.sold_at, lead.homeowner.phone, lead.homeowner.email],
  );
  return row?.code ?? null;
}

/** Credits, newest first, keyset over (requested_at, id). */
export async function listCredits(
  em: EntityManager,
  query: {
    status?: credits.CreditStatus;
    plumberId?: string;
    leadId?: string;
    cursor?: string;
    limit?: number;
  },
): Promise<{ items: credits.LeadCredit[]; nextCursor: string | null }> {
  const limit = query.limit ?? 50;
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.status) {
    where.push('c.status = ?');
    params.push(query.status);
  }
  if (query.plumberId) {
    where.push('c.plumber_id = ?');
    params.push(query.plumberId);
  }
  if (query.leadId) {
    where.push('c.lead_id = ?');
    params.push(query.leadId);
  }
  if (query.cursor) {
    const position = decodeCursor(query.cursor);
    where.push('(c.requested_at, c.id) < (?::timestamptz, ?::uuid)');
    params.push(position.createdAt, position.id);
  }
  const rows = await em.execute<CreditRow[]>(
    `${SELECT} ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
     order by c.requested_at desc, c.id desc limit ?`,
    [...params, limit + 1],
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toLeadCredit),
    nextCursor:
      rows.length > limit && last ? encodeCursor({ createdAt: iso(last.requested_at), id: last.id }) : null,
  };
}

/**
 * The sale facts the outside_area / not_my_service checks read, in the sale's transaction. `sold_at` is
 * the caps' (set where the charge starts); it is only filled here when nothing set it.
 */
export async function recordSaleFacts(
  em: EntityManager,
  leadId: string,
  facts: { coveredZip: boolean; buysService: boolean },
): Promise<void> {
  await em.execute(
    `update dispatch.lead set buyer_covered_zip = ?, buyer_buys_service = ?, sold_at = coalesce(sold_at, clock_timestamp())
     where id = ?`,
    [facts.coveredZip, facts.buysService, leadId],
  );
}

/** Whether the plumber was offered the lead (offers go only to candidates who cover it and buy it). */
export async function wasOffered(em: EntityManager, leadId: string, providerId: string): Promise<boolean> {
  const [row] = await em.execute<{ offered: boolean }[]>(
    'select exists (select 1 from dispatch.offer where lead_id = ? and provider_id = ?) as offered',
    [leadId, providerId],
  );
  return row?.offered ?? false;
}
