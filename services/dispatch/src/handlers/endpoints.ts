import { conflict, dispatch, registry } from '@trades/contracts';
import { endpoint, type EndpointBinding, type EntityManager } from '@trades/runtime';
import type { DispatchContext } from '../config.ts';
import { CLOSE_REASON } from '../domain/replies.ts';
import { OPEN_STATES, UNASSIGNED_STATES } from '../domain/state-machine.ts';
import { insertTimeline, jobDetail, listJobs, lockJob, lockJobs, openJobOf } from '../store/jobs.ts';
import { lockProvider, pendingJobOfferOf } from '../store/offers.ts';
import { toJob, type JobRow } from '../store/rows.ts';
import { afterOfferClosed, closeOffers, continueDispatch, transition, tryTransition } from './lifecycle.ts';

type Control = dispatch.DispatchAction;

/** Pause and resume change no state: they are still written to the timeline, with who and why. */
async function noteOnTimeline(em: EntityManager, job: JobRow, cause: string, actor: string): Promise<void> {
  await insertTimeline(em, job.id, job.state, job.state, cause, actor);
}

async function control(
  ctx: DispatchContext,
  em: EntityManager,
  id: string,
  action: Control,
  actor: string,
  reason: string | undefined,
): Promise<void> {
  const job = await lockJob(em, id);
  const why = reason ? `: ${reason}` : '';
  switch (action) {
    case 'start': {
      const dispatching = await transition(ctx, em, job, 'DISPATCHING', {
        cause: `dispatch started by an operator${why}`,
        actor,
        nextActionInSeconds: job.paused ? null : 0,
      });
      await continueDispatch(ctx, em, dispatching);
      return;
    }
    case 'pause': {
      if (!UNASSIGNED_STATES.includes(job.state)) {
        throw conflict(
          'INVALID_ACTION',
          `Only a job that is not yet assigned can be paused; this one is ${job.state}.`,
        );
      }
      if (job.paused) return;
      // Offers already out stay out and still expire; only new waves stop.
      await em.execute(
        `update dispatch.job set paused = true, updated_at = now(),
           next_action_at = case when state = 'OFFERED' then next_action_at else null end
         where id = ?`,
        [id],
      );
      await noteOnTimeline(em, job, `dispatch paused${why}`, actor);
      return;
    }
    case 'resume': {
      if (!job.paused) return;
      const [resumed] = await em.execute<JobRow[]>(
        `update dispatch.job set paused = false, updated_at = now(),
           next_action_at = case when state = 'DISPATCHING' then now() else next_action_at end
         where id = ? returning *`,
        [id],
      );
      await noteOnTimeline(em, job, `dispatch resumed${why}`, actor);
      if (resumed) await continueDispatch(ctx, em, resumed);
      return;
    }
    case 'cancel': {
      const canceled = await transition(ctx, em, job, 'CANCELED', {
        cause: `canceled by an operator${why}`,
        actor,
      });
      await closeOffers(
        ctx,
        em,
        canceled,
        { sql: 'job_id = ?', params: [id] },
        'CANCELED',
        CLOSE_REASON.jobStopped,
        false,
      );
      return;
    }
    case 'redispatch': {
      if (job.state !== 'ASSIGNED' && job.state !== 'EN_ROUTE') {
        throw conflict(
          'INVALID_TRANSITION',
          `Only an assigned or en-route job can be re-dispatched; this one is ${job.state}.`,
          { from: job.state, to: 'DISPATCHING' },
        );
      }
      const previous = job.locksmith_id ?? undefined;
      const dispatching = await transition(ctx, em, job, 'DISPATCHING', {
        cause: `re-dispatched by an operator${job.locksmith_name ? ` (${job.locksmith_name} dropped out)` : ''}${why}`,
        actor,
        set: {
          locksmith_id: null,
          locksmith_name: null,
          locksmith_phone: null,
          eta_minutes: null,
          paused: false,
          round_start_wave: job.wave,
        },
        exclude: previous,
        nextActionInSeconds: 0,
      });
      await continueDispatch(ctx, em, dispatching);
      return;
    }
  }
}

async function assign(
  ctx: DispatchContext,
  request: { id: string; locksmithId: string; actor: string },
): Promise<void> {
  const locksmith = await ctx.call(registry.ProviderGet, { id: request.locksmithId });
  if (locksmith.status !== 'active') {
    throw conflict(
      'LOCKSMITH_NOT_ACTIVE',
      `${locksmith.name} is ${locksmith.status}; only an active locksmith can be assigned.`,
    );
  }
  if (locksmith.trade !== 'locksmith') {
    throw conflict('NOT_A_LOCKSMITH', `${locksmith.name} is a ${locksmith.trade}, not a locksmith.`);
  }
  await ctx.transaction(async (em) => {
    // The locksmith's lock first, then the job rows: no wave can offer them a job, and no YES or other
    // assignment of theirs can be decided, until this commits. The offer they hold for another job is
    // withdrawn in this same transaction, so no YES to it can win a second job after this one.
    await lockProvider(em, locksmith.id);
    const held = await pendingJobOfferOf(em, locksmith.id);
    const elsewhere = held && held.job_id !== request.id ? held : undefined;
    const locked = await lockJobs(em, request.id, elsewhere ? [elsewhere.job_id] : []);
    const { job } = locked;
    const busy = await openJobOf(em, locksmith.id);
    if (busy && busy.id !== job.id) {
      throw conflict(
        'LOCKSMITH_BUSY',
        `${locksmith.name} is already on job ${busy.code}; finish or re-dispatch it first.`,
      );
    }
    // A job with no offers out (paused, between waves, waiting for the registry) reaches ASSIGNED the
    // only way the state machine allows, through OFFERED, both steps on the timeline as the operator's.
    let offered = job;
    if (offered.state === 'CREATED') {
      offered = await transition(ctx, em, offered, 'DISPATCHING', {
        cause: 'taken over by an operator',
        actor: request.actor,
      });
    }
    if (offered.state === 'DISPATCHING') {
      offered = await transition(ctx, em, offered, 'OFFERED', {
        cause: `offered to ${locksmith.name} by an operator`,
        actor: request.actor,
      });
    }
    const assigned = await tryTransition(ctx, em, offered, 'ASSIGNED', {
      cause: `assigned to ${locksmith.name} by an operator`,
      actor: request.actor,
      set: {
        locksmith_id: locksmith.id,
        locksmith_name: locksmith.name,
        locksmith_phone: locksmith.phone,
        eta_minutes: null,
        paused: false,
      },
    });
    if (!assigned) {
      throw conflict('JOB_TAKEN', 'Another locksmith took the job while this was being done; reload it.');
    }
    await closeOffers(
      ctx,
      em,
      assigned,
      { sql: 'job_id = ? and provider_id = ?', params: [assigned.id, locksmith.id] },
      'ACCEPTED',
      'assigned by an operator',
      false,
    );
    await closeOffers(
      ctx,
      em,
      assigned,
      { sql: 'job_id = ?', params: [assigned.id] },
      'CANCELED',
      CLOSE_REASON.jobTaken,
      false,
    );
    const other = elsewhere && locked.others.get(elsewhere.job_id);
    if (elsewhere && other) {
      // Their offer for another job: withdrawn, and that job moves on.
      const closed = await closeOffers(
        ctx,
        em,
        other,
        { sql: 'id = ?', params: [elsewhere.id] },
        'CANCELED',
        CLOSE_REASON.assignedElsewhere,
        false,
      );
      if (closed.length > 0) await afterOfferClosed(ctx, em, other);
    }
  });
}

export function dispatchEndpoints(ctx: DispatchContext): EndpointBinding[] {
  const read = <T>(work: (em: EntityManager) => Promise<T>): Promise<T> => work(ctx.orm.em.fork());
  return [
    endpoint(dispatch.JobGet, ({ id }) => read((em) => jobDetail(em, id))),
    endpoint(dispatch.JobByBooking, ({ bookingId }) =>
      read(async (em) => {
        const [row] = await em.execute<JobRow[]>('select * from dispatch.job where booking_id = ?', [
          bookingId,
        ]);
        return { job: row ? toJob(row) : null };
      }),
    ),
    endpoint(dispatch.JobList, (query) => read((em) => listJobs(em, query))),
    endpoint(dispatch.JobAssign, async (request) => {
      await assign(ctx, request);
      return read((em) => jobDetail(em, request.id));
    }),
    endpoint(dispatch.JobControl, async ({ id, action, actor, reason }) => {
      await ctx.transaction((em) => control(ctx, em, id, action, actor, reason));
      return read((em) => jobDetail(em, id));
    }),
    endpoint(dispatch.DispatchDashboard, () =>
      read(async (em) => {
        const rows = await em.execute<{ state: dispatch.JobState; n: number; today_failed: number }[]>(
          `select state, count(*)::int as n,
                  count(*) filter (where state = 'FAILED' and updated_at >= date_trunc('day', now()))::int as today_failed
           from dispatch.job group by state`,
        );
        return {
          openJobs: rows.filter((r) => OPEN_STATES.includes(r.state)).reduce((sum, r) => sum + r.n, 0),
          jobsByState: Object.fromEntries(rows.map((r) => [r.state, r.n])),
          failedJobsToday: rows.reduce((sum, r) => sum + r.today_failed, 0),
        };
      }),
    ),
  ];
}
