import { CONSUMERS, dispatch, intake, payments } from '@trades/contracts';
import { on, type ConsumerBinding, type EventContext, type ServiceContext } from '@trades/runtime';
import { jobStateRank } from '../domain/session.ts';
import { toBookingView, type SessionRow } from '../store/sessions.ts';
import { completeBooking } from './completion.ts';

/**
 * What intake learns from others: the job dispatch runs for a booking (the live status page's
 * projection) and the deposit's fate (an authorization seen first by Stripe's webhook completes the
 * booking as if the customer had pressed "complete").
 */
export function bookingConsumers(ctx: ServiceContext<unknown>): ConsumerBinding[] {
  async function projectJob(data: dispatch.JobStateChangedData, { em }: EventContext): Promise<void> {
    // A later event time wins; at the same instant the later state in the job's life does. An event
    // older than what the projection shows is dropped, so redeliveries never move the page backwards.
    const rows = await em.execute<SessionRow[]>(
      `update intake.booking_session
          set job_id = ?, job_state = ?, job_state_at = ?, job_state_rank = ?, locksmith_name = ?,
              locksmith_eta_minutes = ?, updated_at = now()
        where id = ?
          and (job_state_at is null or job_state_at < ? or (job_state_at = ? and job_state_rank < ?))
        returning *`,
      [
        data.jobId,
        data.state,
        data.at,
        jobStateRank(data.state),
        data.locksmith?.name ?? null,
        data.locksmith?.etaMinutes ?? null,
        data.bookingId,
        data.at,
        data.at,
        jobStateRank(data.state),
      ],
    );
    const row = rows[0];
    if (row) await ctx.publish(em, intake.BookingUpdated, { booking: toBookingView(row) });
  }

  async function recordDeposit(bookingId: string, status: string, { em }: EventContext): Promise<void> {
    const rows = await em.execute<SessionRow[]>(
      `update intake.booking_session set deposit_status = ?, updated_at = now()
        where id = ? and deposit_status is distinct from ? returning *`,
      [status, bookingId, status],
    );
    const row = rows[0];
    if (row?.state === 'completed')
      await ctx.publish(em, intake.BookingUpdated, { booking: toBookingView(row) });
  }

  return [
    {
      definition: CONSUMERS.intakeJobs,
      handlers: Object.values(dispatch.JOB_EVENT_BY_STATE).map((contract) => on(contract, projectJob)),
    },
    {
      definition: CONSUMERS.intakePayments,
      handlers: [
        on(payments.DepositAuthorized, async (data, eventContext) => {
          const completed = await completeBooking(
            eventContext.em,
            ctx.publish,
            data.bookingId,
            data.paymentIntentId,
          );
          if (completed) {
            eventContext.log.info(
              { bookingId: data.bookingId },
              'booking completed by the deposit authorization',
            );
            return;
          }
          const [session] = await eventContext.em.execute<{ state: string }[]>(
            `select state from intake.booking_session where id = ?`,
            [data.bookingId],
          );
          if (session?.state === 'expired') {
            // The customer gave up a day ago: nobody will be sent, so nobody may be charged.
            await ctx.call(payments.DepositRelease, {
              bookingId: data.bookingId,
              reason: 'booking session expired',
            });
          }
        }),
        on(payments.DepositFailed, (data, eventContext) =>
          recordDeposit(data.bookingId, 'failed', eventContext),
        ),
        on(payments.DepositCaptured, (data, eventContext) =>
          recordDeposit(data.bookingId, 'captured', eventContext),
        ),
        on(payments.DepositReleased, (data, eventContext) =>
          recordDeposit(data.bookingId, 'released', eventContext),
        ),
      ],
    },
  ];
}
