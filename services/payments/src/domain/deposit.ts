import type { payments } from '@trades/contracts';

export type DepositStatus = payments.DepositStatus;

/** How far a deposit has gone; a status never moves to a lower rank. */
const RANK: Record<DepositStatus, number> = {
  pending: 0,
  failed: 0,
  authorized: 1,
  captured: 2,
  released: 2,
  partially_refunded: 3,
  refunded: 4,
};

export const CAPTURED_STATUSES: readonly DepositStatus[] = ['captured', 'partially_refunded', 'refunded'];

export interface DepositState {
  status: DepositStatus;
  stripeStatus: string;
  amountCents: number;
  capturedCents: number;
  refundedCents: number;
  lastError: string | null;
}

/** What Stripe says about the PaymentIntent, re-read from Stripe (never taken from a webhook body). */
export interface StripeFacts {
  stripeStatus: string;
  amountReceived: number;
  /** Unknown when the charge was not expanded in the read. */
  amountRefunded: number | null;
  lastError: string | null;
  cancellationReason: string | null;
}

export type DepositChange =
  | { kind: 'authorized' }
  | { kind: 'captured'; capturedCents: number }
  | { kind: 'released' }
  | { kind: 'refunded'; refundedCents: number; totalRefundedCents: number }
  | { kind: 'failed'; reason: string };

export function statusFromStripe(facts: StripeFacts): DepositStatus {
  switch (facts.stripeStatus) {
    case 'requires_capture':
      return 'authorized';
    case 'succeeded': {
      const refunded = facts.amountRefunded ?? 0;
      if (refunded > 0 && refunded >= facts.amountReceived) return 'refunded';
      return refunded > 0 ? 'partially_refunded' : 'captured';
    }
    case 'canceled':
      return 'released';
    default:
      return 'pending';
  }
}

/**
 * Folds what Stripe says into the deposit, never backwards, and names the changes that deserve an
 * event. Pure: the caller holds the row lock, writes `next` and publishes `changes`.
 */
export function reconcile(
  current: DepositState,
  facts: StripeFacts,
): { next: DepositState; changes: DepositChange[] } {
  const observed = statusFromStripe(facts);
  const moves = RANK[observed] > RANK[current.status];
  const status = moves ? observed : current.status;
  const capturedCents = Math.max(current.capturedCents, facts.amountReceived);
  const refundedCents = Math.min(capturedCents, Math.max(current.refundedCents, facts.amountRefunded ?? 0));
  const lastError = status === 'pending' ? (facts.lastError ?? current.lastError) : current.lastError;
  const next: DepositState = {
    status,
    stripeStatus:
      moves || RANK[observed] === RANK[current.status] ? facts.stripeStatus : current.stripeStatus,
    amountCents: current.amountCents,
    capturedCents,
    refundedCents,
    lastError,
  };

  const changes: DepositChange[] = [];
  const wasHeld = RANK[current.status] >= RANK.authorized;
  const isCaptured = CAPTURED_STATUSES.includes(status);
  const wasCaptured = CAPTURED_STATUSES.includes(current.status);
  if (!wasHeld && (status === 'authorized' || isCaptured)) changes.push({ kind: 'authorized' });
  if (isCaptured && !wasCaptured) changes.push({ kind: 'captured', capturedCents });
  if (status === 'released' && current.status !== 'released') changes.push({ kind: 'released' });
  if (refundedCents > current.refundedCents) {
    changes.push({
      kind: 'refunded',
      refundedCents: refundedCents - current.refundedCents,
      totalRefundedCents: refundedCents,
    });
  }
  if (status === 'pending' && facts.lastError && facts.lastError !== current.lastError) {
    changes.push({ kind: 'failed', reason: facts.lastError });
  }
  return { next, changes };
}

/**
 * True when `facts` add nothing to `current`: no change to announce and no field to write. A deposit
 * only moves forward (ranks, captured and refunded amounts only grow), so facts that add nothing to a
 * row as it was read add nothing to any later version of it either: such a read needs no row lock.
 */
export function addsNothing(current: DepositState, facts: StripeFacts): boolean {
  const { next, changes } = reconcile(current, facts);
  return (
    changes.length === 0 &&
    next.status === current.status &&
    next.stripeStatus === current.stripeStatus &&
    next.capturedCents === current.capturedCents &&
    next.refundedCents === current.refundedCents &&
    next.lastError === current.lastError
  );
}
