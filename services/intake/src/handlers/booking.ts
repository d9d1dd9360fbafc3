import { AppError, conflict, badRequest, intake, payments, registry, unavailable } from '@trades/contracts';
import type { Address } from '@trades/contracts';
import { GeocoderUnavailableError, type GeocodedAddress, type Geocoder } from '@trades/geo';
import { endpoint, type EndpointBinding, type EntityManager, type ServiceContext } from '@trades/runtime';
import {
  checkStep,
  laterStep,
  newSessionId,
  normalisePhone,
  stepOutOfOrder,
  userAgentClass,
  type FunnelStep,
} from '../domain/session.ts';
import {
  findByTrackingToken,
  recordFunnelStep,
  requireSession,
  sessionNotFound,
  toBookingView,
  type SessionRow,
} from '../store/sessions.ts';
import { completeBooking } from './completion.ts';

export interface BookingDeps {
  geocoder: Geocoder;
}

/** The booking steps: start → location → service → payment intent → (test confirm) → complete. */
export function bookingEndpoints(ctx: ServiceContext<unknown>, deps: BookingDeps): EndpointBinding[] {
  const readOnly = (): EntityManager => ctx.orm.em.fork();

  return [
    endpoint(intake.SessionStart, async ({ referrer, utm, userAgent }) => {
      const id = newSessionId();
      await ctx.transaction(async (em) => {
        await em.execute(
          `insert into intake.booking_session (id, step, furthest_step, referrer, utm, user_agent_class)
           values (?, 'location', 'start', ?, ?, ?)`,
          [id, referrer ?? null, utm ? JSON.stringify(utm) : null, userAgentClass(userAgent)],
        );
        await recordFunnelStep(em, id, 'start');
      });
      return { id };
    }),

    endpoint(intake.SessionLocation, async ({ id, address, lat, lng }) => {
      // Checked before the geocoder runs, so a wrong session costs nothing.
      checkStep(await requireSession(readOnly(), id), 'location');
      const hint = lat !== undefined && lng !== undefined ? { lat, lng } : undefined;
      let placed: GeocodedAddress | null;
      try {
        placed = await deps.geocoder.geocode(address, hint);
      } catch (error) {
        if (error instanceof GeocoderUnavailableError) {
          ctx.log.error({ err: error }, 'geocoder unavailable');
          throw unavailable(
            'GEOCODER_UNAVAILABLE',
            'We cannot look addresses up right now; try again in a minute.',
          );
        }
        throw error;
      }
      if (!placed) {
        throw new AppError(
          422,
          'ADDRESS_NOT_FOUND',
          'We could not find that address. Add the street, city and ZIP code, like "500 Howard St, San Francisco, CA 94105".',
        );
      }
      const coverage = await ctx.call(registry.CoverageCheck, {
        lat: placed.lat,
        lng: placed.lng,
        trade: 'locksmith',
      });
      const served = coverage.served;
      await ctx.transaction(async (em) => {
        const session = await requireSession(em, id, true);
        checkStep(session, 'location');
        const step: FunnelStep = served
          ? session.step === 'location'
            ? 'service'
            : session.step
          : 'location';
        await em.execute(
          `update intake.booking_session
              set address_input = ?, address_formatted = ?, lat = ?, lng = ?, zip = ?, served = ?, step = ?,
                  furthest_step = ?, updated_at = now()
            where id = ?`,
          [
            address,
            placed.formatted,
            placed.lat,
            placed.lng,
            placed.zip,
            served,
            step,
            laterStep(session.furthest_step, 'location'),
            id,
          ],
        );
        await recordFunnelStep(em, id, 'location');
      });
      const reply: { served: boolean; address: Address; message?: string } = {
        served,
        address: { formatted: placed.formatted, lat: placed.lat, lng: placed.lng, zip: placed.zip },
      };
      if (!served) {
        reply.message = `We don't have locksmiths around ${placed.city}, ${placed.state} ${placed.zip} yet, so we can't take this booking. We're adding new areas every week.`;
      }
      return reply;
    }),

    endpoint(intake.SessionService, async ({ id, serviceCode, name, phone, notes }) => {
      const customerName = name.trim();
      if (customerName.length === 0)
        throw badRequest('INVALID_NAME', 'Enter your name so the locksmith knows who to ask for.');
      const e164 = normalisePhone(phone);
      if (!e164) throw badRequest('INVALID_PHONE', 'Enter a mobile number like (415) 555-0123');
      const trimmedNotes = notes?.trim() || null;
      return ctx.transaction(async (em) => {
        const session = await requireSession(em, id, true);
        checkStep(session, 'service');
        const [service] = await em.execute<{ deposit_cents: number }[]>(
          `select deposit_cents from intake.catalog_service where code = ? and active`,
          [serviceCode],
        );
        if (!service) {
          throw badRequest(
            'UNKNOWN_SERVICE',
            `There is no service "${serviceCode}"; choose one from the list.`,
            {
              serviceCode,
            },
          );
        }
        await em.execute(
          `update intake.booking_session
              set service_code = ?, customer_name = ?, customer_phone = ?, notes = ?, deposit_cents = ?,
                  step = 'payment', furthest_step = ?, updated_at = now()
            where id = ?`,
          [
            serviceCode,
            customerName,
            e164,
            trimmedNotes,
            service.deposit_cents,
            laterStep(session.furthest_step, 'service'),
            id,
          ],
        );
        await recordFunnelStep(em, id, 'service');
        return { depositCents: service.deposit_cents, phone: e164 };
      });
    }),

    endpoint(intake.SessionPaymentIntent, async ({ id }) => {
      const session = await requireSession(readOnly(), id);
      checkStep(session, 'payment');
      const amountCents = session.deposit_cents;
      if (amountCents === null || !session.service_code) throw stepOutOfOrder('service');
      const [service] = await readOnly().execute<{ name: string }[]>(
        `select name from intake.catalog_service where code = ?`,
        [session.service_code],
      );
      const intent = await ctx.call(payments.DepositCreateIntent, {
        bookingId: id,
        amountCents,
        description: `${service?.name ?? session.service_code} deposit`,
      });
      await ctx.transaction(async (em) => {
        const current = await requireSession(em, id, true);
        checkStep(current, 'payment');
        if (current.deposit_cents !== intent.amountCents) {
          throw conflict(
            'BOOKING_CHANGED',
            'The booking changed while the deposit was being prepared; try again.',
          );
        }
        if (current.state === 'draft') {
          await em.execute(
            `update intake.booking_session
                set state = 'awaiting_payment', payment_intent_id = ?, furthest_step = ?, updated_at = now()
              where id = ?`,
            [intent.paymentIntentId, laterStep(current.furthest_step, 'payment'), id],
          );
        }
        await recordFunnelStep(em, id, 'payment');
      });
      return intent;
    }),

    endpoint(intake.SessionTestConfirm, async ({ id, paymentMethod }) => {
      const session = await requireSession(readOnly(), id);
      if (session.state === 'draft') throw stepOutOfOrder(session.step);
      if (session.state === 'completed') throw stepOutOfOrder('complete');
      const deposit = await ctx.call(payments.DepositTestConfirm, { bookingId: id, paymentMethod });
      return { status: deposit.stripeStatus };
    }),

    endpoint(intake.SessionComplete, async ({ id }) => {
      const session = await requireSession(readOnly(), id);
      if (session.state === 'completed' && session.tracking_token) {
        return { state: 'completed' as const, trackingToken: session.tracking_token };
      }
      checkStep(session, 'complete');
      // Stripe is asked, not the browser: only an authorized hold completes a booking.
      const deposit = await ctx.call(payments.DepositSync, { bookingId: id });
      if (deposit.status !== 'authorized' && deposit.status !== 'captured')
        throw depositNotAuthorized(deposit);
      const paymentIntentId = session.payment_intent_id ?? deposit.paymentIntentId;
      const completed = await ctx.transaction((em) => completeBooking(em, ctx.publish, id, paymentIntentId));
      const row: SessionRow = completed ?? (await requireSession(readOnly(), id));
      if (row.state !== 'completed' || !row.tracking_token) throw stepOutOfOrder(row.step);
      return { state: 'completed' as const, trackingToken: row.tracking_token };
    }),

    endpoint(intake.SessionGet, async ({ id, trackingToken }) => {
      const em = readOnly();
      if (id !== undefined) return toBookingView(await requireSession(em, id));
      if (trackingToken !== undefined) {
        const row = await findByTrackingToken(em, trackingToken);
        if (!row) throw new AppError(404, 'BOOKING_NOT_FOUND', 'No booking has this tracking link.');
        return toBookingView(row);
      }
      return sessionNotFound();
    }),
  ];
}

function depositNotAuthorized(deposit: payments.Deposit): AppError {
  const message =
    deposit.status === 'released' || deposit.status === 'failed'
      ? 'The deposit hold was canceled, so this booking cannot go ahead. Start a new booking.'
      : deposit.lastError
        ? `Your card was not authorized: ${deposit.lastError} Try another card.`
        : 'Your card has not been authorized yet. Confirm the deposit, then try again.';
  return conflict('DEPOSIT_NOT_AUTHORIZED', message, {
    depositStatus: deposit.status,
    stripeStatus: deposit.stripeStatus,
  });
}
