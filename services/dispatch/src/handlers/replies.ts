import { CONSUMERS, dispatch, leads, messaging, type EventData } from '@trades/contracts';
import { on, type ConsumerBinding, type EntityManager } from '@trades/runtime';
import type { DispatchContext } from '../config.ts';
import { CLOSE_REASON, decideYes, offerEnd } from '../domain/replies.ts';
import { lockJob, openJobOf } from '../store/jobs.ts';
import { lockProvider, pendingJobOfferOf, pendingOfferOf } from '../store/offers.ts';
import type { JobRow, OfferRow } from '../store/rows.ts';
import { handleCreditSms } from './lead-credits.ts';
import { leadDone, leadNo, leadOfferUndeliverable, leadYes } from './leads.ts';
import { afterOfferClosed, closeOffers, transition, tryTransition } from './lifecycle.ts';

/** Whether the provider's most recent offer was a lead's (a late YES from a plumber is about a lead). */
async function latestOfferIsLead(em: EntityManager, providerId: string): Promise<boolean> {
  const [latest] = await em.execute<{ lead: boolean }[]>(
    'select lead_id is not null as lead from dispatch.offer where provider_id = ? order by sent_at desc limit 1',
    [providerId],
  );
  return latest?.lead ?? false;
}

type SmsReceived = EventData<typeof messaging.SmsReceived>;
type RejectReason = EventData<typeof dispatch.ReplyRejected>['reason'];

async function reject(
  ctx: DispatchContext,
  em: EntityManager,
  sms: SmsReceived,
  providerId: string,
  reason: RejectReason,
  jobCode: string | null,
  jobId: string | null = null,
): Promise<void> {
  await ctx.publish(em, dispatch.ReplyRejected, {
    providerId,
    providerPhone: sms.from,
    command: sms.command.kind,
    reason,
    jobCode,
    jobId,
    replyReceivedAt: sms.receivedAt,
  });
}

/**
 * YES [code] [eta]: the first one for an OFFERED job wins it; everyone else is told why not.
 *
 * Locks, in the order every writer takes them: the locksmith's (no offer can reach them and no operator
 * assign them meanwhile), then their pending offer's job row (whoever expires, takes or stops the job's
 * offers holds it). The offer is read again under both: a YES that waited for the row while the timer
 * expired its wave finds its offer EXPIRED, and is told so instead of taking the job from wave 2.
 */
export async function handleYes(
  ctx: DispatchContext,
  em: EntityManager,
  sms: SmsReceived,
  providerId: string,
): Promise<void> {
  await lockProvider(em, providerId);
  const held = await pendingOfferOf(em, providerId);
  if (held.lead || (!held.job && (await latestOfferIsLead(em, providerId)))) {
    // A plumber's YES to a lead: the lead sale's own path (the accept link takes it too).
    await leadYes(ctx, em, {
      providerId,
      providerPhone: sms.from,
      channel: 'sms',
      code: sms.command.jobCode,
    });
    return;
  }
  let pending = held.job;
  let job: JobRow | undefined;
  if (pending) {
    job = await lockJob(em, pending.job_id);
    pending = await pendingJobOfferOf(em, providerId);
  }
  type LatestOffer = { id: string; job_id: string; job_code: string; status: string; reason: string | null };
  // Job offers only: a plumber's lead offers took the other path above.
  let latest: LatestOffer | undefined;
  if (!pending) {
    const rows = await em.execute<LatestOffer[]>(
      `select o.id, o.job_id, j.code as job_code, o.status, o.reason from dispatch.offer o join dispatch.job j on j.id = o.job_id
       where o.provider_id = ? order by o.sent_at desc limit 1`,
      [providerId],
    );
    latest = rows[0];
  }
  // Only a pending offer needs it: the index and the offer insert keep a locksmith on a job from getting one.
  const onAnotherJob = pending !== undefined && (await openJobOf(em, providerId)) !== undefined;
  const decision = decideYes(
    sms.command.jobCode,
    pending ? { jobCode: pending.job_code } : undefined,
    latest ? { jobCode: latest.job_code, end: offerEnd(latest.status, latest.reason) } : undefined,
    onAnotherJob,
  );
  if (decision.kind === 'reject') {
    if (decision.reason === 'job_taken' && latest) {
      // Their answer came after another locksmith's won: the offer shows when they replied, too late.
      await em.execute(
        'update dispatch.offer set responded_at = clock_timestamp() where id = ? and responded_at is null',
        [latest.id],
      );
    }
    if (decision.reason === 'on_another_job' && pending && job) {
      // An offer they cannot take any more: withdrawn, so its wave moves on without waiting for it.
      const closed = await closeOffers(
        ctx,
        em,
        job,
        { sql: 'id = ?', params: [pending.id] },
        'CANCELED',
        CLOSE_REASON.assignedElsewhere,
        true,
      );
      if (closed.length > 0) await afterOfferClosed(ctx, em, job);
    }
    const about = pending ? pending.job_id : decision.reason === 'no_pending_offer' ? null : latest?.job_id;
    await reject(ctx, em, sms, providerId, decision.reason, decision.jobCode, about ?? null);
    return;
  }
  if (!pending || !job) return;
  // A pending offer means the job is OFFERED; the conditional update still has the last word.
  const won = await tryTransition(ctx, em, { ...job, state: 'OFFERED' }, 'ASSIGNED', {
    cause: `${pending.provider_name} replied YES`,
    actor: providerId,
    set: {
      locksmith_id: providerId,
      locksmith_name: pending.provider_name,
      locksmith_phone: pending.provider_phone,
      eta_minutes: sms.command.etaMinutes ?? null,
    },
  });
  if (!won) {
    // The job stopped without closing its offers (it cannot have been taken: we hold its row).
    await closeOffers(
      ctx,
      em,
      job,
      { sql: 'id = ?', params: [pending.id] },
      'CANCELED',
      CLOSE_REASON.jobEnded,
      true,
    );
    await reject(ctx, em, sms, providerId, 'no_pending_offer', pending.job_code, pending.job_id);
    return;
  }
  await closeOffers(
    ctx,
    em,
    won,
    { sql: 'id = ?', params: [pending.id] },
    'ACCEPTED',
    CLOSE_REASON.accepted,
    true,
  );
  await closeOffers(
    ctx,
    em,
    won,
    { sql: 'job_id = ?', params: [won.id] },
    'CANCELED',
    CLOSE_REASON.jobTaken,
    false,
  );
}

/**
 * NO [code]: the offer is declined; a wave with nothing left pending moves on. A NO with nothing pending,
 * or naming another job than the pending offer's (a late NO to an old offer), declines nothing and is
 * told why.
 */
async function handleNo(
  ctx: DispatchContext,
  em: EntityManager,
  sms: SmsReceived,
  providerId: string,
): Promise<void> {
  const held = await pendingOfferOf(em, providerId);
  if (held.lead) {
    if (sms.command.jobCode !== undefined && sms.command.jobCode !== held.lead.lead_code) {
      await ctx.publish(em, leads.LeadReplyRejected, {
        providerId,
        providerPhone: sms.from,
        channel: 'sms',
        reason: 'wrong_lead_code',
        leadId: held.lead.lead_id,
        leadCode: held.lead.lead_code,
      });
      return;
    }
    await leadNo(ctx, em, providerId, held.lead);
    return;
  }
  const pending = held.job;
  if (!pending) {
    await reject(ctx, em, sms, providerId, 'no_pending_offer', sms.command.jobCode ?? null);
    return;
  }
  if (sms.command.jobCode !== undefined && sms.command.jobCode !== pending.job_code) {
    await reject(ctx, em, sms, providerId, 'wrong_job_code', pending.job_code, pending.job_id);
    return;
  }
  const job = await lockJob(em, pending.job_id);
  const closed = await closeOffers(
    ctx,
    em,
    job,
    { sql: 'id = ?', params: [pending.id] },
    'DECLINED',
    CLOSE_REASON.declined,
    true,
  );
  if (closed.length > 0) await afterOfferClosed(ctx, em, job);
}

/** OMW / DONE from the assigned locksmith move the job on; from anyone else they are rejected. */
async function handleProgress(
  ctx: DispatchContext,
  em: EntityManager,
  sms: SmsReceived,
  providerId: string,
  kind: 'OMW' | 'DONE',
): Promise<void> {
  const [active] = await em.execute<JobRow[]>(
    `select * from dispatch.job where locksmith_id = ? and state in ('ASSIGNED', 'EN_ROUTE')
     order by updated_at desc limit 1 for update`,
    [providerId],
  );
  if (!active) {
    // A plumber's DONE <code> completes the lead they bought.
    if (kind === 'DONE' && (await leadDone(ctx, em, providerId, sms.command.jobCode))) return;
    await reject(ctx, em, sms, providerId, 'no_active_job', sms.command.jobCode ?? null);
    return;
  }
  let job = active;
  if (job.state === 'ASSIGNED') {
    job = await transition(ctx, em, job, 'EN_ROUTE', {
      cause: kind === 'OMW' ? 'locksmith is on the way (OMW)' : 'locksmith reported DONE without OMW',
      actor: providerId,
    });
  }
  if (kind === 'DONE') {
    await transition(ctx, em, job, 'COMPLETED', { cause: 'locksmith reported DONE', actor: providerId });
  }
}

export async function handleSms(ctx: DispatchContext, em: EntityManager, sms: SmsReceived): Promise<void> {
  // Texts from unknown numbers are messaging's business; AVAILABLE / UNAVAILABLE / STOP are the registry's.
  const providerId = sms.providerId;
  if (providerId === null) return;
  switch (sms.command.kind) {
    case 'YES':
      return handleYes(ctx, em, sms, providerId);
    case 'NO':
      return handleNo(ctx, em, sms, providerId);
    case 'OMW':
    case 'DONE':
      return handleProgress(ctx, em, sms, providerId, sms.command.kind);
    case 'CREDIT':
      return handleCreditSms(ctx, em, sms, providerId);
    default:
      return;
  }
}

/** An offer SMS that could not be delivered counts as no reply: the offer fails and the wave moves on. */
export async function handleDeliveryStatus(
  ctx: DispatchContext,
  em: EntityManager,
  status: EventData<typeof messaging.SmsStatusChanged>,
): Promise<void> {
  if (status.offerId === null || (status.status !== 'failed' && status.status !== 'undelivered')) return;
  const [offer] = await em.execute<OfferRow[]>(
    `select * from dispatch.offer where id = ? and status = 'PENDING'`,
    [status.offerId],
  );
  if (!offer) return;
  const reason = status.errorCode
    ? `${CLOSE_REASON.undeliverable} (${status.errorCode})`
    : CLOSE_REASON.undeliverable;
  if (offer.lead_id !== null) {
    await leadOfferUndeliverable(ctx, em, { ...offer, lead_id: offer.lead_id }, reason);
    return;
  }
  if (offer.job_id === null) return;
  const job = await lockJob(em, offer.job_id);
  const closed = await closeOffers(
    ctx,
    em,
    job,
    { sql: 'id = ?', params: [offer.id] },
    'FAILED',
    reason,
    false,
  );
  if (closed.length > 0) await afterOfferClosed(ctx, em, job);
}

export function smsConsumer(ctx: DispatchContext): ConsumerBinding {
  return {
    definition: CONSUMERS.dispatchSms,
    concurrency: 8,
    handlers: [
      on(messaging.SmsReceived, (sms, { em }) => handleSms(ctx, em, sms)),
      on(messaging.SmsStatusChanged, (status, { em }) => handleDeliveryStatus(ctx, em, status)),
    ],
  };
}
