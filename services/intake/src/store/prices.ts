import { LEAD_URGENCIES, PLUMBING_SERVICE_CODES, plumbingService, type LeadUrgency } from '@trades/contracts';
import type { pricing } from '@trades/contracts';
import { pgArray, type EntityManager } from '@trades/runtime';
import { iso, type Timestamp } from './time.ts';

/** One row of the price table: a service and urgency, anywhere (`zipPrefix` null) or in one ZIP prefix. */
export interface PriceKey {
  serviceCode: string;
  urgency: LeadUrgency;
  zipPrefix: string | null;
}

interface PriceRow {
  service_code: string;
  urgency: LeadUrgency;
  zip_prefix: string | null;
  price_cents: number;
  updated_at: Timestamp | null;
  updated_by: string | null;
}

export interface PriceChangeRow {
  id: string;
  service_code: string;
  urgency: LeadUrgency;
  zip_prefix: string | null;
  old_price_cents: number | null;
  new_price_cents: number | null;
  actor: string;
  /** The change's time, named for the keyset helpers. */
  created_at: Timestamp;
}

/** The table's unique key (`lead_price_key`) treats "no prefix" as the empty prefix. */
const KEY_MATCH = `service_code = ? and urgency = ? and coalesce(zip_prefix, '') = coalesce(?::text, '')`;
const keyParams = (key: PriceKey): unknown[] => [key.serviceCode, key.urgency, key.zipPrefix];

function toLeadPrice(row: PriceRow): pricing.LeadPrice {
  return {
    serviceCode: row.service_code,
    serviceName: plumbingService(row.service_code)?.name ?? row.service_code,
    urgency: row.urgency,
    zipPrefix: row.zip_prefix,
    priceCents: row.price_cents,
    updatedAt: row.updated_at === null ? null : iso(row.updated_at),
    updatedBy: row.updated_by,
  };
}

export function toPriceChange(row: PriceChangeRow): pricing.LeadPriceChange {
  return {
    id: row.id,
    serviceCode: row.service_code,
    urgency: row.urgency,
    zipPrefix: row.zip_prefix,
    oldPriceCents: row.old_price_cents,
    newPriceCents: row.new_price_cents,
    actor: row.actor,
    at: iso(row.created_at),
  };
}

/** The whole table in the catalogue's order, soonest urgency first, each base price before its ZIP prefixes. */
export async function listPrices(em: EntityManager): Promise<pricing.LeadPrice[]> {
  const rows = await em.execute<PriceRow[]>(
    `select service_code, urgency, zip_prefix, price_cents, updated_at, updated_by
       from intake.lead_price
      order by array_position(?::text[], service_code) nulls last, service_code,
               array_position(?::text[], urgency), zip_prefix nulls first`,
    [pgArray(PLUMBING_SERVICE_CODES), pgArray(LEAD_URGENCIES)],
  );
  return rows.map(toLeadPrice);
}

/**
 * Serialises every change to one row of the table until this transaction ends, so two operators setting
 * the same new ZIP-prefix price at once cannot both insert it, and each history row's old price is the
 * price the other one left.
 */
async function lockPriceKey(em: EntityManager, key: PriceKey): Promise<void> {
  await em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [
    `intake.lead_price:${key.serviceCode}:${key.urgency}:${key.zipPrefix ?? ''}`,
  ]);
}

async function recordChange(
  em: EntityManager,
  key: PriceKey,
  oldPriceCents: number | null,
  newPriceCents: number | null,
  actor: string,
): Promise<void> {
  await em.execute(
    `insert into intake.lead_price_change (service_code, urgency, zip_prefix, old_price_cents, new_price_cents, actor)
     values (?, ?, ?, ?, ?, ?)`,
    [...keyParams(key), oldPriceCents, newPriceCents, actor],
  );
}

/**
 * Sets one price (creating the row if it is new) and records the change in the same transaction. Setting
 * the price a row already has changes nothing and records nothing.
 */
export async function setPrice(
  em: EntityManager,
  key: PriceKey,
  priceCents: number,
  actor: string,
): Promise<pricing.LeadPrice> {
  await lockPriceKey(em, key);
  const [current] = await em.execute<PriceRow[]>(
    `select * from intake.lead_price where ${KEY_MATCH}`,
    keyParams(key),
  );
  if (current && current.price_cents === priceCents) return toLeadPrice(current);
  const [row] = current
    ? await em.execute<PriceRow[]>(
        `update intake.lead_price
            set price_cents = ?, updated_at = date_trunc('milliseconds', now()), updated_by = ?
          where ${KEY_MATCH}
          returning *`,
        [priceCents, actor, ...keyParams(key)],
      )
    : await em.execute<PriceRow[]>(
        `insert into intake.lead_price (service_code, urgency, zip_prefix, price_cents, updated_at, updated_by)
         values (?, ?, ?, ?, date_trunc('milliseconds', now()), ?)
         returning *`,
        [...keyParams(key), priceCents, actor],
      );
  if (!row) throw new Error('lead_price write returned no row');
  await recordChange(em, key, current?.price_cents ?? null, priceCents, actor);
  return toLeadPrice(row);
}

/** Deletes one ZIP-prefix row and records it; false when there was no such row (nothing recorded). */
export async function removePrice(em: EntityManager, key: PriceKey, actor: string): Promise<boolean> {
  await lockPriceKey(em, key);
  const [removed] = await em.execute<{ price_cents: number }[]>(
    `delete from intake.lead_price where ${KEY_MATCH} returning price_cents`,
    keyParams(key),
  );
  if (!removed) return false;
  await recordChange(em, key, removed.price_cents, null, actor);
  return true;
}

/** A page of the price table's history, newest first, one more than asked (keyset on the time and id). */
export async function listPriceChanges(
  em: EntityManager,
  after: { createdAt: string; id: string } | undefined,
  limit: number,
): Promise<PriceChangeRow[]> {
  const resume = after ? 'where (at, id) < (?::timestamptz, ?::bigint)' : '';
  return em.execute<PriceChangeRow[]>(
    `select id::text as id, service_code, urgency, zip_prefix, old_price_cents, new_price_cents, actor,
            at as created_at
       from intake.lead_price_change ${resume}
      order by at desc, id desc
      limit ?`,
    [...(after ? [after.createdAt, after.id] : []), limit + 1],
  );
}
