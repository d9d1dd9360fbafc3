import { CONSUMERS, dispatch, payments, registry, type EventData } from '@trades/contracts';
import { on, type ConsumerBinding } from '@trades/runtime';
import { emails, minutesUntil, templates } from '../domain/templates.ts';
import { queueEmail } from '../email/queue.ts';
import {
  latestAvailabilityCommand,
  latestCommandAbout,
  queuedAt,
  withdrawPending,
} from '../store/messages.ts';
import { leadCreditHandlers } from './lead-credits.ts';
import { leadHandlers } from './leads.ts';
import { text, type OutboundContext } from './outbound.ts';

export type { OutboundContext } from './outbound.ts';

/**
 * A locksmith hears that a job was taken once: from their offer closing, or in answer to the YES that
 * lost the race, whichever messaging handles first (the two events can arrive in either order). One
 * purpose key for both makes the second a no-op, in a race too (the unique index orders the inserts).
 */
const takenPurpose = (jobId: string, providerId: string): string => `taken:${jobId}:${providerId}`;

/**
 * Whether a YES rejected as taken crossed the "taken" notice (the locksmith could not have seen it
 * when they replied), so the notice is their answer; a YES sent after they were told gets its own. An
 * event without the reply's time (from before it carried one) counts a notice of the last minute.
 */
function crossedNotice(noticeQueuedAt: Date | undefined, replyReceivedAt: string | undefined): boolean {
  if (noticeQueuedAt === undefined) return true;
  if (replyReceivedAt === undefined) return Date.now() - noticeQueuedAt.getTime() < 60_000;
  return noticeQueuedAt.getTime() >= Date.parse(replyReceivedAt);
}

/** What a locksmith is told when their offer closes: taken, expired, their NO confirmed; else nothing. */
function closingText(offer: EventData<typeof dispatch.OfferClosed>, taken: boolean): string | null {
  if (taken) return templates.jobTaken(offer.jobCode);
  if (offer.status === 'EXPIRED') return templates.offerExpired(offer.jobCode);
  if (offer.status === 'DECLINED') return templates.offerDeclined(offer.jobCode);
  return null;
}

function availabilityText(available: boolean, alias: string | undefined): string {
  if (available) return alias === 'RESUME' ? templates.resumed() : templates.nowAvailable();
  return alias === 'PAUSE' ? templates.paused() : templates.nowUnavailable();
}

const idOf = (data: unknown, field: 'offerId' | 'jobId' | 'leadId' | 'providerId'): string | undefined => {
  const value =
    typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' ? value : undefined;
};

/** A credit event's lead (`credit.leadId`): its request and its outcome come in order. */
const creditLeadOf = (data: unknown): string | undefined => {
  const credit = typeof data === 'object' && data !== null && 'credit' in data ? data.credit : undefined;
  return idOf(credit, 'leadId');
};

/**
 * Dispatch's facts, told to the people concerned: jobs here, the lead sale in `leads.ts`. Idempotent by
 * the message's purpose key (unique in the log), not by the inbox: a redelivered event finds its message
 * and sends nothing more. `frontendUrl` is where links in messages point (the lead offer's accept page).
 */
export function dispatchConsumer(out: OutboundContext, frontendUrl: string): ConsumerBinding {
  return {
    definition: CONSUMERS.messagingOffers,
    // Eight events at once (a wave's offers would queue behind each other otherwise), but an offer's
    // events in order (its text before the "job taken" that closes it), and a job's (the customer's
    // texts in turn). Keyed by the offer where there is one, so one wave's offers still run alongside;
    // a lead's own events (sold, completed) and its credits by the lead; a plumber's cap or a credit request
    // dispatch could not take by the plumber.
    concurrency: 8,
    orderKey: (_subject, data) =>
      idOf(data, 'offerId') ??
      idOf(data, 'jobId') ??
      idOf(data, 'leadId') ??
      creditLeadOf(data) ??
      idOf(data, 'providerId'),
    idempotency: 'handler',
    handlers: [
      on(dispatch.OfferSent, async (offer, { em }) => {
        await text(out, em, {
          to: offer.providerPhone,
          body: templates.offer({
            jobCode: offer.jobCode,
            serviceName: offer.serviceName,
            area: offer.area,
            distanceKm: offer.distanceKm,
            expiresInMinutes: minutesUntil(offer.expiresAt),
          }),
          purpose: `offer:${offer.offerId}`,
          offerId: offer.offerId,
          jobId: offer.jobId,
          providerId: offer.providerId,
        });
      }),
      on(dispatch.OfferClosed, async (offer, { em, log }) => {
        // The offer closed before its SMS left (the sender ran behind): the locksmith never saw it, so
        // it is withdrawn and they are told nothing.
        if (await withdrawPending(em, `offer:${offer.offerId}`)) {
          log.info(
            { offerId: offer.offerId, status: offer.status },
            'offer closed before its SMS was sent; SMS withdrawn',
          );
          return;
        }
        const taken = offer.status === 'CANCELED' && offer.reason === 'job taken';
        const body = closingText(offer, taken);
        if (!body) return;
        await text(out, em, {
          to: offer.providerPhone,
          body,
          purpose: taken ? takenPurpose(offer.jobId, offer.providerId) : `offer-closed:${offer.offerId}`,
          jobId: offer.jobId,
          providerId: offer.providerId,
        });
      }),
      on(dispatch.ReplyRejected, async (rejected, { em, event }) => {
        const { jobId } = rejected;
        const taken =
          rejected.reason === 'job_taken' && jobId ? takenPurpose(jobId, rejected.providerId) : undefined;
        await text(out, em, {
          to: rejected.providerPhone,
          body: templates.replyRejected(rejected.reason, rejected.jobCode, rejected.command),
          purpose:
            taken && crossedNotice(await queuedAt(em, taken), rejected.replyReceivedAt)
              ? taken
              : `reply-rejected:${event.id}`,
          jobId: jobId ?? null,
          providerId: rejected.providerId,
        });
      }),
      on(dispatch.JobAssigned, async (job, { em }) => {
        const { locksmith } = job;
        if (!locksmith) return;
        await text(out, em, {
          to: locksmith.phone,
          body: templates.jobAssignedToLocksmith({
            jobCode: job.jobCode,
            serviceName: job.serviceName,
            address: job.address.formatted,
            customerName: job.customer.name,
            customerPhone: job.customer.phone,
            notes: job.notes,
          }),
          purpose: `job-assigned:${job.jobId}:${locksmith.id}`,
          jobId: job.jobId,
          providerId: locksmith.id,
        });
        await text(out, em, {
          to: job.customer.phone,
          body: templates.customerLocksmithOnTheWay(locksmith.name, locksmith.etaMinutes),
          purpose: `customer-assigned:${job.jobId}:${locksmith.id}`,
          jobId: job.jobId,
        });
      }),
      on(dispatch.JobEnRoute, async (job, { em }) => {
        const { locksmith } = job;
        if (!locksmith) return;
        // DONE without OMW passes through EN_ROUTE on its way to COMPLETED: "on the way" is news
        // to nobody then, and job.completed tells both sides.
        if ((await latestCommandAbout(em, job.jobId, locksmith.phone)) === 'DONE') return;
        await text(out, em, {
          to: job.customer.phone,
          body: templates.customerLocksmithEnRoute(locksmith.name),
          purpose: `customer-en-route:${job.jobId}:${locksmith.id}`,
          jobId: job.jobId,
        });
        await text(out, em, {
          to: locksmith.phone,
          body: templates.enRouteConfirmed(job.jobCode, job.customer.name),
          purpose: `locksmith-en-route:${job.jobId}:${locksmith.id}`,
          jobId: job.jobId,
          providerId: locksmith.id,
        });
      }),
      on(dispatch.JobCompleted, async (job, { em }) => {
        await text(out, em, {
          to: job.customer.phone,
          body: templates.customerJobCompleted(),
          purpose: `customer-completed:${job.jobId}`,
          jobId: job.jobId,
        });
        if (job.locksmith)
          await text(out, em, {
            to: job.locksmith.phone,
            body: templates.completedConfirmed(job.jobCode),
            purpose: `locksmith-completed:${job.jobId}:${job.locksmith.id}`,
            jobId: job.jobId,
            providerId: job.locksmith.id,
          });
      }),
      on(dispatch.JobFailed, async (job, { em }) => {
        await text(out, em, {
          to: job.customer.phone,
          body: templates.customerJobFailed(),
          purpose: `customer-failed:${job.jobId}`,
          jobId: job.jobId,
        });
      }),
      on(dispatch.JobCanceled, async (job, { em }) => {
        if (!job.locksmith) return;
        await text(out, em, {
          to: job.locksmith.phone,
          body: templates.jobCanceledForLocksmith(job.jobCode),
          purpose: `job-canceled:${job.jobId}:${job.locksmith.id}`,
          jobId: job.jobId,
          providerId: job.locksmith.id,
        });
      }),
      ...leadHandlers(out, frontendUrl),
      ...leadCreditHandlers(out),
    ],
  };
}

/**
 * Confirmations of what a provider asked for by SMS. STOP is confirmed in the webhook's own reply
 * (Twilio blocks every later message to a number that opted out), so deactivation sends nothing here.
 */
export function providersConsumer(out: OutboundContext): ConsumerBinding {
  return {
    definition: CONSUMERS.messagingProviders,
    idempotency: 'handler',
    handlers: [
      on(registry.ProviderAvailabilityChanged, async (change, { em, event }) => {
        if (change.cause !== 'sms') return;
        // Answered in the provider's own words: PAUSE is "paused", RESUME "resumed".
        const asked = await latestAvailabilityCommand(
          em,
          change.phone,
          change.available ? 'AVAILABLE' : 'UNAVAILABLE',
        );
        await text(out, em, {
          to: change.phone,
          body: availabilityText(change.available, asked?.alias),
          purpose: `availability:${event.id}`,
          providerId: change.providerId,
        });
      }),
    ],
  };
}

/** A plumber's link to save their card on file, by SMS and email (once per link: the event id is the purpose). */
export function paymentsConsumer(out: OutboundContext): ConsumerBinding {
  return {
    definition: CONSUMERS.messagingPayments,
    idempotency: 'handler',
    handlers: [
      on(payments.ProviderCardLinkCreated, async (link, { em, event }) => {
        await text(out, em, {
          to: link.phone,
          body: templates.cardLink(link.firstName, link.url),
          purpose: `card-link:${event.id}`,
          providerId: link.providerId,
        });
        await queueEmail(em, {
          to: link.email,
          ...emails.cardLink(link.firstName, link.url, link.expiresAt),
          purpose: `card-link-email:${event.id}`,
          providerId: link.providerId,
        });
      }),
    ],
  };
}
