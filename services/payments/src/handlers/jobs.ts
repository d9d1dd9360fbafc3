import { CONSUMERS, dispatch } from '@trades/contracts';
import { on, type ConsumerBinding, type EventContext } from '@trades/runtime';
import { CAPTURED_STATUSES } from '../domain/deposit.ts';
import { findDeposit } from '../store/deposits.ts';
import type { DepositOperations } from './deposits.ts';

/**
 * The deposit policy, driven by the job's life: capture when a locksmith is assigned; if the job fails
 * or is canceled, release the hold, and refund what a capture took. The customer is never charged for a
 * job nobody takes, whatever the order in which replicas handle a job's events, and however often.
 */
export function jobConsumers(deposits: DepositOperations): ConsumerBinding[] {
  async function onAssigned(data: dispatch.JobStateChangedData, { em, log }: EventContext): Promise<void> {
    const deposit = await findDeposit(em, data.bookingId);
    if (!deposit) {
      log.warn(
        { bookingId: data.bookingId },
        'job assigned for a booking without a deposit; nothing to capture',
      );
      return;
    }
    if (deposit.status !== 'authorized') {
      if (!CAPTURED_STATUSES.includes(deposit.status)) {
        log.warn(
          { bookingId: data.bookingId, status: deposit.status },
          'job assigned but the deposit holds nothing',
        );
      }
      return;
    }
    const after = await deposits.tryCapture(data.bookingId, deposit);
    if (!CAPTURED_STATUSES.includes(after.status)) {
      // Stripe refused: the hold was released first (the job ended meanwhile, its release won at
      // Stripe) or lapsed. Nothing will ever capture it, so the event is done, not dead-lettered.
      log.warn(
        { bookingId: data.bookingId, status: after.status, releaseReason: after.release_reason },
        'job assigned but the hold was gone when captured; nothing charged',
      );
    }
  }

  async function onEnded(data: dispatch.JobStateChangedData, { em, log }: EventContext): Promise<void> {
    const deposit = await findDeposit(em, data.bookingId);
    if (!deposit) return;
    const why = `job ${data.jobCode} ${data.state === 'FAILED' ? 'failed: no locksmith took it' : 'was canceled'}`;
    let settled = deposit;
    if (deposit.status === 'pending' || deposit.status === 'authorized' || deposit.status === 'failed') {
      // May find the PaymentIntent captured after all: a capture that got to Stripe first, its row not
      // updated yet (its answer lost, or another replica still waiting for it).
      settled = await deposits.release(data.bookingId, why, deposit);
    }
    // A row that says refunded is (a deposit only moves forward); one that says captured may be behind
    // Stripe, which refundRemainder reads again under the row lock.
    if (settled.status === 'captured' || settled.status === 'partially_refunded') {
      settled = await deposits.refundRemainder(data.bookingId, why, 'system');
    }
    log.info(
      { bookingId: data.bookingId, status: settled.status, refundedCents: settled.refunded_cents },
      'job ended; the deposit is released or refunded',
    );
  }

  return [
    {
      definition: CONSUMERS.paymentsJobs,
      // A job's events may run at once, here or on another replica, in any order: each handler asks
      // Stripe and folds its answer under the row lock, so none relies on another having finished.
      // Several at once, so a slow Stripe call for one booking does not hold up every other deposit.
      concurrency: 4,
      handlers: [
        on(dispatch.JobAssigned, onAssigned),
        on(dispatch.JobFailed, onEnded),
        on(dispatch.JobCanceled, onEnded),
      ],
    },
  ];
}
