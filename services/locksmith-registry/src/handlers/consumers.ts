import { CONSUMERS, dispatch, leads, messaging, registry } from '@trades/contracts';
import { on, type ConsumerBinding, type EntityManager, type ServiceContext } from '@trades/runtime';
import { findProvider, updateProvider } from '../providers.ts';

/** Job states in which the assigned locksmith is no longer on the job. */
const RELEASING_STATES = [
  dispatch.JobCompleted,
  dispatch.JobCanceled,
  dispatch.JobFailed,
  dispatch.JobDispatching,
];

async function releaseLocksmith(em: EntityManager, jobId: string): Promise<void> {
  await em.execute(
    'update registry.provider set busy_job_id = null, updated_at = now() where busy_job_id = ?',
    [jobId],
  );
}

interface OfferFacts {
  offerId: string;
  providerId: string;
  jobId: string | null;
  leadId: string | null;
}

/** An offer went out (a job's or a lead's): it goes in the provider's log and holds them. */
async function offerSent(em: EntityManager, offer: OfferFacts): Promise<void> {
  const known = await em.execute<{ id: string }[]>('select id from registry.provider where id = ?', [
    offer.providerId,
  ]);
  if (known.length === 0) return;
  const inserted = await em.execute<{ offer_id: string }[]>(
    `insert into registry.provider_offer (offer_id, provider_id, job_id, lead_id) values (?, ?, ?, ?)
     on conflict (offer_id) do nothing returning offer_id`,
    [offer.offerId, offer.providerId, offer.jobId, offer.leadId],
  );
  if (inserted.length === 0) return;
  await em.execute('update registry.provider set pending_offer_id = ?, updated_at = now() where id = ?', [
    offer.offerId,
    offer.providerId,
  ]);
}

/** An offer ended: its log row says how, and the provider is free of it. */
async function offerClosed(
  em: EntityManager,
  offer: OfferFacts & { status: string; responseSeconds: number | null },
): Promise<void> {
  const known = await em.execute<{ id: string }[]>('select id from registry.provider where id = ?', [
    offer.providerId,
  ]);
  if (known.length === 0) return;
  await em.execute(
    `insert into registry.provider_offer (offer_id, provider_id, job_id, lead_id, status, response_seconds, closed_at)
     values (?, ?, ?, ?, ?, ?, now())
     on conflict (offer_id) do update
       set status = excluded.status, response_seconds = excluded.response_seconds, closed_at = excluded.closed_at
       where provider_offer.status = 'PENDING'`,
    [offer.offerId, offer.providerId, offer.jobId, offer.leadId, offer.status, offer.responseSeconds],
  );
  await em.execute(
    'update registry.provider set pending_offer_id = null, updated_at = now() where id = ? and pending_offer_id = ?',
    [offer.providerId, offer.offerId],
  );
}

/**
 * Dispatch's facts kept as provider state: the pending-offer flag and the offer log behind the stats
 * (from offer.sent / offer.closed, and a lead's lead.offer_sent / lead.offer_closed: a plumber holding
 * a lead offer is held like a locksmith holding a job offer), and the busy flag (from job state
 * changes). Inbox idempotency: a redelivered event is skipped, and the conditional updates make a
 * reordered one harmless.
 */
export function dispatchConsumer(): ConsumerBinding {
  return {
    definition: CONSUMERS.registryDispatch,
    handlers: [
      on(dispatch.OfferSent, (offer, { em }) => offerSent(em, { ...offer, leadId: null })),
      on(dispatch.OfferClosed, (offer, { em }) => offerClosed(em, { ...offer, leadId: null })),
      on(leads.LeadOfferSent, (offer, { em }) => offerSent(em, { ...offer, jobId: null })),
      on(leads.LeadOfferClosed, (offer, { em }) => offerClosed(em, { ...offer, jobId: null })),
      on(dispatch.JobAssigned, async (job, { em }) => {
        if (!job.locksmith) return;
        await em.execute('update registry.provider set busy_job_id = ?, updated_at = now() where id = ?', [
          job.jobId,
          job.locksmith.id,
        ]);
      }),
      ...RELEASING_STATES.map((contract) =>
        on(contract, async (job, { em }) => releaseLocksmith(em, job.jobId)),
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
