import { credits, messaging } from '@trades/contracts';
import { type EntityManager, type ServiceContext } from '@trades/runtime';
import { unreachableHomeowner } from '../domain/homeowner.ts';
import type { StatusChange } from '../store/messages.ts';

/**
 * An SMS that ended `failed` or `undelivered`, however we learned it (Twilio refused the send, or a status
 * callback said so): published for dispatch (a failed offer is a non-response), and when it was a sale's
 * confirmation to the homeowner and Twilio's code says the number is dead, `HomeownerUnreachable` for the
 * lead's automatic credit checks. A message reaches a final status once, so each is published once.
 */
export async function reportDeliveryFailure(
  ctx: ServiceContext<unknown>,
  em: EntityManager,
  change: StatusChange,
): Promise<void> {
  await ctx.publish(em, messaging.SmsStatusChanged, {
    messageSid: change.sid,
    to: change.to,
    status: change.status,
    errorCode: change.errorCode,
    purpose: change.purpose,
    offerId: change.offerId,
    jobId: change.jobId,
  });
  const dead = unreachableHomeowner(change);
  if (!dead) return;
  await ctx.publish(em, credits.HomeownerUnreachable, {
    leadId: dead.leadId,
    messageSid: change.sid,
    status: dead.status,
    errorCode: dead.errorCode,
    at: new Date().toISOString(),
  });
  ctx.log.info(
    { leadId: dead.leadId, sid: change.sid, status: dead.status, errorCode: dead.errorCode },
    "the homeowner's confirmation SMS could not be delivered: their number is dead",
  );
}
