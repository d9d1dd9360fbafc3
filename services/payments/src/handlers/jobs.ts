import { CONSUMERS, dispatch } from '@trades/contracts';
import { on, type ConsumerBinding, type EventContext } from '@trades/runtime';
import { CAPTURED_STATUSES } from '../domain/deposit.ts';
import { findDeposit } from '../store/deposits.ts';
import type { DepositOperations } from './deposits.ts';

/**
 * The deposit policy, driven by the job's life: capture when a locksmith is assigned; if the job fails
 * or is canceled, release the hold, or refund in full when it was already captured. The customer is
 * never charged for a job nobody takes.
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
    await deposits.capture(data.bookingId, deposit);
  }

  async function onEnded(data: dispatch.JobStateChangedData, { em, log }: EventContext): Promise<void> {
    const deposit = await findDeposit(em, data.bookingId);
    if (!deposit) return;
    const why = `job ${data.jobCode} ${data.state === 'FAILED' ? 'failed: no locksmith took it' : 'was canceled'}`;
    if (deposit.status === 'pending' || deposit.status === 'authorized' || deposit.status === 'failed') {
      await deposits.release(data.bookingId, why, deposit);
    } else if (
      CAPTURED_STATUSES.includes(deposit.status) &&
      deposit.refunded_cents < deposit.captured_cents
    ) {
      await deposits.refund(data.bookingId, undefined, why, 'system');
    } else {
      log.info(
        { bookingId: data.bookingId, status: deposit.status },
        'job ended; the deposit is already settled',
      );
    }
  }

  return [
    {
      definition: CONSUMERS.paymentsJobs,
      handlers: [
        on(dispatch.JobAssigned, onAssigned),
        on(dispatch.JobFailed, onEnded),
        on(dispatch.JobCanceled, onEnded),
      ],
    },
  ];
}
