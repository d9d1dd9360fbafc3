import { CONSUMERS, intake, leads, notFound, payments } from '@trades/contracts';
import {
  endpoint,
  on,
  type ConsumerBinding,
  type EndpointBinding,
  type EntityManager,
} from '@trades/runtime';
import type { DispatchContext } from '../config.ts';
import { leadDetail } from '../store/leads.ts';
import { creditConsumers, creditEndpoints, creditRefundHandlers } from './lead-credits.ts';
import { iso, type LeadRow, type OfferRow } from '../store/rows.ts';
import {
  assignLead,
  completeLead,
  createLead,
  leadYes,
  offerIdOfToken,
  onChargeFailed,
  onChargeSucceeded,
} from './leads.ts';

/** The offer an accept link names, with its lead; 404 when it is not a lead offer. */
async function linkedOffer(em: EntityManager, offerId: string): Promise<{ offer: OfferRow; lead: LeadRow }> {
  const [offer] = await em.execute<OfferRow[]>(
    'select * from dispatch.offer where id = ? and lead_id is not null',
    [offerId],
  );
  const [lead] = offer
    ? await em.execute<LeadRow[]>('select * from dispatch.lead where id = ?', [offer.lead_id])
    : [];
  if (!offer || !lead) {
    throw notFound(
      'LEAD_OFFER_NOT_FOUND',
      'This link does not open a lead offer. Open the whole link from your email, or reply to the text instead.',
    );
  }
  return { offer, lead };
}

/** svc.dispatch.lead.*: get, assign (sell now), complete, the accept link's get and accept; the credits'. */
export function leadEndpoints(ctx: DispatchContext): EndpointBinding[] {
  const read = <T>(work: (em: EntityManager) => Promise<T>): Promise<T> => work(ctx.orm.em.fork());
  return [
    endpoint(leads.LeadGet, ({ id }) => read((em) => leadDetail(em, id))),
    endpoint(leads.LeadAssign, async (request) => {
      await assignLead(ctx, request);
      return read((em) => leadDetail(em, request.id));
    }),
    endpoint(leads.LeadComplete, async ({ id, actor }) => {
      await completeLead(ctx, id, actor);
      return read((em) => leadDetail(em, id));
    }),
    endpoint(leads.LeadOfferGet, ({ token }) =>
      read(async (em) => {
        const { offer, lead } = await linkedOffer(em, offerIdOfToken(ctx, token));
        return {
          offerId: offer.id,
          leadCode: lead.code,
          serviceName: lead.service_name,
          urgency: lead.urgency,
          zipCode: lead.zip,
          priceCents: lead.price_cents,
          expiresAt: iso(offer.expires_at),
          status: offer.status,
          open: offer.status === 'PENDING' && (lead.state === 'OFFERED' || lead.state === 'CHARGING'),
          plumber: { firstName: offer.provider_name.split(' ')[0] ?? offer.provider_name },
        };
      }),
    ),
    endpoint(leads.LeadOfferAccept, async ({ token }) => {
      const offerId = offerIdOfToken(ctx, token);
      const { offer } = await read((em) => linkedOffer(em, offerId));
      return ctx.transaction((em) =>
        leadYes(ctx, em, {
          providerId: offer.provider_id,
          providerPhone: offer.provider_phone,
          channel: 'link',
          offerId,
        }),
      );
    }),
    // Credits of sold leads (handlers/lead-credits.ts).
    ...creditEndpoints(ctx),
  ];
}

/**
 * Accepted leads → for sale; the charge's result → sold, or the next in line; a credit's refund → credited;
 * the homeowner's NO or dead number → facts for the credit checks.
 */
export function leadConsumers(ctx: DispatchContext): ConsumerBinding[] {
  return [
    {
      definition: CONSUMERS.dispatchLeads,
      concurrency: 4,
      handlers: [
        on(intake.LeadAccepted, async (accepted, { em }) => {
          await createLead(ctx, em, accepted);
        }),
      ],
    },
    {
      definition: CONSUMERS.dispatchLeadCharges,
      concurrency: 4,
      handlers: [
        on(payments.LeadChargeSucceeded, (charge, { em }) => onChargeSucceeded(ctx, em, charge)),
        on(payments.LeadChargeFailed, (charge, { em }) => onChargeFailed(ctx, em, charge)),
        ...creditRefundHandlers(ctx),
      ],
    },
    ...creditConsumers(ctx),
  ];
}
