import { describe, expect, it } from '@jest/globals';
import { leads } from '@trades/contracts';
import {
  FOR_SALE_STATES,
  keepWaitingForHeld,
  LEAD_CLOSE_REASON,
  LEAD_TRANSITIONS,
  lateYesReason,
  leadChargeKey,
  leadTransitionProblem,
} from '../src/domain/lead-sale.ts';

describe('the lead sale state machine', () => {
  const legal: [leads.LeadSaleState, leads.LeadSaleState][] = [
    ['NEW', 'DISPATCHING'],
    ['NEW', 'CHARGING'],
    ['DISPATCHING', 'CHARGING'],
    ['DISPATCHING', 'OFFERED'],
    ['OFFERED', 'DISPATCHING'],
    ['OFFERED', 'CHARGING'],
    ['CHARGING', 'CHARGING'],
    ['CHARGING', 'ASSIGNED'],
    ['CHARGING', 'OFFERED'],
    ['CHARGING', 'DISPATCHING'],
    ['DISPATCHING', 'UNSOLD'],
    ['UNSOLD', 'CHARGING'],
    ['ASSIGNED', 'COMPLETED'],
    ['ASSIGNED', 'CREDITED'],
    ['COMPLETED', 'CREDITED'],
  ];

  it.each(legal)('allows %s → %s', (from, to) => {
    expect(leadTransitionProblem(from, to)).toBeUndefined();
  });

  it('refuses every other move with a sentence, and a sold lead is never sold again', () => {
    for (const from of leads.LEAD_SALE_STATES) {
      for (const to of leads.LEAD_SALE_STATES) {
        const allowed = legal.some(([f, t]) => f === from && t === to);
        expect(leadTransitionProblem(from, to) === undefined).toBe(allowed);
      }
    }
    expect(LEAD_TRANSITIONS.ASSIGNED).not.toContain('CHARGING');
    expect(LEAD_TRANSITIONS.COMPLETED).toEqual(['CREDITED']);
    expect(LEAD_TRANSITIONS.CREDITED).toEqual([]);
    expect(FOR_SALE_STATES).not.toContain('CHARGING');
    expect(FOR_SALE_STATES).not.toContain('CREDITED');
    expect(leadTransitionProblem('CREDITED', 'ASSIGNED')).toBe(
      'The lead is already CREDITED and cannot change any more.',
    );
    expect(leadTransitionProblem('COMPLETED', 'ASSIGNED')).toBe(
      'A lead that is COMPLETED cannot become ASSIGNED; from COMPLETED it can only become CREDITED.',
    );
  });

  it('tells a late YES why: sold, expired, or otherwise closed', () => {
    expect(lateYesReason('CANCELED', LEAD_CLOSE_REASON.sold)).toBe('lead_sold');
    expect(lateYesReason('EXPIRED', LEAD_CLOSE_REASON.expired)).toBe('offer_expired');
    expect(lateYesReason('DECLINED', LEAD_CLOSE_REASON.declined)).toBe('offer_closed');
    expect(lateYesReason('FAILED', LEAD_CLOSE_REASON.cardFailed)).toBe('offer_closed');
  });

  it('charges each plumber for a lead under one idempotency key', () => {
    expect(leadChargeKey('l1', 'p1')).toBe('lead-charge:l1:p1');
    expect(leadChargeKey('l1', 'p2')).not.toBe(leadChargeKey('l1', 'p1'));
  });

  it('waits for held plumbers no longer than the wave would have waited for replies', () => {
    expect(keepWaitingForHeld(null, 300)).toBe(true);
    expect(keepWaitingForHeld(0, 300)).toBe(true);
    expect(keepWaitingForHeld(299.9, 300)).toBe(true);
    expect(keepWaitingForHeld(300, 300)).toBe(false);
    expect(keepWaitingForHeld(4000, 300)).toBe(false);
  });
});
