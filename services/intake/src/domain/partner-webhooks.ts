import type { intake, partners } from '@trades/contracts';
import { refusedHost, type WebhookTargetPolicy } from './webhook-targets.ts';

/**
 * When a failed delivery is tried again, by the attempts made so far: 10 s, 1 min, 5 min, 30 min, 2 h,
 * then every 5 h. The tenth failure (about 23 h after the first try) gives up.
 */
const RETRY_DELAYS_SECONDS = [10, 60, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 5 * 3600, 5 * 3600, 5 * 3600];
export const MAX_DELIVERY_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;

/** Seconds until the next try after `attempts` failed ones; null: give up (the delivery fails). */
export function retryDelaySeconds(attempts: number): number | null {
  if (attempts < 1 || attempts >= MAX_DELIVERY_ATTEMPTS) return null;
  return RETRY_DELAYS_SECONDS[attempts - 1] ?? null;
}

/** A 2xx is the partner's receipt; anything else (or no answer) is tried again. */
export const isDelivered = (status: number): boolean => status >= 200 && status < 300;

const TYPE_OF: Record<partners.WebhookOutcome, partners.PartnerWebhookBody['type']> = {
  accepted: 'lead.accepted',
  sold: 'lead.sold',
  unsold: 'lead.unsold',
  credited: 'lead.credited',
};

/** The lead as the webhook shows it. */
export interface WebhookLead {
  leadId: string;
  externalId: string | null;
  status: intake.LeadStatus;
  priceCents: number;
  creditedCents: number;
}

export function webhookBody(
  deliveryId: string,
  outcome: partners.WebhookOutcome,
  lead: WebhookLead,
  createdAt: Date,
): partners.PartnerWebhookBody {
  return { id: deliveryId, type: TYPE_OF[outcome], createdAt: createdAt.toISOString(), data: { ...lead } };
}

/**
 * A webhook URL an operator may register: absolute http(s), no credentials in it, and a host the policy
 * lets us post to (never link-local or metadata; see webhook-targets.ts). Null when it is not.
 */
export function normaliseWebhookUrl(value: string, policy: WebhookTargetPolicy): string | null {
  const trimmed = value.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || !url.hostname) return null;
  if (refusedHost(url.hostname, policy) !== null) return null;
  return url.toString();
}

/** The reason a refused submission is counted under, from the error intake answered with. */
export function rejectionReason(status: number, code: string): 'invalid' | 'duplicate' | 'not_served' | null {
  if (status === 400 && code === 'VALIDATION_FAILED') return 'invalid';
  if (status === 409 && code === 'DUPLICATE_LEAD') return 'duplicate';
  if (status === 422 && code === 'NOT_SERVED') return 'not_served';
  return null;
}
