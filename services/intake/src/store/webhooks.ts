import { randomUUID } from 'node:crypto';
import { notFound } from '@trades/contracts';
import type { partners } from '@trades/contracts';
import type { EntityManager } from '@trades/runtime';
import { retryDelaySeconds, webhookBody, type WebhookLead } from '../domain/partner-webhooks.ts';
import { iso, isoOrNull, type Timestamp } from './time.ts';

type DeliveryStatus = 'pending' | 'delivered' | 'failed';

interface DeliveryRow {
  id: string;
  partner_id: string;
  lead_id: string;
  outcome: partners.WebhookOutcome;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Timestamp | null;
  created_at: Timestamp;
  delivered_at: Timestamp | null;
}

const DELIVERY_COLUMNS = `id, partner_id, lead_id, outcome, url, status, attempts, last_status_code, last_error,
  next_attempt_at, created_at, delivered_at`;

export function deliveryNotFound(): never {
  throw notFound('DELIVERY_NOT_FOUND', 'This partner has no webhook delivery with this id.');
}

export function toDelivery(row: DeliveryRow): partners.WebhookDelivery {
  return {
    id: row.id,
    partnerId: row.partner_id,
    leadId: row.lead_id,
    outcome: row.outcome,
    url: row.url,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    nextAttemptAt: row.status === 'pending' ? isoOrNull(row.next_attempt_at) : null,
    createdAt: iso(row.created_at),
    deliveredAt: isoOrNull(row.delivered_at),
  };
}

/**
 * Queues the POST of one outcome of a partner's lead, in the caller's transaction (the one recording the
 * outcome). Nothing when the partner has no webhook URL; nothing new when this outcome (`outcomeKey`) was
 * queued before, so a redelivered event queues nothing. Returns the new delivery's id.
 */
export async function enqueueDelivery(
  em: EntityManager,
  delivery: {
    partnerId: string;
    outcome: partners.WebhookOutcome;
    outcomeKey: string;
    lead: WebhookLead;
  },
): Promise<string | null> {
  const [partner] = await em.execute<{ webhook_url: string | null }[]>(
    'select webhook_url from intake.partner where id = ?',
    [delivery.partnerId],
  );
  if (!partner?.webhook_url) return null;
  const id = randomUUID();
  const body = JSON.stringify(webhookBody(id, delivery.outcome, delivery.lead, new Date()));
  const rows = await em.execute<{ id: string }[]>(
    `insert into intake.partner_webhook_delivery (id, partner_id, lead_id, outcome, outcome_key, url, body)
     values (?, ?, ?, ?, ?, ?, ?)
     on conflict (outcome_key) do nothing
     returning id`,
    [
      id,
      delivery.partnerId,
      delivery.lead.leadId,
      delivery.outcome,
      delivery.outcomeKey,
      partner.webhook_url,
      body,
    ],
  );
  return rows[0]?.id ?? null;
}

/** A claimed delivery with where (and with what secret) to send it now. */
export interface ClaimedDelivery {
  id: string;
  body: string;
  url: string | null;
  secret: string | null;
}

/**
 * Claims up to `limit` due deliveries (SKIP LOCKED: replicas never claim one twice) by moving their
 * `next_attempt_at` `leaseSeconds` ahead: the caller commits at once and POSTs outside any transaction;
 * a sender that dies mid-POST leaves the delivery due again when the lease runs out. The partner's
 * current URL and secret are used, so a fixed URL or a rotated secret applies to pending deliveries.
 */
export async function claimDueDeliveries(
  em: EntityManager,
  limit: number,
  leaseSeconds: number,
): Promise<ClaimedDelivery[]> {
  return em.execute<ClaimedDelivery[]>(
    `update intake.partner_webhook_delivery d
        set next_attempt_at = now() + make_interval(secs => ?)
       from (select id from intake.partner_webhook_delivery
              where status = 'pending' and next_attempt_at <= now()
              order by next_attempt_at
              limit ? for update skip locked) due,
            intake.partner p
      where d.id = due.id and p.id = d.partner_id
      returning d.id, d.body, p.webhook_url as url, p.webhook_secret as secret`,
    [leaseSeconds, limit],
  );
}

/** What one attempt came to: the partner's HTTP status, or why there was none. */
export interface AttemptResult {
  id: string;
  url: string | null;
  delivered: boolean;
  statusCode: number | null;
  error: string | null;
}

/** Records an attempt: delivered, due again after the back-off, or failed once the attempts run out. */
export async function recordAttempt(em: EntityManager, result: AttemptResult): Promise<void> {
  const [row] = await em.execute<{ attempts: number; status: DeliveryStatus }[]>(
    'select attempts, status from intake.partner_webhook_delivery where id = ? for update',
    [result.id],
  );
  if (!row || row.status !== 'pending') return;
  const attempts = row.attempts + 1;
  const delay = result.delivered ? null : retryDelaySeconds(attempts);
  const status: DeliveryStatus = result.delivered ? 'delivered' : delay === null ? 'failed' : 'pending';
  await em.execute(
    `update intake.partner_webhook_delivery
        set attempts = ?, status = ?, last_status_code = ?, last_error = ?, url = coalesce(?, url),
            next_attempt_at = case when ?::int is null then null else now() + make_interval(secs => ?::int) end,
            delivered_at = case when ? then now() else delivered_at end
      where id = ?`,
    [
      attempts,
      status,
      result.statusCode,
      result.error,
      result.url,
      delay,
      delay,
      result.delivered,
      result.id,
    ],
  );
}

/** An operator's "send it again now": due at once (one more try; the back-off resumes where it was). */
export async function makeDueNow(
  em: EntityManager,
  partnerId: string,
  id: string,
): Promise<DeliveryRow | null> {
  const [row] = await em.execute<DeliveryRow[]>(
    `update intake.partner_webhook_delivery
        set status = 'pending', next_attempt_at = now()
      where id = ? and partner_id = ?
      returning ${DELIVERY_COLUMNS}`,
    [id, partnerId],
  );
  return row ?? null;
}

/** A page of a partner's deliveries, newest first, one more than asked. */
export async function listDeliveries(
  em: EntityManager,
  partnerId: string,
  status: DeliveryStatus | undefined,
  after: { createdAt: string; id: string } | undefined,
  limit: number,
): Promise<DeliveryRow[]> {
  const conditions = ['partner_id = ?'];
  const params: unknown[] = [partnerId];
  if (status !== undefined) {
    conditions.push('status = ?');
    params.push(status);
  }
  if (after !== undefined) {
    conditions.push('(created_at, id) < (?::timestamptz, ?::uuid)');
    params.push(after.createdAt, after.id);
  }
  return em.execute<DeliveryRow[]>(
    `select ${DELIVERY_COLUMNS} from intake.partner_webhook_delivery where ${conditions.join(' and ')}
      order by created_at desc, id desc limit ?`,
    [...params, limit + 1],
  );
}
