import { notFound, payments } from '@trades/contracts';
import { defineService, endpoint } from '@trades/runtime';
import { migrations } from './migrations/index.ts';

interface DepositRow {
  booking_id: string;
  payment_intent_id: string;
  status: payments.DepositStatus;
  stripe_status: string;
  amount_cents: number;
  captured_cents: number;
  refunded_cents: number;
  last_error: string | null;
}

/** Payments: deposits (authorize, capture, release, refund) and provider charges, all through Stripe. */
export const paymentsService = defineService({
  name: 'payments',
  version: '0.1.0',
  description: 'Stripe deposits, captures, releases, refunds and provider charges',
  schema: 'payments',
  config: {},
  entities: [],
  migrations,
  setup: (ctx) => ({
    endpoints: [
      endpoint(payments.DepositGet, async ({ bookingId }) => {
        const [row] = await ctx.orm.em
          .fork()
          .execute<DepositRow[]>('select * from payments.deposit where booking_id = ?', [bookingId]);
        if (!row) throw notFound('DEPOSIT_NOT_FOUND', `No deposit exists for booking ${bookingId}.`);
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
      }),
    ],
    consumers: [],
  }),
});
