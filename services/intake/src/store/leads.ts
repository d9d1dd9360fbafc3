import { randomUUID } from 'node:crypto';
import { notFound, plumbingService } from '@trades/contracts';
import type { ErrorBody, intake, LeadUrgency } from '@trades/contracts';
import type { EntityManager } from '@trades/runtime';
import type { ValidLead } from '../domain/lead-validation.ts';
import { iso, type Timestamp } from './time.ts';

/** Raw queries return timestamps as text or Date; both are read. */

/** Days back the duplicate rule looks for the same phone or email asking for the same service. */
export const DUPLICATE_WINDOW_DAYS = 30;
/** How long a partner's Idempotency-Key keeps its first answer. */
export const IDEMPOTENCY_KEY_HOURS = 24;

export interface LeadRow {
  id: string;
  status: intake.LeadStatus;
  first_name: string;
  last_name: string;
  email: string;
  phone: string;
  service_code: string;
  urgency: LeadUrgency;
  zip: string;
  lat: number;
  lng: number;
  description: string | null;
  source: intake.LeadSource;
  partner_id: string | null;
  partner_key_id: string | null;
  external_id: string | null;
  test: boolean;
  consent: intake.LeadConsent;
  price_cents: number;
  rejection_reason: string | null;
  plumber_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

interface StatusChangeRow {
  status: intake.LeadStatus;
  at: Timestamp;
  cause: string;
  actor: string;
}

export function leadNotFound(): never {
  throw notFound('LEAD_NOT_FOUND', 'There is no lead with this id.');
}

/** The lead's price: the most specific row of the price table (longest matching ZIP prefix, else none). */
export async function priceFor(
  em: EntityManager,
  serviceCode: string,
  urgency: LeadUrgency,
  zip: string,
): Promise<number | null> {
  const [row] = await em.execute<{ price_cents: number }[]>(
    `select price_cents from intake.lead_price
      where service_code = ? and urgency = ? and (zip_prefix is null or left(?, length(zip_prefix)) = zip_prefix)
      order by length(coalesce(zip_prefix, '')) desc
      limit 1`,
    [serviceCode, urgency, zip],
  );
  return row?.price_cents ?? null;
}

/**
 * Serialises every intake of the same (service, phone) and (service, email) until this transaction ends,
 * so two identical leads at once cannot both pass the duplicate check. Taken in a fixed order: two
 * leads sharing one key each way round cannot deadlock.
 */
export async function lockDuplicateKeys(
  em: EntityManager,
  serviceCode: string,
  phone: string,
  email: string,
): Promise<void> {
  const keys = [
    `intake.lead:${serviceCode}:phone:${phone}`,
    `intake.lead:${serviceCode}:email:${email}`,
  ].sort();
  for (const key of keys) await em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [key]);
}

/** The newest live lead (not test, not rejected) for the same service and phone or email, if any. */
export async function findDuplicate(
  em: EntityManager,
  serviceCode: string,
  phone: string,
  email: string,
): Promise<string | null> {
  const [row] = await em.execute<{ id: string }[]>(
    `select id from intake.lead
      where service_code = ? and (phone = ? or email = ?) and status <> 'rejected'
        and created_at > now() - make_interval(days => ?)
      order by created_at desc
      limit 1`,
    [serviceCode, phone, email, DUPLICATE_WINDOW_DAYS],
  );
  return row?.id ?? null;
}

export interface NewLead {
  lead: ValidLead;
  consent: intake.LeadConsent;
  source: intake.LeadSource;
  partnerId: string | null;
  partnerKeyId: string | null;
  test: boolean;
  priceCents: number;
}

/** Stores a lead (`new`, or `rejected` for a test key) with the first entry of its timeline. */
export async function insertLead(em: EntityManager, input: NewLead, actor: string): Promise<LeadRow> {
  const { lead } = input;
  const id = randomUUID();
  const status: intake.LeadStatus = input.test ? 'rejected' : 'new';
  const [row] = await em.execute<LeadRow[]>(
    `insert into intake.lead (id, status, first_name, last_name, email, phone, service_code, urgency, zip, lat, lng,
                              description, source, partner_id, partner_key_id, external_id, test, consent,
                              price_cents, rejection_reason)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)
     returning *`,
    [
      id,
      status,
      lead.firstName,
      lead.lastName,
      lead.email,
      lead.phone,
      lead.service.code,
      lead.urgency,
      lead.zipCode,
      lead.centroid.lat,
      lead.centroid.lng,
      lead.description,
      input.source,
      input.partnerId,
      input.partnerKeyId,
      lead.externalId,
      input.test,
      JSON.stringify(input.consent),
      input.priceCents,
      input.test ? 'test' : null,
    ],
  );
  if (!row) throw new Error('insert into intake.lead returned no row');
  await em.execute(
    `insert into intake.lead_status_change (lead_id, status, at, cause, actor) values (?, ?, ?, ?, ?)`,
    [
      id,
      status,
      row.created_at,
      input.test ? 'test key: validated, never offered' : 'accepted at intake',
      actor,
    ],
  );
  return row;
}

/**
 * A submission intake refused, counted for partners' stats and the funnel: where it came from, why, and
 * the service if it named a known one. Nothing personal.
 */
export async function insertRejection(
  em: EntityManager,
  rejection: {
    source: intake.LeadSource;
    partnerId: string | null;
    reason: 'invalid' | 'duplicate' | 'not_served';
    serviceCode: string | null;
  },
): Promise<void> {
  await em.execute(
    `insert into intake.lead_rejection (source, partner_id, reason, service_code) values (?, ?, ?, ?)`,
    [rejection.source, rejection.partnerId, rejection.reason, rejection.serviceCode],
  );
}

export async function findLead(em: EntityManager, id: string): Promise<LeadRow | null> {
  const [row] = await em.execute<LeadRow[]>(`select * from intake.lead where id = ?`, [id]);
  return row ?? null;
}

export function toLeadSummary(row: LeadRow): intake.LeadSummary {
  return {
    id: row.id,
    status: row.status,
    serviceNeeded: row.service_code,
    serviceName: plumbingService(row.service_code)?.name ?? row.service_code,
    urgency: row.urgency,
    zipCode: row.zip,
    priceCents: row.price_cents,
    firstName: row.first_name,
    lastName: row.last_name,
    source: row.source,
    partnerId: row.partner_id,
    externalId: row.external_id,
    test: row.test,
    plumberId: row.plumber_id,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export async function toLeadView(em: EntityManager, row: LeadRow): Promise<intake.LeadView> {
  const changes = await em.execute<StatusChangeRow[]>(
    `select status, at, cause, actor from intake.lead_status_change where lead_id = ? order by at, id`,
    [row.id],
  );
  return {
    ...toLeadSummary(row),
    email: row.email,
    phone: row.phone,
    description: row.description,
    lat: row.lat,
    lng: row.lng,
    partnerKeyId: row.partner_key_id,
    rejectionReason: row.rejection_reason,
    consent: row.consent,
    timeline: changes.map((c) => ({ status: c.status, at: iso(c.at), cause: c.cause, actor: c.actor })),
  };
}

/** The first answer to a partner's Idempotency-Key: an HTTP status and its body. */
export interface StoredAnswer {
  requestHash: string;
  status: number;
  body: intake.LeadReceipt | ErrorBody;
}

export async function findIdempotentAnswer(
  em: EntityManager,
  partnerId: string,
  key: string,
): Promise<StoredAnswer | null> {
  const [row] = await em.execute<
    { request_hash: string; status: number; body: intake.LeadReceipt | ErrorBody }[]
  >(
    `select request_hash, status, body from intake.idempotency_key
      where partner_id = ? and key = ? and created_at > now() - make_interval(hours => ?)`,
    [partnerId, key, IDEMPOTENCY_KEY_HOURS],
  );
  return row ? { requestHash: row.request_hash, status: row.status, body: row.body } : null;
}

/**
 * Records the answer to a key's first request. False when another request with the same key committed
 * first (the primary key decides; an expired row is replaced).
 */
export async function saveIdempotentAnswer(
  em: EntityManager,
  partnerId: string,
  key: string,
  answer: StoredAnswer,
): Promise<boolean> {
  const rows = await em.execute<{ key: string }[]>(
    `insert into intake.idempotency_key (partner_id, key, request_hash, status, body)
     values (?, ?, ?, ?, ?::jsonb)
     on conflict (partner_id, key) do update
       set request_hash = excluded.request_hash, status = excluded.status, body = excluded.body, created_at = now()
       where idempotency_key.created_at <= now() - make_interval(hours => ?)
     returning key`,
    [partnerId, key, answer.requestHash, answer.status, JSON.stringify(answer.body), IDEMPOTENCY_KEY_HOURS],
  );
  return rows.length > 0;
}

/** Idempotency keys past their 24 hours, a batch at a time (the sweep). */
export async function purgeExpiredIdempotencyKeys(em: EntityManager, batch = 1000): Promise<number> {
  const rows = await em.execute<{ key: string }[]>(
    `delete from intake.idempotency_key
      where ctid in (select ctid from intake.idempotency_key
                      where created_at <= now() - make_interval(hours => ?)
                      limit ? for update skip locked)
     returning key`,
    [IDEMPOTENCY_KEY_HOURS, batch],
  );
  return rows.length;
}

export interface LeadFilter {
  status?: intake.LeadStatus;
  serviceNeeded?: string;
  urgency?: LeadUrgency;
  zipCode?: string;
  partnerId?: string;
  from?: string;
  to?: string;
  after?: { createdAt: string; id: string };
}

/** A page of leads, newest first, one more than asked so the caller knows whether another page follows. */
export async function listLeads(em: EntityManager, filter: LeadFilter, limit: number): Promise<LeadRow[]> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const where = (sql: string, value: unknown): void => {
    conditions.push(sql);
    params.push(value);
  };
  if (filter.status !== undefined) where('status = ?', filter.status);
  if (filter.serviceNeeded !== undefined) where('service_code = ?', filter.serviceNeeded);
  if (filter.urgency !== undefined) where('urgency = ?', filter.urgency);
  if (filter.zipCode !== undefined) where('zip = ?', filter.zipCode);
  if (filter.partnerId !== undefined) where('partner_id = ?', filter.partnerId);
  if (filter.from !== undefined) where('created_at >= ?::timestamptz', filter.from);
  if (filter.to !== undefined) where('created_at < ?::timestamptz', filter.to);
  if (filter.after !== undefined) {
    conditions.push('(created_at, id) < (?::timestamptz, ?::uuid)');
    params.push(filter.after.createdAt, filter.after.id);
  }
  const clause = conditions.length > 0 ? `where ${conditions.join(' and ')}` : '';
  return em.execute<LeadRow[]>(
    `select * from intake.lead ${clause} order by created_at desc, id desc limit ?`,
    [...params, limit + 1],
  );
}
