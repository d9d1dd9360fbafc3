import { messaging } from '@trades/contracts';
import type { EntityManager, ServiceContext } from '@trades/runtime';
import { queueOutbound, type Outbound } from '../store/messages.ts';

/** Twilio's error for a message to a number that texted STOP. */
const TWILIO_UNSUBSCRIBED = '21610';

export interface OutboundContext {
  ctx: ServiceContext<unknown>;
  /** The platform's sending number. */
  from: string;
  /**
   * The transactions (by entity manager) that queued an SMS for the sender: only their commits kick
   * it, so an event that queues nothing costs the sender no claim.
   */
  queuedIn: WeakSet<EntityManager>;
}

/**
 * Queues one SMS per purpose. An offer texted to a number that opted out is logged `suppressed` and
 * reported to dispatch at once as failed with Twilio's own code for it (21610, "recipient unsubscribed"),
 * so the offer closes as a non-response instead of waiting out its expiry.
 */
export async function text(out: OutboundContext, em: EntityManager, message: Outbound): Promise<void> {
  const queued = await queueOutbound(em, out.from, message);
  if (queued?.status === 'pending') out.queuedIn.add(em);
  if (queued?.status === 'suppressed' && message.offerId) {
    await out.ctx.publish(em, messaging.SmsStatusChanged, {
      messageSid: `local:${queued.id}`,
      to: message.to,
      status: 'failed',
      errorCode: TWILIO_UNSUBSCRIBED,
      purpose: message.purpose,
      offerId: message.offerId,
      jobId: message.jobId ?? null,
    });
  }
}
