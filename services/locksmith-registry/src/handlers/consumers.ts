import { CONSUMERS, dispatch, leads, messaging, registry } from '@trades/contracts';
import { on, type ConsumerBinding, type EntityManager, type ServiceContext } from '@trades/runtime';
import { factFromEvent } from '../domain/job-facts.ts';
import { findProvider, updateProvider } from '../providers.ts';
import { applyJobFact, recordOfferClosed, recordOfferSent } from '../store/engagements.ts';

/**
 * The job events that can say who is on a job. CREATED and OFFERED add nothing: nobody is on a job in
 * either, and the state machine reaches OFFERED only from DISPATCHING, whose event says as much.
 */
const JOB_STATES_KEPT: dispatch.JobState[] = [
  'DISPATCHING',
  'ASSIGNED',
  'EN_ROUTE',
  'COMPLETED',
  'CANCELED',
  'FAILED',
];

/**
 * Dispatch's facts kept as provider state: the offer log behind the stats and the pending-offer flag
 * (from offer.sent / offer.closed, and a lead's lead.offer_sent / lead.offer_closed), and each job's latest known state behind the busy flag (from the
 * job events). No order is assumed, within a job or across replicas: an event that failed comes back after
 * the ones behind it, and replicas handle events side by side. So nothing here is "last write wins": an offer's first outcome stands and a late
 * "sent" does not reopen it; a job event replaces what is kept of its job only when its `at` is newer;
 * and the flags are recomputed from those rows (`store/engagements.ts`), never set by the event itself.
 * The periodic reconciliation with dispatch (`handlers/reconciliation.ts`) repairs what a lost event
 * would leave wrong.
 */
export function dispatchConsumer(): ConsumerBinding {
  return {
    definition: CONSUMERS.registryDispatch,
    handlers: [
      on(dispatch.OfferSent, async (offer, { em }) => {
        await recordOfferSent(em, offer);
      }),
      on(dispatch.OfferClosed, async (offer, { em }) => {
        const { status } = offer;
        // A closing always carries how the offer ended; a PENDING here would reopen a closed offer.
        if (status === 'PENDING') return;
        await recordOfferClosed(em, { ...offer, status });
      }),
      // A plumber holding a lead offer is held like a locksmith holding a job offer.
      on(leads.LeadOfferSent, async (offer, { em }) => {
        await recordOfferSent(em, { ...offer, jobId: null });
      }),
      on(leads.LeadOfferClosed, async (offer, { em }) => {
        const { status } = offer;
        if (status === 'PENDING') return;
        await recordOfferClosed(em, { ...offer, jobId: null, status });
      }),
      ...JOB_STATES_KEPT.map((state) =>
        on(dispatch.JOB_EVENT_BY_STATE[state], async (job, { em }) => {
          await applyJobFact(em, factFromEvent(job));
        }),
      ),
    ],
  };
}

/** AVAILABLE / UNAVAILABLE / STOP / START from a provider's phone, as parsed by messaging. */
export function smsConsumer(ctx: ServiceContext<unknown>): ConsumerBinding {
  return {
    definition: CONSUMERS.registrySms,
    handlers: [
      on(messaging.SmsReceived, async (sms, { em }) => {
        if (!sms.providerId) return;
        const provider = await findProvider(em, sms.providerId, { lock: true });
        if (!provider) return;
        const actor = `provider:${provider.id}`;
        const { kind } = sms.command;

        if (kind === 'AVAILABLE' || kind === 'UNAVAILABLE') {
          const available = kind === 'AVAILABLE';
          if (provider.available === available) {
            // Nothing changes, but the provider still deserves the confirmation they asked for.
            await ctx.publish(em, registry.ProviderAvailabilityChanged, {
              providerId: provider.id,
              phone: provider.phone,
              available,
              cause: 'sms',
            });
            return;
          }
          await updateProvider(em, provider.id, { available });
          await ctx.publish(em, registry.ProviderAvailabilityChanged, {
            providerId: provider.id,
            phone: provider.phone,
            available,
            cause: 'sms',
          });
          await publishUpdated(ctx, em, provider.id, actor);
          return;
        }
        if (kind === 'STOP') {
          if (provider.status === 'deactivated') return;
          await updateProvider(em, provider.id, { status: 'deactivated', deactivatedBySms: true });
          await ctx.publish(em, registry.ProviderDeactivated, {
            providerId: provider.id,
            phone: provider.phone,
            cause: 'sms',
          });
          await publishUpdated(ctx, em, provider.id, actor);
          return;
        }
        if (kind === 'START') {
          // Only undo what STOP did: a provider an operator deactivated stays deactivated.
          const [row] = await em.execute<{ deactivated_by_sms: boolean }[]>(
            'select deactivated_by_sms from registry.provider where id = ?',
            [provider.id],
          );
          if (provider.status !== 'deactivated' || !row?.deactivated_by_sms) return;
          await updateProvider(em, provider.id, { status: 'active', deactivatedBySms: false });
          await publishUpdated(ctx, em, provider.id, actor);
        }
      }),
    ],
  };
}

async function publishUpdated(
  ctx: ServiceContext<unknown>,
  em: EntityManager,
  id: string,
  actor: string,
): Promise<void> {
  const provider = await findProvider(em, id);
  if (provider) await ctx.publish(em, registry.ProviderUpdated, { provider, actor });
}
