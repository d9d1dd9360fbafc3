import { AppError, dispatch } from '@trades/contracts';
import type { EntityManager, Logger, ServiceContext } from '@trades/runtime';
import { factFromDispatch, supersedes } from '../domain/job-facts.ts';
import {
  applyJobFact,
  forgetJob,
  keptJobs,
  offerStatuses,
  openJobIds,
  pendingOfferIds,
  providersWithFlagsOutOfStep,
  recordOfferClosed,
  recordOfferSent,
  pruneEndedJobs,
  refreshFlags,
  withdrawOffer,
  type FlagChange,
} from '../store/engagements.ts';
import { claimWhenDue } from '../store/scheduled-tasks.ts';

/** A flag the reconciliation changed, with what was wrong. */
export interface FlagRepair extends FlagChange {
  cause: string;
}

export interface ReconcileOptions {
  /**
   * Facts dispatch changed less than this long before it was asked are left to their events, which may
   * still be on their way: repairing them would be right, but would report ordinary lag as drift.
   */
  graceMs: number;
  log: Logger;
  /** Told of every repair (a metric, say). */
  onRepair?: (repair: FlagRepair) => void;
}

type RegistryContext = Pick<ServiceContext<unknown>, 'orm' | 'call' | 'transaction'>;

/** Ids per request: the contract's bound on `jobIds`, `offerIds` and the engaged page. */
const BATCH = 200;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * Compares the registry's busy and pending-offer flags with dispatch, which decides them, and repairs
 * the ones that drifted (an event dead-lettered, a projection written by older code), logging each at
 * warn. Three passes, each reading the registry before asking dispatch:
 *
 * 1. the jobs the registry has open and the offers it has pending, looked up in dispatch by id (flags
 *    that should have been cleared);
 * 2. every provider dispatch has engaged, a page at a time (flags that should have been set);
 * 3. flags the registry's own rows do not explain.
 *
 * A repair goes through the same versioned writes as the events (`store/engagements.ts`), with the
 * version dispatch read: a change that reaches the registry while this runs is newer and stands, and
 * the event of a change already repaired arrives older and changes nothing. Safe to run on any number
 * of replicas at once; `reconcileWhenDue` has one replica run it per period.
 */
export async function reconcileWithDispatch(
  ctx: RegistryContext,
  options: ReconcileOptions,
): Promise<FlagRepair[]> {
  const repairs: FlagRepair[] = [];
  const record = (changes: FlagChange[], cause: string): void => {
    for (const change of changes) {
      const repair = { ...change, cause };
      repairs.push(repair);
      options.log.warn(
        { providerId: change.providerId, flag: change.flag, was: change.from, now: change.to, cause },
        'registry flag repaired from dispatch',
      );
      options.onRepair?.(repair);
    }
  };
  const read = ctx.orm.em.fork();

  // 1. What the registry believes: its open jobs and pending offers, by id.
  let jobsAfter: string | null = NIL_UUID;
  let offersAfter: string | null = NIL_UUID;
  while (jobsAfter !== null || offersAfter !== null) {
    const jobIds: string[] = jobsAfter === null ? [] : await openJobIds(read, jobsAfter, BATCH);
    const offerIds: string[] = offersAfter === null ? [] : await pendingOfferIds(read, offersAfter, BATCH);
    jobsAfter = jobIds.length === BATCH ? (jobIds[jobIds.length - 1] ?? null) : null;
    offersAfter = offerIds.length === BATCH ? (offerIds[offerIds.length - 1] ?? null) : null;
    if (jobIds.length === 0 && offerIds.length === 0) break;
    const reply = await ctx.call(dispatch.ProvidersEngaged, { jobIds, offerIds });
    await applyDispatchView(ctx, read, reply, options.graceMs, record);
    await forgetUnknown(ctx, reply, jobIds, offerIds, options.graceMs, record);
  }

  // 2. What dispatch knows: every engaged provider.
  let after: string | null = null;
  do {
    const reply: dispatch.ProvidersEngagedReply = await ctx.call(dispatch.ProvidersEngaged, {
      engaged: { after, limit: BATCH },
    });
    await applyDispatchView(ctx, read, reply, options.graceMs, record);
    after = reply.next;
  } while (after !== null);

  // 3. Flags that disagree with the registry's own rows (nothing else should leave them so: each
  // handler writes both in one transaction).
  const unexplained = await providersWithFlagsOutOfStep(read);
  for (const id of unexplained) {
    record(
      await ctx.transaction((em) => refreshFlags(em, [id])),
      "the flag disagreed with the registry's own record of the provider's jobs and offers",
    );
  }
  return repairs;
}

type Recorder = (changes: FlagChange[], cause: string) => void;

/** Brings the registry in line with what dispatch replied, fact by fact, skipping what already agrees. */
async function applyDispatchView(
  ctx: RegistryContext,
  read: EntityManager,
  reply: dispatch.ProvidersEngagedReply,
  graceMs: number,
  record: Recorder,
): Promise<void> {
  const horizon = new Date(reply.asOf).getTime() - graceMs;
  const settled = (at: string): boolean => new Date(at).getTime() <= horizon;

  const jobs = reply.jobs.filter((j) => settled(j.at));
  const kept = await keptJobs(
    read,
    jobs.map((j) => j.jobId),
  );
  for (const job of jobs) {
    const mine = kept.get(job.jobId);
    const fact = factFromDispatch(job);
    if (mine && mine.state === job.state && mine.provider_id === job.locksmithId) continue;
    if (mine && !supersedes(fact, { at: new Date(mine.at), rank: mine.rank })) continue;
    const changes = await ctx.transaction((em) => applyJobFact(em, fact));
    record(
      changes,
      `job ${job.jobId} is ${job.state}${job.locksmithId ? ` with ${job.locksmithId}` : ''} in dispatch ` +
        `since ${job.at}; the registry had it ${mine ? `${mine.state}${mine.provider_id ? ` with ${mine.provider_id}` : ''}` : 'not at all'}`,
    );
  }

  const offers = reply.offers.filter((o) => settled(o.closedAt ?? o.sentAt));
  const statuses = await offerStatuses(
    read,
    offers.map((o) => o.offerId),
  );
  for (const offer of offers) {
    const mine = statuses.get(offer.offerId);
    const { status } = offer;
    // The registry's outcome, once it has one, stands: only a PENDING row, or none, can be behind.
    if (mine !== undefined && (mine !== 'PENDING' || status === 'PENDING')) continue;
    const changes = await ctx.transaction((em) =>
      status === 'PENDING'
        ? recordOfferSent(em, offer)
        : recordOfferClosed(em, { ...offer, status, closedAt: offer.closedAt }),
    );
    record(
      changes,
      `offer ${offer.offerId} (${offer.jobId !== null ? `job ${offer.jobId}` : `lead ${offer.leadId ?? '?'}`}) is ${status} in dispatch since ${offer.closedAt ?? offer.sentAt}; ` +
        `the registry had it ${mine ?? 'not at all'}`,
    );
  }
}

/**
 * Jobs and offers the registry has open but dispatch does not have at all (their rows came from events
 * of jobs that do not exist): the job is forgotten, the offer closed as withdrawn (no mark on the
 * provider's acceptance rate).
 */
async function forgetUnknown(
  ctx: RegistryContext,
  reply: dispatch.ProvidersEngagedReply,
  jobIds: string[],
  offerIds: string[],
  graceMs: number,
  record: Recorder,
): Promise<void> {
  const knownJobs = new Set(reply.jobs.map((j) => j.jobId));
  for (const jobId of jobIds.filter((id) => !knownJobs.has(id))) {
    record(
      await ctx.transaction((em) => forgetJob(em, jobId)),
      `job ${jobId} is open in the registry but dispatch has no such job`,
    );
  }
  const knownOffers = new Set(reply.offers.map((o) => o.offerId));
  for (const offerId of offerIds.filter((id) => !knownOffers.has(id))) {
    const changes = await ctx.transaction((em) => withdrawOffer(em, offerId, graceMs));
    record(changes, `offer ${offerId} is pending in the registry but dispatch has no such offer`);
  }
}

const RECONCILIATION_TASK = 'reconcile-with-dispatch';
/** Longer than any event could still arrive late: the stream keeps 7 days, the dead letters 30. */
const ENDED_JOB_RETENTION_DAYS = 60;

/**
 * The periodic task every replica ticks: the replica that claims the period reconciles the flags with
 * dispatch and prunes long-ended jobs; the others do nothing until the next period.
 */
export async function reconcileWhenDue(
  ctx: RegistryContext & Pick<ServiceContext<unknown>, 'log'>,
  options: Omit<ReconcileOptions, 'log'> & { everySeconds: number },
): Promise<void> {
  if (!(await claimWhenDue(ctx.orm.em.fork(), RECONCILIATION_TASK, options.everySeconds))) return;
  await pruneEndedJobs(ctx.orm.em.fork(), ENDED_JOB_RETENTION_DAYS);
  const log = ctx.log.child({ task: RECONCILIATION_TASK });
  try {
    const repairs = await reconcileWithDispatch(ctx, { ...options, log });
    if (repairs.length > 0) log.warn({ repairs: repairs.length }, 'flags reconciled with dispatch');
  } catch (error) {
    // Dispatch down or slow: the flags wait for the next period; the events still keep them meanwhile.
    if (error instanceof AppError && (error.status === 503 || error.status === 504)) {
      log.warn({ err: error }, 'dispatch did not answer; flags not reconciled this period');
      return;
    }
    throw error;
  }
}
