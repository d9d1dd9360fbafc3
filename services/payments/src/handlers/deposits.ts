import { AppError, conflict, badRequest, notFound, payments } from '@trades/contracts';
import type { EntityManager, ServiceContext } from '@trades/runtime';
import Stripe from 'stripe';
import {
  addsNothing,
  CAPTURED_STATUSES,
  reconcile,
  type DepositChange,
  type StripeFacts,
} from '../domain/deposit.ts';
import {
  findDeposit,
  requireDeposit,
  saveDepositState,
  toDeposit,
  toState,
  type DepositRow,
} from '../store/deposits.ts';

export interface StripeSettings {
  stripe: Stripe;
  /** True against the local emulator (STRIPE_API_BASE set): test payment methods may be confirmed server-side. */
  emulator: boolean;
  publishableKey: string | undefined;
  webhookSecret: string;
}

/** Marks what the Stripe PaymentIntent is for, so a webhook can find its booking even before our row exists. */
export const PURPOSE = 'booking_deposit';

export function factsOf(intent: Stripe.PaymentIntent): StripeFacts {
  const charge = intent.latest_charge;
  return {
    stripeStatus: intent.status,
    amountReceived: intent.amount_received,
    amountRefunded: charge !== null && typeof charge === 'object' ? charge.amount_refunded : null,
    lastError: intent.last_payment_error?.message ?? null,
    cancellationReason: intent.cancellation_reason ?? null,
  };
}

/**
 * Deposit operations: every Stripe call carries an idempotency key derived from the booking and the
 * action, and every state change is a locked read-modify-write of the deposit row with its events in
 * the same transaction.
 */
export function depositOperations(ctx: ServiceContext<unknown>, settings: StripeSettings) {
  const { stripe } = settings;

  async function readIntent(paymentIntentId: string): Promise<Stripe.PaymentIntent> {
    return stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge'] });
  }

  async function publishChanges(
    em: EntityManager,
    row: DepositRow,
    changes: DepositChange[],
    releaseReason: string,
  ) {
    const base = {
      bookingId: row.booking_id,
      paymentIntentId: row.payment_intent_id,
      amountCents: row.amount_cents,
    };
    for (const change of changes) {
      switch (change.kind) {
        case 'authorized':
          await ctx.publish(em, payments.DepositAuthorized, base);
          break;
        case 'captured':
          await ctx.publish(em, payments.DepositCaptured, { ...base, capturedCents: change.capturedCents });
          break;
        case 'released':
          await ctx.publish(em, payments.DepositReleased, { ...base, reason: releaseReason });
          break;
        case 'refunded':
          await ctx.publish(em, payments.DepositRefunded, {
            ...base,
            refundedCents: change.refundedCents,
            totalRefundedCents: change.totalRefundedCents,
            reason: 'refunded in Stripe',
          });
          break;
        case 'failed':
          await ctx.publish(em, payments.DepositFailed, { ...base, reason: change.reason, code: null });
          break;
      }
    }
  }

  /** True when a read of the PaymentIntent tells nothing the deposit row (as read, unlocked) does not already say. */
  function confirms(row: DepositRow, intent: Stripe.PaymentIntent): boolean {
    return addsNothing(toState(row), factsOf(intent));
  }

  /** Folds a fresh read of the PaymentIntent into the deposit row, inside `em`'s transaction. */
  async function applyIntent(
    em: EntityManager,
    bookingId: string,
    intent: Stripe.PaymentIntent,
    releaseReason?: string,
  ): Promise<DepositRow> {
    return foldLocked(em, await requireDeposit(em, bookingId, true), intent, releaseReason);
  }

  /** Folds `intent` into `row`, which `em`'s transaction holds locked. */
  async function foldLocked(
    em: EntityManager,
    row: DepositRow,
    intent: Stripe.PaymentIntent,
    releaseReason?: string,
  ): Promise<DepositRow> {
    if (confirms(row, intent)) return row;
    const { next, changes } = reconcile(toState(row), factsOf(intent));
    await saveDepositState(em, row.booking_id, next);
    const reason =
      releaseReason ??
      row.release_reason ??
      `Stripe canceled the PaymentIntent (${intent.cancellation_reason ?? 'no reason given'})`;
    await publishChanges(em, row, changes, reason);
    return { ...row, ...rowOf(next) };
  }

  /**
   * Folds a read of the PaymentIntent into the deposit `seen` (read before that read). Most reads only
   * confirm what the row says (the webhook for a confirm already folded in, a sync after nothing
   * happened): those need no transaction, since a deposit only moves forward (see `addsNothing`).
   */
  async function fold(
    seen: DepositRow,
    intent: Stripe.PaymentIntent,
    releaseReason?: string,
  ): Promise<DepositRow> {
    if (confirms(seen, intent)) return seen;
    return ctx.transaction((em) => applyIntent(em, seen.booking_id, intent, releaseReason));
  }

  async function sync(bookingId: string, releaseReason?: string): Promise<DepositRow> {
    const row = await requireDeposit(ctx.orm.em.fork(), bookingId);
    return fold(row, await readIntent(row.payment_intent_id), releaseReason);
  }

  async function createIntent(request: {
    bookingId: string;
    amountCents: number;
    description: string;
  }): Promise<{
    paymentIntentId: string;
    clientSecret: string;
    amountCents: number;
    mode: 'stripe' | 'emulator';
    publishableKey?: string;
  }> {
    const existing = await findDeposit(ctx.orm.em.fork(), request.bookingId);
    let intent: Stripe.PaymentIntent;
    if (existing) {
      if (existing.amount_cents !== request.amountCents) {
        throw conflict(
          'DEPOSIT_AMOUNT_CHANGED',
          'A deposit for a different amount already exists for this booking.',
        );
      }
      if (existing.status !== 'pending' && existing.status !== 'authorized') {
        throw conflict(
          'DEPOSIT_CLOSED',
          `The deposit for this booking is ${existing.status}; start a new booking.`,
        );
      }
      intent = await stripe.paymentIntents.retrieve(existing.payment_intent_id);
    } else {
      intent = await stripe.paymentIntents.create(
        {
          amount: request.amountCents,
          currency: 'usd',
          capture_method: 'manual',
          description: request.description,
          metadata: { booking_id: request.bookingId, purpose: PURPOSE },
        },
        { idempotencyKey: `deposit-intent:${request.bookingId}:${request.amountCents}` },
      );
      await ctx.orm.em.fork().execute(
        `insert into payments.deposit (booking_id, payment_intent_id, status, stripe_status, amount_cents)
           values (?, ?, 'pending', ?, ?) on conflict (booking_id) do nothing`,
        [request.bookingId, intent.id, intent.status, request.amountCents],
      );
    }
    if (!intent.client_secret) throw new Error(`PaymentIntent ${intent.id} has no client secret`);
    return {
      paymentIntentId: intent.id,
      clientSecret: intent.client_secret,
      amountCents: intent.amount,
      mode: settings.emulator ? 'emulator' : 'stripe',
      ...(settings.publishableKey ? { publishableKey: settings.publishableKey } : {}),
    };
  }

  async function testConfirm(bookingId: string, paymentMethod: string): Promise<DepositRow> {
    if (!settings.emulator) {
      throw notFound(
        'NOT_AVAILABLE',
        'Test confirmation is only available against the local Stripe emulator.',
      );
    }
    const row = await requireDeposit(ctx.orm.em.fork(), bookingId);
    if (row.status !== 'pending') return sync(bookingId);
    let confirmed: Stripe.PaymentIntent;
    try {
      // Stripe answers a confirm with the PaymentIntent as it now is; that answer is folded in directly
      // instead of being read again.
      confirmed = await stripe.paymentIntents.confirm(
        row.payment_intent_id,
        { payment_method: paymentMethod, expand: ['latest_charge'] },
        { idempotencyKey: `deposit-confirm:${bookingId}:${paymentMethod}` },
      );
    } catch (error) {
      if (error instanceof Stripe.errors.StripeCardError) {
        const declined = await sync(bookingId);
        throw new AppError(402, 'CARD_DECLINED', error.message || 'Your card was declined.', {
          declineCode: error.decline_code ?? null,
          depositStatus: declined.status,
        });
      }
      if (error instanceof Stripe.errors.StripeInvalidRequestError) {
        throw badRequest('INVALID_PAYMENT_METHOD', error.message);
      }
      throw error;
    }
    return fold(row, confirmed);
  }

  /**
   * Asks Stripe to capture an authorized hold (once: Stripe's idempotency key guards it) and folds in
   * what Stripe then says. Returns the deposit as it ends up: captured (by this call or an earlier one),
   * or still uncaptured when the hold was gone (a release that got to Stripe first, a lapsed
   * authorization): the caller decides whether that is an error.
   */
  async function tryCapture(bookingId: string, known?: DepositRow): Promise<DepositRow> {
    const row = known ?? (await requireDeposit(ctx.orm.em.fork(), bookingId));
    if (row.status !== 'authorized') return row;
    try {
      await stripe.paymentIntents.capture(
        row.payment_intent_id,
        {},
        { idempotencyKey: `deposit-capture:${bookingId}` },
      );
    } catch (error) {
      // Captured by an earlier attempt, or canceled or expired meanwhile: Stripe's own state decides below.
      if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
      ctx.log.warn(
        { bookingId, code: error.code },
        'Stripe refused the capture; re-reading the PaymentIntent',
      );
    }
    return sync(bookingId);
  }

  /** Captures an authorized hold once; 409 when there is no hold to capture. */
  async function capture(bookingId: string, known?: DepositRow): Promise<DepositRow> {
    const row = known ?? (await requireDeposit(ctx.orm.em.fork(), bookingId));
    if (CAPTURED_STATUSES.includes(row.status)) return row;
    if (row.status !== 'authorized') {
      throw conflict(
        'DEPOSIT_NOT_CAPTURABLE',
        `The deposit is ${row.status}, so there is no hold to capture.`,
      );
    }
    const after = await tryCapture(bookingId, row);
    if (!CAPTURED_STATUSES.includes(after.status)) {
      throw conflict('DEPOSIT_NOT_CAPTURABLE', `The deposit could not be captured; it is ${after.status}.`);
    }
    return after;
  }

  /**
   * Releases a hold that was never captured (nothing is charged). Returns the deposit as Stripe then
   * has it: released, or captured when a capture got to Stripe first (refund it then).
   */
  async function release(bookingId: string, reason: string, known?: DepositRow): Promise<DepositRow> {
    const row = known ?? (await requireDeposit(ctx.orm.em.fork(), bookingId));
    if (row.status === 'released') return row;
    if (row.status !== 'pending' && row.status !== 'authorized' && row.status !== 'failed') {
      throw conflict(
        'DEPOSIT_ALREADY_CAPTURED',
        `The deposit is ${row.status}; refund it instead of releasing it.`,
      );
    }
    // Kept first, so whichever of this call and Stripe's canceled webhook folds the cancellation in
    // announces the release with this reason.
    await ctx.orm.em
      .fork()
      .execute(
        `update payments.deposit set release_reason = coalesce(release_reason, ?) where booking_id = ?`,
        [reason, bookingId],
      );
    try {
      await stripe.paymentIntents.cancel(
        row.payment_intent_id,
        { cancellation_reason: 'abandoned' },
        { idempotencyKey: `deposit-release:${bookingId}` },
      );
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
      ctx.log.warn(
        { bookingId, code: error.code },
        'Stripe refused the cancel; re-reading the PaymentIntent',
      );
    }
    return sync(bookingId, reason);
  }

  /**
   * Locks the deposit's row and folds a fresh read of the PaymentIntent into it, so that what a refund
   * computes from (captured, refunded so far) is what Stripe has, even after an answer that was lost.
   */
  async function lockAsStripeHasIt(em: EntityManager, bookingId: string): Promise<DepositRow> {
    const row = await requireDeposit(em, bookingId, true);
    return foldLocked(em, row, await readIntent(row.payment_intent_id));
  }

  /**
   * Refunds `amount` of the locked `row` at Stripe, records it and announces it, in `em`'s transaction.
   * Keyed by what was refunded before, so a retry of this refund replays it and the next one is new.
   */
  async function refundLocked(
    em: EntityManager,
    row: DepositRow,
    amount: number,
    reason: string,
    actor: string,
  ): Promise<DepositRow> {
    const bookingId = row.booking_id;
    const created = await stripe.refunds.create(
      {
        payment_intent: row.payment_intent_id,
        amount,
        reason: 'requested_by_customer',
        metadata: { booking_id: bookingId, reason: reason.slice(0, 490), actor: actor.slice(0, 490) },
      },
      { idempotencyKey: `deposit-refund:${bookingId}:${row.refunded_cents}:${amount}` },
    );
    await em.execute(
      `insert into payments.deposit_refund (stripe_refund_id, booking_id, amount_cents, reason, actor)
       values (?, ?, ?, ?, ?) on conflict do nothing`,
      [created.id, bookingId, amount, reason, actor],
    );
    const refundedCents = row.refunded_cents + amount;
    const status = refundedCents >= row.captured_cents ? 'refunded' : 'partially_refunded';
    await saveDepositState(em, bookingId, { ...toState(row), status, refundedCents });
    await ctx.publish(em, payments.DepositRefunded, {
      bookingId,
      paymentIntentId: row.payment_intent_id,
      amountCents: row.amount_cents,
      refundedCents: amount,
      totalRefundedCents: refundedCents,
      reason,
    });
    return { ...row, status, refunded_cents: refundedCents };
  }

  /** Refunds some or all of what was captured; the row lock serialises refunds of one deposit. */
  async function refund(
    bookingId: string,
    amountCents: number | undefined,
    reason: string,
    actor: string,
  ): Promise<DepositRow> {
    return ctx.transaction(async (em) => {
      const row = await lockAsStripeHasIt(em, bookingId);
      if (!CAPTURED_STATUSES.includes(row.status)) {
        throw conflict(
          'DEPOSIT_NOT_CAPTURED',
          `The deposit is ${row.status}; only a captured deposit can be refunded.`,
        );
      }
      const remaining = row.captured_cents - row.refunded_cents;
      const amount = amountCents ?? remaining;
      if (remaining <= 0)
        throw conflict('DEPOSIT_FULLY_REFUNDED', 'The deposit has already been refunded in full.');
      if (amount > remaining) {
        throw badRequest('REFUND_TOO_LARGE', `At most ${remaining} cents can still be refunded.`, {
          remainingCents: remaining,
        });
      }
      return refundLocked(em, row, amount, reason, actor);
    });
  }

  /**
   * Gives back whatever of a captured deposit is not refunded yet (a job that ended after its capture).
   * Under the row lock and after a fresh read, so any number of replicas and redeliveries refund it once:
   * finding nothing left (refunded by a racing call, an operator, or an attempt whose answer was lost)
   * is done, not an error. A deposit that is not captured is returned as it is.
   */
  async function refundRemainder(bookingId: string, reason: string, actor: string): Promise<DepositRow> {
    return ctx.transaction(async (em) => {
      const row = await lockAsStripeHasIt(em, bookingId);
      const remaining = row.captured_cents - row.refunded_cents;
      if (!CAPTURED_STATUSES.includes(row.status) || remaining <= 0) return row;
      return refundLocked(em, row, remaining, reason, actor);
    });
  }

  return {
    readIntent,
    confirms,
    applyIntent,
    sync,
    createIntent,
    testConfirm,
    tryCapture,
    capture,
    release,
    refund,
    refundRemainder,
    toDeposit,
  };
}

export type DepositOperations = ReturnType<typeof depositOperations>;

function rowOf(state: ReturnType<typeof toState>): Partial<DepositRow> {
  return {
    status: state.status,
    stripe_status: state.stripeStatus,
    captured_cents: state.capturedCents,
    refunded_cents: state.refundedCents,
    last_error: state.lastError,
  };
}
