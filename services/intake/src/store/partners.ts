import { randomUUID } from 'node:crypto';
import { notFound } from '@trades/contracts';
import type { intake } from '@trades/contracts';
import { pgArray, type EntityManager } from '@trades/runtime';

type Timestamp = Date | string;
const iso = (value: Timestamp): string => new Date(value).toISOString();
const isoOrNull = (value: Timestamp | null): string | null => (value === null ? null : iso(value));

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

export async function insertPartner(
  em: EntityManager,
  partner: { name: string; email: string | null; rateLimitPerMinute: number | undefined },
): Promise<PartnerRow> {
  const [row] = await em.execute<PartnerRow[]>(
    `insert into intake.partner (id, name, email, rate_limit_per_minute) values (?, ?, ?, coalesce(?, 120))
     returning *`,
    [randomUUID(), partner.name, partner.email, partner.rateLimitPerMinute ?? null],
  );
  if (!row) throw new Error('insert into intake.partner returned no row');
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
