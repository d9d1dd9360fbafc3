import { CONSUMERS, dispatch, intake, type EventData } from '@trades/contracts';
import { on, type ConsumerBinding, type EntityManager } from '@trades/runtime';
import type { DispatchContext } from '../config.ts';
import { OPEN_STATES } from '../domain/state-machine.ts';
import { insertTimeline } from '../store/jobs.ts';
import type { JobRow } from '../store/rows.ts';
import { continueDispatch, jobEventData, SYSTEM_ACTOR, transition } from './lifecycle.ts';

const OPEN_LIST = OPEN_STATES.map((s) => `'${s}'`).join(',');

/**
 * A paid booking becomes a job (once: the booking id is unique), and dispatch starts right away unless
 * DISPATCH_AUTO_START is off.
 */
export async function createJobFromBooking(
  ctx: DispatchContext,
  em: EntityManager,
  booking: EventData<typeof intake.BookingReady>,
): Promise<JobRow | undefined> {
  // A code no open job uses; if two bookings race for the same one, the partial unique index rejects the
  // second transaction and its event is redelivered and gets another code.
  const [free] = await em.execute<{ code: string }[]>(
    `select c::text as code from generate_series(1000, 9999) as c
     where not exists (select 1 from dispatch.job j where j.code = c::text and j.state in (${OPEN_LIST}))
     order by random() limit 1`,
  );
  if (!free) throw new Error('every job code is in use by an open job');
  const [created] = await em.execute<JobRow[]>(
    `insert into dispatch.job (id, code, booking_id, state, service_code, service_name, customer_name, customer_phone, address, notes)
     values (gen_random_uuid(), ?, ?, 'CREATED', ?, ?, ?, ?, ?::jsonb, ?)
     on conflict (booking_id) do nothing returning *`,
    [
      free.code,
      booking.bookingId,
      booking.serviceCode,
      booking.serviceName,
      booking.customer.name,
      booking.customer.phone,
      JSON.stringify(booking.address),
      booking.notes,
    ],
  );
  if (!created) return undefined;
  const cause = 'booking paid';
  await insertTimeline(em, created.id, 'CREATED', null, cause, 'intake');
  await ctx.publish(em, dispatch.JobCreated, jobEventData(created, null, cause, 'intake'));
  if (!ctx.config.DISPATCH_AUTO_START) return created;
  const dispatching = await transition(ctx, em, created, 'DISPATCHING', {
    cause: 'dispatch started automatically',
    actor: SYSTEM_ACTOR,
    nextActionInSeconds: 0,
  });
  return continueDispatch(ctx, em, dispatching);
}

export function bookingConsumer(ctx: DispatchContext): ConsumerBinding {
  return {
    definition: CONSUMERS.dispatchBookings,
    concurrency: 4,
    handlers: [
      on(intake.BookingReady, async (booking, { em }) => {
        await createJobFromBooking(ctx, em, booking);
      }),
    ],
  };
}
