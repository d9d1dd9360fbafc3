import { payments } from '@trades/contracts';
import { endpoint, type EndpointBinding, type ServiceContext } from '@trades/runtime';
import { requireDeposit, toDeposit } from '../store/deposits.ts';
import type { DepositOperations } from './deposits.ts';

export function depositEndpoints(
  ctx: ServiceContext<unknown>,
  deposits: DepositOperations,
): EndpointBinding[] {
  return [
    endpoint(payments.DepositCreateIntent, (request) => deposits.createIntent(request)),
    endpoint(payments.DepositGet, async ({ bookingId }) =>
      toDeposit(await requireDeposit(ctx.orm.em.fork(), bookingId)),
    ),
    endpoint(payments.DepositSync, async ({ bookingId }) => toDeposit(await deposits.sync(bookingId))),
    endpoint(payments.DepositTestConfirm, async ({ bookingId, paymentMethod }) =>
      toDeposit(await deposits.testConfirm(bookingId, paymentMethod)),
    ),
    endpoint(payments.DepositCapture, async ({ bookingId }) => toDeposit(await deposits.capture(bookingId))),
    endpoint(payments.DepositRelease, async ({ bookingId, reason }) =>
      toDeposit(await deposits.release(bookingId, reason)),
    ),
    endpoint(payments.DepositRefund, async ({ bookingId, amountCents, reason, actor }) =>
      toDeposit(await deposits.refund(bookingId, amountCents, reason, actor)),
    ),
  ];
}
