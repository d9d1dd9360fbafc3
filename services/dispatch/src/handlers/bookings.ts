import { randomInt } from 'node:crypto';
import { CONSUMERS, dispatch, intake, type EventData } from '@trades/contracts';
import { on, type ConsumerBinding, type EntityManager } from '@trades/runtime';
import type { DispatchContext } from '../config.ts';
import { OPEN_STATES } from '../domain/state-machine.ts';
import { insertTimeline, textArray } from '../store/jobs.ts';
import type { JobRow } from '../store/rows.ts';
import { continueDispatch, jobEventData, SYSTEM_ACTOR, transition } from './lifecycle.ts';

const OPEN_LIST = OPEN_STATES.map((s) => `'${s}'`).join(',');

/** Random codes tried first; all of them taken is unlikely until most of the 9,000 codes are open jobs. */
const CODE_TRIES = 8;

/**
 * A code no open job (or, with `table` 'lead', no open lead) uses, picked at random. A few random codes
 * are checked against the open rows' unique index first (a fraction of a millisecond); only when all of
 * them are taken does it look through every code (≈5 ms). If two race for the same code, the partial
 * unique index rejects the second transaction and its event is redelivered and gets another code.
 */
export async function freeCode(
  em: EntityManager,
  table: 'job' | 'lead' = 'job',
  openStates: string = OPEN_LIST,
): Promise<{ code: string } | undefined> {
  const tries = Array.from({ length: CODE_TRIES }, () => String(randomInt(1000, 10_000)));
  const [tried] = await em.execute<{ code: string }[]>(
    `select t.code from unnest(?::text[]) with ordinality as t(code, n)
     where not exists (select 1 from dispatch.${table} j where j.code = t.code and j.state in (${openStates}))
     order by t.n limit 1`,
    [textArray(tries)],
  );
  if (tried) return tried;
  const [any] = await em.execute<{ code: string }[]>(
    `select c::text as code from generate_series(1000, 9999) as c
     where not exists (select 1 from dispatch.${table} j where j.code = c::text and j.state in (${openStates}))
     order by random() limit 1`,
  );
  return any;
}

/**
 * A paid booking becomes a job (once: the booking id is unique), and dispatch starts right away unless
 * DISPATCH_AUTO_START is off.
 */
export async function createJobFromBooking(
  ctx: DispatchContext,
  em: EntityManager,
  booking: EventData<typeof intake.BookingReady>,
): Promise<JobRow | undefined> {
  const free = await freeCode(em);
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
