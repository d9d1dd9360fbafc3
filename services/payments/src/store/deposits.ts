import { notFound, type payments } from '@trades/contracts';
import type { EntityManager } from '@trades/runtime';
import type { DepositState, DepositStatus } from '../domain/deposit.ts';

export interface DepositRow {
  booking_id: string;
  payment_intent_id: string;
  status: DepositStatus;
  stripe_status: string;
  amount_cents: number;
  captured_cents: number;
  refunded_cents: number;
  last_error: string | null;
  release_reason: string | null;
}

export async function findDeposit(
  em: EntityManager,
  bookingId: string,
  lock = false,
): Promise<DepositRow | null> {
  const rows = await em.execute<DepositRow[]>(
    `select * from payments.deposit where booking_id = ?${lock ? ' for update' : ''}`,
    [bookingId],
  );
  return rows[0] ?? null;
}

export async function requireDeposit(
  em: EntityManager,
  bookingId: string,
  lock = false,
): Promise<DepositRow> {
  const row = await findDeposit(em, bookingId, lock);
  if (!row) throw notFound('DEPOSIT_NOT_FOUND', `No deposit exists for booking ${bookingId}.`);
  return row;
}

export async function findDepositByIntent(
  em: EntityManager,
  paymentIntentId: string,
): Promise<DepositRow | null> {
  const rows = await em.execute<DepositRow[]>(`select * from payments.deposit where payment_intent_id = ?`, [
    paymentIntentId,
  ]);
  return rows[0] ?? null;
}

export async function saveDepositState(
  em: EntityManager,
  bookingId: string,
  state: DepositState,
): Promise<void> {
  await em.execute(
    `update payments.deposit
        set status = ?, stripe_status = ?, captured_cents = ?, refunded_cents = ?, last_error = ?, updated_at = now()
      where booking_id = ?`,
    [state.status, state.stripeStatus, state.capturedCents, state.refundedCents, state.lastError, bookingId],
  );
}

export function toState(row: DepositRow): DepositState {
  return {
    status: row.status,
    stripeStatus: row.stripe_status,
    amountCents: row.amount_cents,
    capturedCents: row.captured_cents,
    refundedCents: row.refunded_cents,
    lastError: row.last_error,
  };
}

export function toDeposit(row: DepositRow): payments.Deposit {
  return {
    bookingId: row.booking_id,
    paymentIntentId: row.payment_intent_id,
    status: row.status,
    stripeStatus: row.stripe_status,
    amountCents: row.amount_cents,
    capturedCents: row.captured_cents,
    refundedCents: row.refunded_cents,
    lastError: row.last_error,
  };
}
