import { describe, expect, it } from '@jest/globals';
import {
  addsNothing,
  reconcile,
  statusFromStripe,
  type DepositState,
  type StripeFacts,
} from '../src/domain/deposit.ts';

const pending: DepositState = {
  status: 'pending',
  stripeStatus: 'requires_payment_method',
  amountCents: 4900,
  capturedCents: 0,
  refundedCents: 0,
  lastError: null,
};

const facts = (overrides: Partial<StripeFacts>): StripeFacts => ({
  stripeStatus: 'requires_payment_method',
  amountReceived: 0,
  amountRefunded: null,
  lastError: null,
  cancellationReason: null,
  ...overrides,
});

describe('folding what Stripe says into a deposit', () => {
  it('maps PaymentIntent states to deposit states', () => {
    expect(statusFromStripe(facts({ stripeStatus: 'requires_capture' }))).toBe('authorized');
    expect(statusFromStripe(facts({ stripeStatus: 'succeeded', amountReceived: 4900 }))).toBe('captured');
    expect(
      statusFromStripe(facts({ stripeStatus: 'succeeded', amountReceived: 4900, amountRefunded: 1000 })),
    ).toBe('partially_refunded');
    expect(
      statusFromStripe(facts({ stripeStatus: 'succeeded', amountReceived: 4900, amountRefunded: 4900 })),
    ).toBe('refunded');
    expect(statusFromStripe(facts({ stripeStatus: 'canceled' }))).toBe('released');
    expect(statusFromStripe(facts({ stripeStatus: 'requires_action' }))).toBe('pending');
  });

  it('announces an authorization once', () => {
    const first = reconcile(pending, facts({ stripeStatus: 'requires_capture' }));
    expect(first.next.status).toBe('authorized');
    expect(first.changes).toEqual([{ kind: 'authorized' }]);
    expect(reconcile(first.next, facts({ stripeStatus: 'requires_capture' })).changes).toEqual([]);
  });

  it('never moves backwards: a stale read of an earlier state changes nothing', () => {
    const captured = reconcile(pending, facts({ stripeStatus: 'succeeded', amountReceived: 4900 })).next;
    expect(captured).toMatchObject({ status: 'captured', capturedCents: 4900 });
    for (const stale of [
      facts({ stripeStatus: 'requires_capture' }),
      facts({ lastError: 'Your card was declined.' }),
    ]) {
      const { next, changes } = reconcile(captured, stale);
      expect(next).toEqual(captured);
      expect(changes).toEqual([]);
    }
  });

  it('reports a capture seen without its authorization as both', () => {
    const { changes } = reconcile(pending, facts({ stripeStatus: 'succeeded', amountReceived: 4900 }));
    expect(changes).toEqual([{ kind: 'authorized' }, { kind: 'captured', capturedCents: 4900 }]);
  });

  it('reports refunds by how much more was refunded', () => {
    const captured = reconcile(pending, facts({ stripeStatus: 'succeeded', amountReceived: 4900 })).next;
    const partly = reconcile(
      captured,
      facts({ stripeStatus: 'succeeded', amountReceived: 4900, amountRefunded: 1000 }),
    );
    expect(partly.changes).toEqual([{ kind: 'refunded', refundedCents: 1000, totalRefundedCents: 1000 }]);
    const fully = reconcile(
      partly.next,
      facts({ stripeStatus: 'succeeded', amountReceived: 4900, amountRefunded: 4900 }),
    );
    expect(fully.next.status).toBe('refunded');
    expect(fully.changes).toEqual([{ kind: 'refunded', refundedCents: 3900, totalRefundedCents: 4900 }]);
  });

  it('reports a new decline as a failure, and the same decline read again as nothing new', () => {
    const declined = reconcile(pending, facts({ lastError: 'Your card was declined.' }));
    expect(declined.next).toMatchObject({ status: 'pending', lastError: 'Your card was declined.' });
    expect(declined.changes).toEqual([{ kind: 'failed', reason: 'Your card was declined.' }]);
    expect(reconcile(declined.next, facts({ lastError: 'Your card was declined.' })).changes).toEqual([]);
  });

  it('releases a hold that Stripe canceled', () => {
    const authorized = reconcile(pending, facts({ stripeStatus: 'requires_capture' })).next;
    const { next, changes } = reconcile(
      authorized,
      facts({ stripeStatus: 'canceled', cancellationReason: 'abandoned' }),
    );
    expect(next.status).toBe('released');
    expect(changes).toEqual([{ kind: 'released' }]);
  });

  it('says a read adds nothing exactly when folding it would neither write nor announce anything', () => {
    const authorized = reconcile(pending, facts({ stripeStatus: 'requires_capture' })).next;
    expect(addsNothing(authorized, facts({ stripeStatus: 'requires_capture' }))).toBe(true);
    expect(addsNothing(pending, facts({ stripeStatus: 'requires_capture' }))).toBe(false);
    expect(addsNothing(authorized, facts({ stripeStatus: 'canceled' }))).toBe(false);
    // The same rank with another Stripe status is still something to write.
    expect(addsNothing(pending, facts({ stripeStatus: 'requires_action' }))).toBe(false);
  });

  it('never lets a read that adds nothing to a deposit move or announce anything on a later state of it', () => {
    // Why a read that confirms the row as read (unlocked) may skip the locked transaction: whatever was
    // committed meanwhile is a later state, and the read moves nothing there either. (Among the states
    // of a deposit still pending, Stripe's status text and the last error may move sideways; on a race
    // they show one read behind, until the next read.)
    const reads = [
      facts({}),
      facts({ lastError: 'Your card was declined.' }),
      facts({ stripeStatus: 'requires_action' }),
      facts({ stripeStatus: 'requires_capture' }),
      facts({ stripeStatus: 'canceled', cancellationReason: 'abandoned' }),
      facts({ stripeStatus: 'succeeded', amountReceived: 4900 }),
      facts({ stripeStatus: 'succeeded', amountReceived: 4900, amountRefunded: 1000 }),
      facts({ stripeStatus: 'succeeded', amountReceived: 4900, amountRefunded: 4900 }),
    ];
    const laterStates = (from: DepositState, depth: number): DepositState[] =>
      depth === 0
        ? [from]
        : [from, ...reads.flatMap((read) => laterStates(reconcile(from, read).next, depth - 1))];
    const counted = (state: DepositState) => ({
      status: state.status,
      capturedCents: state.capturedCents,
      refundedCents: state.refundedCents,
    });
    let checked = 0;
    for (const state of laterStates(pending, 2)) {
      for (const read of reads) {
        if (!addsNothing(state, read)) continue;
        for (const later of laterStates(state, 2)) {
          const { next, changes } = reconcile(later, read);
          expect({ read, changes, next: counted(next) }).toEqual({ read, changes: [], next: counted(later) });
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
