import type { payments } from '@trades/contracts';
import type { EntityManager } from '@trades/runtime';

export interface CustomerRow {
  provider_id: string;
  stripe_customer_id: string;
  default_payment_method: string | null;
  card_status: payments.CardStatus;
  card_brand: string | null;
  card_last4: string | null;
  setup_intent_id: string | null;
  /** Unix seconds (bigint: PostgreSQL hands it back as text). */
  setup_intent_created: string | null;
}

export interface CardLinkRow {
  id: string;
  provider_id: string;
  first_name: string;
  setup_intent_id: string | null;
  expires_at: Date;
  used_at: Date | null;
  superseded_at: Date | null;
}

export const toCard = (row: CustomerRow): payments.ProviderCard => ({
  status: row.card_status,
  brand: row.card_brand,
  last4: row.card_last4,
});

export async function findCustomer(
  em: EntityManager,
  providerId: string,
  lock = false,
): Promise<CustomerRow | null> {
  const rows = await em.execute<CustomerRow[]>(
    `select * from payments.provider_customer where provider_id = ?${lock ? ' for update' : ''}`,
    [providerId],
  );
  return rows[0] ?? null;
}

/**
 * Records the provider's Stripe customer; the first one recorded stays (a concurrent creator's is the
 * same). True when this call recorded it.
 */
export async function insertCustomer(
  em: EntityManager,
  providerId: string,
  stripeCustomerId: string,
): Promise<boolean> {
  const inserted = await em.execute<{ provider_id: string }[]>(
    `insert into payments.provider_customer (provider_id, stripe_customer_id) values (?, ?)
     on conflict (provider_id) do nothing returning provider_id`,
    [providerId, stripeCustomerId],
  );
  return inserted.length === 1;
}

/** A new link, superseding the provider's older unused ones. Run under the customer row's lock. */
export async function insertLink(
  em: EntityManager,
  link: { id: string; providerId: string; tokenHash: string; firstName: string; expiresAt: Date },
): Promise<void> {
  await em.execute(
    `update payments.card_link set superseded_at = now()
     where provider_id = ? and used_at is null and superseded_at is null`,
    [link.providerId],
  );
  await em.execute(
    `insert into payments.card_link (id, provider_id, token_hash, first_name, expires_at) values (?, ?, ?, ?, ?)`,
    [link.id, link.providerId, link.tokenHash, link.firstName, link.expiresAt],
  );
}

export async function hasLink(em: EntityManager, providerId: string): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(
    `select id from payments.card_link where provider_id = ? limit 1`,
    [providerId],
  );
  return rows.length > 0;
}

export async function findLinkByHash(em: EntityManager, tokenHash: string): Promise<CardLinkRow | null> {
  const rows = await em.execute<CardLinkRow[]>(
    `select id, provider_id, first_name, setup_intent_id, expires_at, used_at, superseded_at
     from payments.card_link where token_hash = ?`,
    [tokenHash],
  );
  const row = rows[0];
  if (!row) return null;
  // Raw queries hand timestamps back as the driver parsed them: Dates, or strings from some paths.
  return {
    ...row,
    expires_at: new Date(row.expires_at),
    used_at: row.used_at === null ? null : new Date(row.used_at),
    superseded_at: row.superseded_at === null ? null : new Date(row.superseded_at),
  };
}

/** Ties the link to its SetupIntent; the first one recorded stays. Returns the one the link has. */
export async function setLinkSetupIntent(
  em: EntityManager,
  linkId: string,
  setupIntentId: string,
): Promise<string> {
  const rows = await em.execute<{ setup_intent_id: string }[]>(
    `update payments.card_link set setup_intent_id = coalesce(setup_intent_id, ?) where id = ?
     returning setup_intent_id`,
    [setupIntentId, linkId],
  );
  return rows[0]?.setup_intent_id ?? setupIntentId;
}

export async function markLinkUsed(em: EntityManager, setupIntentId: string): Promise<void> {
  await em.execute(
    `update payments.card_link set used_at = now() where setup_intent_id = ? and used_at is null`,
    [setupIntentId],
  );
}

export async function saveCard(
  em: EntityManager,
  providerId: string,
  card: {
    paymentMethodId: string;
    brand: string | null;
    last4: string | null;
    setupIntentId: string;
    setupIntentCreated: number;
  },
): Promise<void> {
  await em.execute(
    `update payments.provider_customer
     set default_payment_method = ?, card_status = 'saved', card_brand = ?, card_last4 = ?,
         setup_intent_id = ?, setup_intent_created = ?, updated_at = now()
     where provider_id = ?`,
    [card.paymentMethodId, card.brand, card.last4, card.setupIntentId, card.setupIntentCreated, providerId],
  );
}
