import { randomUUID } from 'node:crypto';
import { notFound } from '@trades/contracts';
import type { intake } from '@trades/contracts';
import { pgArray, type EntityManager } from '@trades/runtime';
import { iso, isoOrNull, type Timestamp } from './time.ts';

export interface PartnerRow {
  id: string;
  name: string;
  email: string | null;
  status: 'active' | 'suspended';
  rate_limit_per_minute: number;
  contact_name: string | null;
  phone: string | null;
  payout_cents_per_lead: number | null;
  webhook_url: string | null;
  webhook_secret: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PartnerKeyRow {
  id: string;
  partner_id: string;
  name: string | null;
  test: boolean;
  prefix: string;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export function partnerNotFound(): never {
  throw notFound('PARTNER_NOT_FOUND', 'There is no partner with this id.');
}

/** A partner's profile as operators set it (already validated and normalised). */
export interface PartnerProfile {
  name: string;
  email: string | null;
  contactName: string | null;
  phone: string | null;
  rateLimitPerMinute: number | undefined;
  payoutCentsPerLead: number | null;
  webhookUrl: string | null;
}

export async function insertPartner(em: EntityManager, partner: PartnerProfile): Promise<PartnerRow> {
  const [row] = await em.execute<PartnerRow[]>(
    `insert into intake.partner (id, name, email, contact_name, phone, rate_limit_per_minute, payout_cents_per_lead,
                                 webhook_url)
     values (?, ?, ?, ?, ?, coalesce(?, 120), ?, ?)
     returning *`,
    [
      randomUUID(),
      partner.name,
      partner.email,
      partner.contactName,
      partner.phone,
      partner.rateLimitPerMinute ?? null,
      partner.payoutCentsPerLead,
      partner.webhookUrl,
    ],
  );
  if (!row) throw new Error('insert into intake.partner returned no row');
  return row;
}

/** The columns an update may change, each only when given. */
export interface PartnerChanges {
  name?: string;
  email?: string | null;
  contactName?: string | null;
  phone?: string | null;
  status?: 'active' | 'suspended';
  rateLimitPerMinute?: number;
  payoutCentsPerLead?: number | null;
  webhookUrl?: string | null;
}

/** Applies the given changes; null when there is no such partner. */
export async function updatePartner(
  em: EntityManager,
  id: string,
  changes: PartnerChanges,
): Promise<PartnerRow | null> {
  const sets = ["updated_at = date_trunc('milliseconds', now())"];
  const params: unknown[] = [];
  const set = (column: string, value: unknown): void => {
    if (value === undefined) return;
    sets.push(`${column} = ?`);
    params.push(value);
  };
  set('name', changes.name);
  set('email', changes.email);
  set('contact_name', changes.contactName);
  set('phone', changes.phone);
  set('status', changes.status);
  set('rate_limit_per_minute', changes.rateLimitPerMinute);
  set('payout_cents_per_lead', changes.payoutCentsPerLead);
  set('webhook_url', changes.webhookUrl);
  const [row] = await em.execute<PartnerRow[]>(
    `update intake.partner set ${sets.join(', ')} where id = ? returning *`,
    [...params, id],
  );
  return row ?? null;
}

/** Stores a new webhook signing secret (the old one stops signing at once); false when no such partner. */
export async function setWebhookSecret(em: EntityManager, id: string, secret: string): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(
    `update intake.partner set webhook_secret = ?, updated_at = date_trunc('milliseconds', now())
      where id = ? returning id`,
    [secret, id],
  );
  return rows.length > 0;
}

/** What a partner's stats are made of, over leads posted in [from, to). */
export interface PartnerStatsRow {
  accepted: number;
  sold: number;
  unsold: number;
  credited: number;
  /** bigint: read as text. */
  sold_cents: string | number;
  credited_cents: string | number;
  invalid: number;
  duplicate: number;
  not_served: number;
}

/**
 * A partner's leads posted in the period (test keys excepted) and what became of them: accepted leads
 * (sold, unsold, credited, their prices and credits) and the refused submissions by reason.
 */
export async function readPartnerStats(
  em: EntityManager,
  partnerId: string,
  from: string | null,
  to: string | null,
): Promise<PartnerStatsRow> {
  const [row] = await em.execute<PartnerStatsRow[]>(
    `with leads as (
       select status, sold_at, price_cents, credited_cents from intake.lead
        where partner_id = ? and not test
          and (?::timestamptz is null or created_at >= ?::timestamptz)
          and (?::timestamptz is null or created_at < ?::timestamptz)
     ), rejections as (
       select reason from intake.lead_rejection
        where partner_id = ?
          and (?::timestamptz is null or at >= ?::timestamptz)
          and (?::timestamptz is null or at < ?::timestamptz)
     )
     select (select count(*)::int from leads) as accepted,
            (select count(*)::int from leads where sold_at is not null) as sold,
            (select count(*)::int from leads where status = 'unsold') as unsold,
            (select count(*)::int from leads where credited_cents > 0) as credited,
            (select coalesce(sum(price_cents), 0)::bigint from leads where sold_at is not null) as sold_cents,
            (select coalesce(sum(credited_cents), 0)::bigint from leads) as credited_cents,
            (select count(*)::int from rejections where reason = 'invalid') as invalid,
            (select count(*)::int from rejections where reason = 'duplicate') as duplicate,
            (select count(*)::int from rejections where reason = 'not_served') as not_served`,
    [partnerId, from, from, to, to, partnerId, from, from, to, to],
  );
  if (!row) throw new Error('partner stats returned no row');
  return row;
}

export async function findPartner(em: EntityManager, id: string): Promise<PartnerRow | null> {
  const [row] = await em.execute<PartnerRow[]>(`select * from intake.partner where id = ?`, [id]);
  return row ?? null;
}

export async function listPartners(
  em: EntityManager,
  after: { createdAt: string; id: string } | undefined,
  limit: number,
): Promise<PartnerRow[]> {
  return after
    ? em.execute<PartnerRow[]>(
        `select * from intake.partner where (created_at, id) < (?::timestamptz, ?::uuid)
          order by created_at desc, id desc limit ?`,
        [after.createdAt, after.id, limit + 1],
      )
    : em.execute<PartnerRow[]>(`select * from intake.partner order by created_at desc, id desc limit ?`, [
        limit + 1,
      ]);
}

/** The partners with their keys (oldest key first). */
export async function toPartners(em: EntityManager, partners: PartnerRow[]): Promise<intake.Partner[]> {
  if (partners.length === 0) return [];
  const keys = await em.execute<PartnerKeyRow[]>(
    `select id, partner_id, name, test, prefix, created_at, last_used_at, revoked_at
       from intake.partner_key where partner_id = any(?::uuid[]) order by created_at, id`,
    [pgArray(partners.map((p) => p.id))],
  );
  return partners.map((p) => ({
    id: p.id,
    name: p.name,
    email: p.email,
    status: p.status,
    contactName: p.contact_name,
    phone: p.phone,
    rateLimitPerMinute: p.rate_limit_per_minute,
    payoutCentsPerLead: p.payout_cents_per_lead,
    webhookUrl: p.webhook_url,
    webhookSecretSet: p.webhook_secret !== null,
    createdAt: iso(p.created_at),
    updatedAt: iso(p.updated_at),
    keys: keys
      .filter((k) => k.partner_id === p.id)
      .map((k) => ({
        id: k.id,
        name: k.name,
        test: k.test,
        prefix: k.prefix,
        createdAt: iso(k.created_at),
        lastUsedAt: isoOrNull(k.last_used_at),
        revokedAt: isoOrNull(k.revoked_at),
      })),
  }));
}

export async function insertPartnerKey(
  em: EntityManager,
  key: { partnerId: string; name: string | null; test: boolean; hash: string; prefix: string },
): Promise<string> {
  const id = randomUUID();
  await em.execute(
    `insert into intake.partner_key (id, partner_id, name, test, key_hash, prefix) values (?, ?, ?, ?, ?, ?)`,
    [id, key.partnerId, key.name, key.test, key.hash, key.prefix],
  );
  return id;
}

/** Revokes a key of this partner (the first revocation time stays); null when the partner has no such key. */
export async function revokePartnerKey(
  em: EntityManager,
  partnerId: string,
  keyId: string,
): Promise<{ revoked_at: Timestamp } | null> {
  const [row] = await em.execute<{ revoked_at: Timestamp }[]>(
    `update intake.partner_key set revoked_at = coalesce(revoked_at, now())
      where id = ? and partner_id = ? returning revoked_at`,
    [keyId, partnerId],
  );
  return row ?? null;
}

export interface KeyOwner {
  key_id: string;
  partner_id: string;
  test: boolean;
  rate_limit_per_minute: number;
}

/** The live key with this hash and its active partner; null for unknown, revoked or suspended. */
export async function findLiveKey(em: EntityManager, hash: string): Promise<KeyOwner | null> {
  const [row] = await em.execute<KeyOwner[]>(
    `select k.id as key_id, k.partner_id, k.test, p.rate_limit_per_minute
       from intake.partner_key k join intake.partner p on p.id = k.partner_id
      where k.key_hash = ? and k.revoked_at is null and p.status = 'active'`,
    [hash],
  );
  return row ?? null;
}

/** last_used_at, written at most once a minute per key so a busy partner does not rewrite it per lead. */
export async function touchKey(em: EntityManager, keyId: string): Promise<void> {
  await em.execute(
    `update intake.partner_key set last_used_at = now()
      where id = ? and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
    [keyId],
  );
}
