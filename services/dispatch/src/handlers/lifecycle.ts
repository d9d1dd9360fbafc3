import { AppError, conflict, dispatch, leads, registry } from '@trades/contracts';
import type { EntityManager } from '@trades/runtime';
import type { DispatchContext } from '../config.ts';
import { areaOf } from '../domain/area.ts';
import { CLOSE_REASON } from '../domain/replies.ts';
import { transitionProblem } from '../domain/state-machine.ts';
import {
  heldRetrySeconds,
  planNextWave,
  radiusForRoundWave,
  searchLimit,
  WAVE_SEARCHES,
  type Wave,
  type WavePolicy,
} from '../domain/waves.ts';
import { insertTimeline, isSecondOpenJob } from '../store/jobs.ts';
import { insertPendingOffer, type NewOffer } from '../store/offers.ts';
import { iso, secondsBetween, type JobRow, type OfferRow } from '../store/rows.ts';

type JobState = dispatch.JobState;
type OfferStatus = dispatch.OfferStatus;

export const SYSTEM_ACTOR = 'system';

export const REGISTRY_RETRY_SECONDS = 5;

/** Columns a transition may change together with the state. */
export interface JobChanges {
  locksmith_id?: string | null;
  locksmith_name?: string | null;
  locksmith_phone?: string | null;
  eta_minutes?: number | null;
  paused?: boolean;
  round_start_wave?: number;
}

export interface TransitionOptions {
  cause: string;
  actor: string;
  set?: JobChanges;
  /** Seconds from now until the dispatcher looks at the job again; null (the default) for never. */
  nextActionInSeconds?: number | null;
  /** Also drop this provider from every future wave of the job (re-dispatch). */
  exclude?: string;
}

export function wavePolicy(ctx: DispatchContext): WavePolicy {
  return {
    waveSize: ctx.config.DISPATCH_WAVE_SIZE,
    maxWaves: ctx.config.DISPATCH_MAX_WAVES,
    initialRadiusKm: ctx.config.DISPATCH_INITIAL_RADIUS_KM,
    radiusStepKm: ctx.config.DISPATCH_RADIUS_STEP_KM,
  };
}

export function jobEventData(
  job: JobRow,
  previousState: JobState | null,
  cause: string,
  actor: string,
): dispatch.JobStateChangedData {
  return {
    jobId: job.id,
    jobCode: job.code,
    bookingId: job.booking_id,
    state: job.state,
    previousState,
    cause,
    actor,
    at: iso(job.updated_at),
    serviceCode: job.service_code,
    serviceName: job.service_name,
    customer: { name: job.customer_name, phone: job.customer_phone },
    address: job.address,
    notes: job.notes,
    locksmith:
      job.locksmith_id !== null && job.locksmith_name !== null && job.locksmith_phone !== null
        ? {
            id: job.locksmith_id,
            name: job.locksmith_name,
            phone: job.locksmith_phone,
            etaMinutes: job.eta_minutes,
          }
        : null,
  };
}

/**
 * Moves a job to `to` with one conditional UPDATE (`where id = ? and state = <the state it was read in>`),
 * records the step in the timeline and enqueues its event, all in the caller's transaction. Returns
 * undefined when the job is no longer in the state it was read in (someone else moved it first).
 */
export async function tryTransition(
  ctx: DispatchContext,
  em: EntityManager,
  job: JobRow,
  to: JobState,
  options: TransitionOptions,
): Promise<JobRow | undefined> {
  const problem = transitionProblem(job.state, to);
  if (problem) throw conflict('INVALID_TRANSITION', problem, { from: job.state, to });
  // clock_timestamp, not now(): several moves in one transaction (CREATED → DISPATCHING → OFFERED) get
  // increasing times, so consumers that receive their events out of order can still put them in order.
  const sets = ['state = ?', 'updated_at = clock_timestamp()'];
  const params: unknown[] = [to];
  for (const [column, value] of Object.entries(options.set ?? {})) {
    sets.push(`${column} = ?`);
    params.push(value);
  }
  if (options.exclude !== undefined) {
    sets.push('excluded_provider_ids = array_append(excluded_provider_ids, ?::uuid)');
    params.push(options.exclude);
  }
  const next = options.nextActionInSeconds ?? null;
  if (next === null) {
    sets.push('next_action_at = null');
  } else {
    sets.push('next_action_at = now() + make_interval(secs => ?)');
    params.push(next);
  }
  // The winner of "first YES" is decided right here: only one transaction finds the job still OFFERED
  // with no locksmith; every concurrent one re-reads the row after the winner commits and matches nothing.
  const guard = to === 'ASSIGNED' ? ' and locksmith_id is null' : '';
  let rows: JobRow[];
  try {
    rows = await em.execute<JobRow[]>(
      `update dispatch.job set ${sets.join(', ')} where id = ? and state = ?${guard} returning *`,
      [...params, job.id, job.state],
    );
  } catch (error) {
    // Callers check under the locksmith's lock first; the unique index is what no race gets past.
    if (isSecondOpenJob(error)) {
      throw conflict(
        'LOCKSMITH_BUSY',
        `${options.set?.locksmith_name ?? 'The locksmith'} is already on another open job; finish or re-dispatch it first.`,
      );
    }
    throw error;
  }
  const moved = rows[0];
  if (!moved) return undefined;
  await insertTimeline(em, moved.id, to, job.state, options.cause, options.actor);
  await ctx.publish(
    em,
    dispatch.JOB_EVENT_BY_STATE[to],
    jobEventData(moved, job.state, options.cause, options.actor),
  );
  return moved;
}

export async function transition(
  ctx: DispatchContext,
  em: EntityManager,
  job: JobRow,
  to: JobState,
  options: TransitionOptions,
): Promise<JobRow> {
  const moved = await tryTransition(ctx, em, job, to, options);
  if (!moved) {
    throw conflict(
      'INVALID_TRANSITION',
      `The job changed while this was being done (it is no longer ${job.state}); reload it and try again.`,
      {
        from: job.state,
        to,
      },
    );
  }
  return moved;
}

/**
 * Closes offers (already matched by `where`, all of one job or of one lead, whose code is `of.code`) and
 * tells everyone: offer.closed for a job's, lead.offer_closed for a lead's.
 */
export async function closeOffers(
  ctx: DispatchContext,
  em: EntityManager,
  of: { code: string },
  where: { sql: string; params: unknown[] },
  status: Exclude<OfferStatus, 'PENDING'>,
  reason: string,
  responded: boolean,
): Promise<OfferRow[]> {
  const closed = await em.execute<OfferRow[]>(
    `update dispatch.offer set status = ?, reason = ?, closed_at = clock_timestamp()
       ${responded ? ', responded_at = coalesce(responded_at, clock_timestamp())' : ''}
     where status = 'PENDING' and ${where.sql} returning *`,
    [status, reason, ...where.params],
  );
  for (const offer of closed) {
    const responseSeconds =
      offer.responded_at === null ? null : secondsBetween(offer.sent_at, offer.responded_at);
    if (offer.lead_id !== null) {
      await ctx.publish(em, leads.LeadOfferClosed, {
        offerId: offer.id,
        leadId: offer.lead_id,
        leadCode: of.code,
        providerId: offer.provider_id,
        providerName: offer.provider_name,
        providerPhone: offer.provider_phone,
        providerEmail: offer.provider_email ?? '',
        status,
        reason,
        responseSeconds,
        // They said YES too and waited behind the buyer (only ever so for an offer closed because it sold).
        inLine: offer.yes_at !== null && status === 'CANCELED',
      });
    } else if (offer.job_id !== null) {
      await ctx.publish(em, dispatch.OfferClosed, {
        offerId: offer.id,
        jobId: offer.job_id,
        jobCode: of.code,
        providerId: offer.provider_id,
        providerPhone: offer.provider_phone,
        status,
        reason,
        responseSeconds,
      });
    }
  }
  return closed;
}

/** After an offer closed: when none of the wave is left pending, the wave is over and the next one goes out. */
export async function afterOfferClosed(
  ctx: DispatchContext,
  em: EntityManager,
  job: JobRow,
): Promise<JobRow> {
  if (job.state !== 'OFFERED') return job;
  const [pending] = await em.execute<{ n: number; next: Date | string | null }[]>(
    `select count(*)::int as n, min(expires_at) as next from dispatch.offer where job_id = ? and status = 'PENDING'`,
    [job.id],
  );
  if (pending && pending.n > 0) {
    // The wave is still open: look again when its next offer is due to expire.
    await em.execute('update dispatch.job set next_action_at = ? where id = ?', [pending.next, job.id]);
    return job;
  }
  const dispatching = await transition(ctx, em, job, 'DISPATCHING', {
    cause: `wave ${job.wave} ended without a YES`,
    actor: SYSTEM_ACTOR,
    nextActionInSeconds: job.paused ? null : 0,
  });
  return continueDispatch(ctx, em, dispatching);
}

/** A DISPATCHING job that is not paused gets its next wave now (or fails when there is none). */
export async function continueDispatch(
  ctx: DispatchContext,
  em: EntityManager,
  job: JobRow,
): Promise<JobRow> {
  if (job.state !== 'DISPATCHING' || job.paused) return job;
  return sendNextWave(ctx, em, job);
}

/** The registry takes at most this many ids to leave out of a search. */
const MAX_EXCLUDED = 1000;

export interface WaveSearch {
  offers: OfferRow[];
  /** Providers in range who are only held for now (another offer pending, or being offered one). */
  held: number;
}

/**
 * One search of the registry: the nearest `limit` candidates not in `exclude` (and those it thinks held).
 * `passedOver`: ids the registry returned that the caller left out of `items` (a plumber at a cap); they
 * count as found, and are searched past like those lost to another wave.
 */
export type CandidateSearch<C> = (
  limit: number,
  exclude: string[],
) => Promise<{ items: C[]; held?: C[]; passedOver?: string[] }>;

/**
 * Offers a job or a lead to up to `size` of the nearest candidates `find` returns, each through
 * {@link insertPendingOffer} (`offerFor` says what the offer is). Providers lost to another wave
 * meanwhile (its try-lock, a pending offer, work just taken) are searched past: the registry is asked
 * again without them, up to WAVE_SEARCHES times. The registry's pending-offer flags follow our events a
 * moment behind, so the providers it believes held (it names them when the free ones are too few) are
 * tried too: this database says whether they are. Shared by jobs' and leads' waves.
 */
export async function offerToNearest<C extends { providerId: string; distanceKm: number }>(
  em: EntityManager,
  size: number,
  exclude: readonly string[],
  find: CandidateSearch<C>,
  offerFor: (candidate: C) => NewOffer,
): Promise<WaveSearch> {
  const offers: OfferRow[] = [];
  const passed = new Set<string>();
  let held = 0;
  for (let search = 0; search < WAVE_SEARCHES && offers.length < size; search++) {
    const limit = searchLimit(size - offers.length, search);
    const found = await find(limit, [...passed, ...exclude].slice(0, MAX_EXCLUDED));
    for (const id of found.passedOver ?? []) passed.add(id);
    const candidates = [...found.items, ...(found.held ?? [])].sort((a, b) => a.distanceKm - b.distanceKm);
    for (const candidate of candidates) {
      if (offers.length >= size) break;
      const attempt = await insertPendingOffer(em, offerFor(candidate));
      if (attempt.kind === 'offered') {
        offers.push(attempt.offer);
        continue;
      }
      passed.add(candidate.providerId);
      if (attempt.kind === 'held') held += 1;
    }
    // Fewer than asked for: nobody else in range is free.
    if (found.items.length + (found.passedOver?.length ?? 0) < limit) break;
  }
  return { offers, held };
}

/** A job's wave: the nearest eligible locksmiths within the wave's radius. */
function searchWave(
  ctx: DispatchContext,
  em: EntityManager,
  job: JobRow,
  plan: Wave,
  exclude: readonly string[],
): Promise<WaveSearch> {
  return offerToNearest(
    em,
    plan.size,
    exclude,
    (limit, excludeProviderIds) =>
      ctx.call(registry.CandidatesNearest, {
        serviceCode: job.service_code,
        lat: job.address.lat,
        lng: job.address.lng,
        radiusKm: plan.radiusKm,
        limit,
        excludeProviderIds,
      }),
    (candidate) => ({
      of: { kind: 'job', id: job.id },
      providerId: candidate.providerId,
      providerName: candidate.name,
      providerPhone: candidate.phone,
      wave: plan.wave,
      distanceKm: candidate.distanceKm,
      ttlSeconds: ctx.config.DISPATCH_OFFER_TTL_SECONDS,
    }),
  );
}

/**
 * Sends the job's next wave: the k nearest eligible locksmiths not yet offered this job, within a radius
 * that widens each wave. A wave that finds nobody free counts as a wave and the next, wider one is tried
 * at once. When the round has no waves left the job FAILS, unless some wave found locksmiths in range
 * who are only holding other offers: then the job waits for them, from that wave, and looks again in a
 * moment (no wave spent). The job row must be locked by the caller.
 */
export async function sendNextWave(ctx: DispatchContext, em: EntityManager, locked: JobRow): Promise<JobRow> {
  const policy = wavePolicy(ctx);
  let job = locked;
  // A wave that finds nobody inserts no offer, so who was offered this job is read once.
  const alreadyOffered = await em.execute<{ provider_id: string }[]>(
    'select provider_id from dispatch.offer where job_id = ?',
    [job.id],
  );
  const exclude = [...new Set([...alreadyOffered.map((o) => o.provider_id), ...job.excluded_provider_ids])];
  /** The first wave of this pass that found only held locksmiths: the one to try again. */
  let heldAt: Wave | undefined;
  /** Writes the wave counter, which empty waves only advanced in memory (back to before `heldAt`). */
  const saveWave = async (): Promise<JobRow> => {
    const wave = heldAt ? heldAt.wave - 1 : job.wave;
    if (wave === locked.wave) return { ...job, wave };
    const [updated] = await em.execute<JobRow[]>(
      'update dispatch.job set wave = ? where id = ? returning *',
      [wave, job.id],
    );
    if (!updated) throw new Error(`job ${job.id} vanished while sending a wave`);
    return updated;
  };
  for (;;) {
    const plan = planNextWave(policy, { wave: job.wave, roundStartWave: job.round_start_wave });
    if (plan.kind === 'exhausted') {
      if (heldAt)
        return waitForHeldLocksmiths(ctx, em, await saveWave(), radiusForRoundWave(policy, policy.maxWaves));
      job = await saveWave();
      const offered = await em.execute<{ n: number }[]>(
        'select count(*)::int as n from dispatch.offer where job_id = ? and wave > ?',
        [job.id, job.round_start_wave],
      );
      const widest = radiusForRoundWave(policy, policy.maxWaves);
      const cause = (offered[0]?.n ?? 0) === 0 ? `no available locksmith within ${widest} km` : plan.reason;
      return transition(ctx, em, job, 'FAILED', { cause, actor: SYSTEM_ACTOR });
    }
    let search: WaveSearch;
    try {
      search = await searchWave(ctx, em, job, plan, exclude);
    } catch (error) {
      if (!(error instanceof AppError) || error.status < 500) throw error;
      ctx.log.warn(
        { jobId: job.id, err: error },
        'registry unavailable; the wave will be tried again shortly',
      );
      job = await saveWave();
      await em.execute(
        'update dispatch.job set next_action_at = now() + make_interval(secs => ?) where id = ?',
        [REGISTRY_RETRY_SECONDS, job.id],
      );
      return job;
    }
    job = { ...job, wave: plan.wave };
    if (search.offers.length === 0) {
      if (search.held > 0) heldAt ??= plan;
      continue;
    }
    // A free locksmith farther out is offered the job now rather than waiting for a nearer held one.
    heldAt = undefined;
    job = await saveWave();
    const { offers } = search;

    const offered = await transition(ctx, em, job, 'OFFERED', {
      cause: `wave ${plan.wave}: offered to ${offers.length} locksmith${offers.length === 1 ? '' : 's'} within ${plan.radiusKm} km`,
      actor: SYSTEM_ACTOR,
      nextActionInSeconds: ctx.config.DISPATCH_OFFER_TTL_SECONDS,
    });
    for (const offer of offers) {
      await ctx.publish(em, dispatch.OfferSent, {
        offerId: offer.id,
        jobId: job.id,
        jobCode: job.code,
        providerId: offer.provider_id,
        providerPhone: offer.provider_phone,
        wave: offer.wave,
        serviceName: job.service_name,
        area: areaOf(job.address.formatted, job.address.zip),
        distanceKm: offer.distance_km,
        expiresAt: iso(offer.expires_at),
      });
    }
    return offered;
  }
}

/**
 * Everyone eligible in range is holding another offer: the job stays DISPATCHING and looks again in a
 * moment (with jitter), noted once on its timeline so an operator sees why it waits.
 */
async function waitForHeldLocksmiths(
  ctx: DispatchContext,
  em: EntityManager,
  job: JobRow,
  widestKm: number,
): Promise<JobRow> {
  const cause = `every locksmith available within ${widestKm} km is considering another offer; waiting for one to come free`;
  const [due] = await em.execute<JobRow[]>(
    'update dispatch.job set next_action_at = now() + make_interval(secs => ?) where id = ? returning *',
    [heldRetrySeconds(Math.random()), job.id],
  );
  const [last] = await em.execute<{ cause: string }[]>(
    'select cause from dispatch.job_timeline where job_id = ? order by id desc limit 1',
    [job.id],
  );
  if (last?.cause !== cause) {
    await insertTimeline(em, job.id, job.state, job.state, cause, SYSTEM_ACTOR);
    ctx.log.info({ jobId: job.id, wave: job.wave + 1 }, 'locksmiths in range all held; waiting for one');
  }
  return due ?? job;
}

/**
 * A job whose due time has come: expire its overdue offers (a wave with nothing left pending is over),
 * then send the next wave if it is dispatching. The row is locked by the caller.
 */
export async function advanceDueJob(ctx: DispatchContext, em: EntityManager, job: JobRow): Promise<void> {
  if (job.state === 'OFFERED') {
    await closeOffers(
      ctx,
      em,
      job,
      { sql: 'job_id = ? and expires_at <= now()', params: [job.id] },
      'EXPIRED',
      CLOSE_REASON.expired,
      false,
    );
    await afterOfferClosed(ctx, em, job);
    return;
  }
  if (job.state === 'DISPATCHING' && !job.paused) {
    await sendNextWave(ctx, em, job);
    return;
  }
  // Nothing to do for this state any more (paused, or moved on): stop looking at it.
  await em.execute('update dispatch.job set next_action_at = null where id = ?', [job.id]);
}

/**
 * The timer's one loop, for jobs and leads alike: claims due rows of `table` one at a time with
 * FOR UPDATE SKIP LOCKED, each advanced in its own transaction, so any number of replicas share the work
 * without doing it twice, and a restarted replica simply finds the rows still due.
 */
export async function runDueRows<Row>(
  ctx: DispatchContext,
  table: 'job' | 'lead',
  advance: (em: EntityManager, row: Row) => Promise<void>,
  max = 100,
): Promise<number> {
  let handled = 0;
  while (handled < max) {
    const claimed = await ctx.transaction(async (em) => {
      const [row] = await em.execute<Row[]>(
        `select * from dispatch.${table} where next_action_at <= now()
         order by next_action_at limit 1 for update skip locked`,
      );
      if (!row) return false;
      await advance(em, row);
      return true;
    });
    if (!claimed) break;
    handled += 1;
  }
  return handled;
}

/** Due jobs: offers expired, next waves sent. */
export function runDueWork(ctx: DispatchContext, maxJobs = 100): Promise<number> {
  return runDueRows<JobRow>(ctx, 'job', (em, job) => advanceDueJob(ctx, em, job), maxJobs);
}
