import { partners } from '@trades/contracts';
import type { ServiceContext } from '@trades/runtime';
import { postWebhook } from '@trades/webhook-client';
import { isDelivered } from '../domain/partner-webhooks.ts';
import { signWebhook } from '../domain/webhook-signature.ts';
import { refusedAddress, type WebhookTargetPolicy } from '../domain/webhook-targets.ts';
import {
  claimDueDeliveries,
  recordAttempt,
  type AttemptResult,
  type ClaimedDelivery,
} from '../store/webhooks.ts';

/** A partner that has not answered in this long has not answered (the attempt is retried). */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** How long a claimed delivery is the claimer's: well beyond the POST's own timeout. */
const LEASE_SECONDS = 60;
/** Deliveries one claim takes (POSTed at once); rounds per tick, so a tick ends. */
const BATCH = 10;
const MAX_ROUNDS = 20;
/** What is kept of an error or of the partner's answer on a failure. */
const ERROR_MAX = 500;

const clip = (text: string): string => (text.length > ERROR_MAX ? `${text.slice(0, ERROR_MAX)}…` : text);

/** One POST, signed now with the partner's current secret; never rejects. */
async function attempt(delivery: ClaimedDelivery, policy: WebhookTargetPolicy): Promise<AttemptResult> {
  const base = { id: delivery.id, url: delivery.url };
  if (!delivery.url)
    return { ...base, delivered: false, statusCode: null, error: 'The partner has no webhook URL any more.' };
  if (!delivery.secret)
    return {
      ...base,
      delivered: false,
      statusCode: null,
      error:
        'The partner has no webhook signing secret: create one (POST /api/admin/partners/{id}/webhook-secret).',
    };
  try {
    const answer = await postWebhook(delivery.url, {
      headers: {
        'content-type': 'application/json',
        'user-agent': 'trades-webhooks/1',
        [partners.PARTNER_SIGNATURE_HEADER]: signWebhook(
          delivery.secret,
          delivery.body,
          Math.floor(Date.now() / 1000),
        ),
      },
      body: delivery.body,
      timeoutMs: WEBHOOK_TIMEOUT_MS,
      // Connect-time check too: a URL saved under another policy, or a name that resolves inside.
      refuseAddress: (address) => refusedAddress(address, policy),
    });
    const delivered = isDelivered(answer.status);
    return {
      ...base,
      delivered,
      statusCode: answer.status,
      error: delivered ? null : clip(answer.body.trim() || `HTTP ${answer.status}`),
    };
  } catch (error) {
    return {
      ...base,
      delivered: false,
      statusCode: null,
      error: clip(error instanceof Error ? error.message : String(error)),
    };
  }
}

/**
 * The webhook sender (a timer on every replica): claims due deliveries, POSTs them outside any
 * transaction, and records each answer (delivered, retried after the back-off, or failed).
 */
export async function sendDueWebhooks(
  ctx: ServiceContext<unknown>,
  policy: WebhookTargetPolicy,
): Promise<number> {
  let sent = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const claimed = await ctx.transaction((em) => claimDueDeliveries(em, BATCH, LEASE_SECONDS));
    if (claimed.length === 0) break;
    const results = await Promise.all(claimed.map((delivery) => attempt(delivery, policy)));
    await ctx.transaction(async (em) => {
      for (const result of results) await recordAttempt(em, result);
    });
    for (const result of results)
      if (!result.delivered)
        ctx.log.warn({ deliveryId: result.id, status: result.statusCode }, 'partner webhook not delivered');
    sent += claimed.length;
  }
  return sent;
}
