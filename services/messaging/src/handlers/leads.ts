import { leads, type EventData } from '@trades/contracts';
import { on, type EntityManager, type EventHandlerBinding } from '@trades/runtime';
import { homeownerConfirmation } from '../domain/homeowner.ts';
import { capTemplates, leadTemplates, minutesUntil, type SoldLead } from '../domain/templates.ts';
import { queueEmail } from '../email/queue.ts';
import { withdrawPending } from '../store/messages.ts';
import { text, type OutboundContext } from './outbound.ts';

/** Where the offer email's accept link points: the customer UI's accept page. */
export const acceptUrl = (frontendUrl: string, acceptToken: string): string =>
  `${frontendUrl.replace(/\/+$/, '')}/lead-offer/${encodeURIComponent(acceptToken)}`;

/** Where the sale email's credit link points: the customer UI's credit page for the buyer's signed token. */
export const creditUrl = (frontendUrl: string, creditToken: string): string =>
  `${frontendUrl.replace(/\/+$/, '')}/lead-credit/${encodeURIComponent(creditToken)}`;

const offerPurpose = (offerId: string): string => `lead-offer:${offerId}`;
const offerEmailPurpose = (offerId: string): string => `lead-offer-email:${offerId}`;

/**
 * A plumber hears once that a lead was sold to someone else: from their offer closing ('lead sold'), or in
 * answer to a YES that came too late (`lead.reply_rejected`, `lead_sold`), whichever arrives first.
 */
const soldPurpose = (leadId: string, providerId: string): string => `lead-sold:${leadId}:${providerId}`;

/** An offer closed because the buyer's card did not go through (dispatch's reason starts so). */
const CARD_FAILED = /^card /;

function soldLead(sale: EventData<typeof leads.LeadAssigned>, frontendUrl: string): SoldLead | null {
  if (!sale.buyer) return null;
  return {
    leadCode: sale.leadCode,
    serviceName: sale.serviceName,
    urgency: sale.urgency,
    zipCode: sale.zipCode,
    priceCents: sale.priceCents,
    homeowner: sale.homeowner,
    description: sale.description,
    buyer: sale.buyer,
    creditUrl: sale.creditToken ? creditUrl(frontendUrl, sale.creditToken) : null,
  };
}

/**
 * The lead sale's messages, on messaging's dispatch consumer (`CONSUMERS.messagingOffers`): the offer by SMS
 * and email (with the accept link), what became of it, the sold lead's contact details to its buyer and the
 * buyer's name to the homeowner. Each message has its own purpose key, so a redelivered event sends nothing.
 * The homeowner's name, phone, email and description go only into the buyer's messages after the sale.
 */
export function leadHandlers(out: OutboundContext, frontendUrl: string): EventHandlerBinding[] {
  /**
   * An offer that closed before its SMS left was never seen: its SMS is withdrawn and the plumber is told
   * nothing. Its email, if still waiting, is withdrawn either way: the accept link would only say "closed".
   */
  const closedBeforeSent = async (em: EntityManager, offerId: string): Promise<boolean> => {
    const smsWithdrawn = await withdrawPending(em, offerPurpose(offerId));
    await withdrawPending(em, offerEmailPurpose(offerId));
    return smsWithdrawn;
  };

  return [
    on(leads.LeadOfferSent, async (offer, { em }) => {
      const details = {
        leadCode: offer.leadCode,
        serviceName: offer.serviceName,
        urgency: offer.urgency,
        zipCode: offer.zipCode,
        priceCents: offer.priceCents,
        distanceKm: offer.distanceKm,
        expiresInMinutes: minutesUntil(offer.expiresAt),
      };
      const ids = { leadId: offer.leadId, providerId: offer.providerId };
      await text(out, em, {
        to: offer.providerPhone,
        body: leadTemplates.offer(details),
        purpose: offerPurpose(offer.offerId),
        offerId: offer.offerId,
        ...ids,
      });
      await queueEmail(em, {
        to: offer.providerEmail,
        ...leadTemplates.offerEmail({ ...details, acceptUrl: acceptUrl(frontendUrl, offer.acceptToken) }),
        purpose: offerEmailPurpose(offer.offerId),
        ...ids,
      });
    }),

    on(leads.LeadOfferClosed, async (offer, { em, log }) => {
      if (await closedBeforeSent(em, offer.offerId)) {
        log.info(
          { offerId: offer.offerId, status: offer.status },
          'lead offer closed before its SMS was sent; withdrawn',
        );
        return;
      }
      const ids = { leadId: offer.leadId, providerId: offer.providerId };
      const closing = { to: offer.providerPhone, purpose: `lead-offer-closed:${offer.offerId}`, ...ids };
      if (offer.status === 'CANCELED' && offer.reason === 'lead sold') {
        await text(out, em, {
          ...closing,
          body: offer.inLine
            ? leadTemplates.soldAheadOfYou(offer.leadCode)
            : leadTemplates.soldToAnother(offer.leadCode),
          purpose: soldPurpose(offer.leadId, offer.providerId),
        });
      } else if (offer.status === 'EXPIRED') {
        await text(out, em, { ...closing, body: leadTemplates.offerExpired(offer.leadCode) });
      } else if (offer.status === 'DECLINED') {
        await text(out, em, { ...closing, body: leadTemplates.offerDeclined(offer.leadCode) });
      } else if (offer.status === 'FAILED' && CARD_FAILED.test(offer.reason)) {
        await text(out, em, { ...closing, body: leadTemplates.cardFailed(offer.leadCode) });
      }
      // ACCEPTED: lead.assigned brings the contact details; other endings have nothing to tell.
    }),

    on(leads.LeadOfferQueued, async (queued, { em }) => {
      await text(out, em, {
        to: queued.providerPhone,
        body: leadTemplates.nextInLine(queued.leadCode, queued.position),
        purpose: `lead-queued:${queued.offerId}`,
        leadId: queued.leadId,
        providerId: queued.providerId,
      });
    }),

    on(leads.LeadReplyRejected, async (rejected, { em, event }) => {
      // A YES through the accept link is answered on the page itself.
      if (rejected.channel !== 'sms') return;
      const sold = rejected.reason === 'lead_sold' && rejected.leadId !== null;
      await text(out, em, {
        to: rejected.providerPhone,
        body: leadTemplates.replyRejected(rejected.reason, rejected.leadCode),
        purpose:
          sold && rejected.leadId
            ? soldPurpose(rejected.leadId, rejected.providerId)
            : `lead-reply-rejected:${event.id}`,
        leadId: rejected.leadId,
        providerId: rejected.providerId,
      });
    }),

    on(leads.LeadAssigned, async (sale, { em, log }) => {
      const lead = soldLead(sale, frontendUrl);
      if (!lead || !sale.buyer) {
        log.warn({ leadId: sale.leadId }, 'lead assigned without a buyer; nothing to send');
        return;
      }
      const buyer = sale.buyer;
      const sold = `${sale.leadId}:${buyer.id}`;
      await text(out, em, {
        to: buyer.phone,
        body: leadTemplates.bought(lead),
        purpose: `lead-bought:${sold}`,
        leadId: sale.leadId,
        providerId: buyer.id,
      });
      await queueEmail(em, {
        to: buyer.email,
        ...leadTemplates.boughtEmail(lead),
        purpose: `lead-bought-email:${sold}`,
        leadId: sale.leadId,
        providerId: buyer.id,
      });
      await queueEmail(em, {
        to: sale.homeowner.email,
        ...leadTemplates.homeownerEmail(lead),
        purpose: `lead-homeowner-email:${sale.leadId}`,
        leadId: sale.leadId,
      });
      await text(out, em, {
        to: sale.homeowner.phone,
        body: leadTemplates.homeowner(lead),
        purpose: homeownerConfirmation(sale.leadId),
        leadId: sale.leadId,
      });
    }),

    on(leads.LeadCompleted, async (sale, { em }) => {
      if (!sale.buyer) return;
      await text(out, em, {
        to: sale.buyer.phone,
        body: leadTemplates.completed(sale.leadCode),
        purpose: `lead-completed:${sale.leadId}`,
        leadId: sale.leadId,
        providerId: sale.buyer.id,
      });
    }),

    // Dispatch publishes it once per cap window; the key makes a redelivery a no-op as well.
    on(leads.PlumberCapReached, async (cap, { em }) => {
      await text(out, em, {
        to: cap.providerPhone,
        body: capTemplates.reached(cap),
        purpose: `lead-cap:${cap.providerId}:${cap.cap}:${cap.resetsAt}`,
        providerId: cap.providerId,
      });
    }),
  ];
}
