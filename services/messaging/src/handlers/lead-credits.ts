import { credits } from '@trades/contracts';
import { on, type EventHandlerBinding } from '@trades/runtime';
import { creditTemplates } from '../domain/templates.ts';
import { queueEmail } from '../email/queue.ts';
import { text, type OutboundContext } from './outbound.ts';

/**
 * What a plumber hears about a credit they asked for, on messaging's dispatch consumer: one message per
 * outcome, each under its own purpose key (a redelivered event sends nothing). An approval says nothing
 * by itself: the refund follows within seconds and "credited" is the news. A request waiting for an
 * operator is acknowledged; a refund and a denial come by SMS and email; a request dispatch could not
 * take is answered with dispatch's own sentence.
 */
export function leadCreditHandlers(out: OutboundContext): EventHandlerBinding[] {
  return [
    on(credits.CreditRequested, async ({ credit }, { em }) => {
      // Only what the plumber asked for themselves; an operator's credit or one the homeowner's NO
      // started is news when it is refunded.
      if (credit.status !== 'review' || (credit.channel !== 'sms' && credit.channel !== 'email')) return;
      await text(out, em, {
        to: credit.plumberPhone,
        body: creditTemplates.received(credit),
        purpose: `lead-credit-received:${credit.id}`,
        leadId: credit.leadId,
        providerId: credit.plumberId,
      });
    }),

    on(credits.CreditRefunded, async ({ credit, leadCreditedCents }, { em }) => {
      const ids = { leadId: credit.leadId, providerId: credit.plumberId };
      await text(out, em, {
        to: credit.plumberPhone,
        body: creditTemplates.refunded(credit),
        purpose: `lead-credit-refunded:${credit.id}`,
        ...ids,
      });
      if (credit.plumberEmail)
        await queueEmail(em, {
          to: credit.plumberEmail,
          ...creditTemplates.refundedEmail(credit, leadCreditedCents),
          purpose: `lead-credit-refunded-email:${credit.id}`,
          ...ids,
        });
    }),

    on(credits.CreditDenied, async ({ credit }, { em }) => {
      const ids = { leadId: credit.leadId, providerId: credit.plumberId };
      await text(out, em, {
        to: credit.plumberPhone,
        body: creditTemplates.denied(credit),
        purpose: `lead-credit-denied:${credit.id}`,
        ...ids,
      });
      if (credit.plumberEmail)
        await queueEmail(em, {
          to: credit.plumberEmail,
          ...creditTemplates.deniedEmail(credit),
          purpose: `lead-credit-denied-email:${credit.id}`,
          ...ids,
        });
    }),

    // No credit exists to key it by: the event's id is the key (dispatch's outbox re-sends with the same id).
    on(credits.CreditRequestRejected, async (rejected, { em, event }) => {
      await text(out, em, {
        to: rejected.providerPhone,
        body: rejected.message,
        purpose: `lead-credit-rejected:${event.id}`,
        providerId: rejected.providerId,
      });
    }),
  ];
}
