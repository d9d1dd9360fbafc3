import { intake } from '@trades/contracts';
import type { EntityManager, ServiceContext } from '@trades/runtime';
import { newTrackingToken } from '../domain/session.ts';
import { recordFunnelStep, toBookingView, type SessionRow } from '../store/sessions.ts';

export type Publish = ServiceContext<unknown>['publish'];

/**
 * The one way a booking becomes complete, whether the customer pressed "complete" or Stripe's webhook
 * got there first: a conditional update from awaiting_payment, so the booking.ready event is written
 * exactly once, in the same transaction. Returns the completed row, or null when this call did not
 * complete it (already complete, or not awaiting this payment).
 */
export async function completeBooking(
  em: EntityManager,
  publish: Publish,
  sessionId: string,
  paymentIntentId: string,
): Promise<SessionRow | null> {
  const rows = await em.execute<SessionRow[]>(
    `update intake.booking_session
        set state = 'completed', step = 'complete', furthest_step = 'complete', tracking_token = ?,
            completed_at = now(), deposit_status = 'authorized', updated_at = now()
      where id = ? and state = 'awaiting_payment' and payment_intent_id = ?
      returning *`,
    [newTrackingToken(), sessionId, paymentIntentId],
  );
  const row = rows[0];
  if (!row) return null;
  const serviceNames = await em.execute<{ name: string }[]>(
    `select name from intake.catalog_service where code = ?`,
    [row.service_code],
  );
  const view = toBookingView(row);
  if (
    !row.tracking_token ||
    !row.service_code ||
    !row.customer_name ||
    !row.customer_phone ||
    !view.address ||
    row.deposit_cents === null
  ) {
    throw new Error(`booking ${row.id} reached completion without its service, customer or address`);
  }
  await publish(em, intake.BookingReady, {
    bookingId: row.id,
    trackingToken: row.tracking_token,
    serviceCode: row.service_code,
    serviceName: serviceNames[0]?.name ?? row.service_code,
    customer: { name: row.customer_name, phone: row.customer_phone },
    address: view.address,
    notes: row.notes,
    depositCents: row.deposit_cents,
    paymentIntentId,
    completedAt: new Date(row.completed_at ?? Date.now()).toISOString(),
  });
  await recordFunnelStep(em, row.id, 'complete');
  await publish(em, intake.BookingUpdated, { booking: view });
  return row;
}
