import type { PlumberForLead } from '../../../core/api-types';
import { blockers, warnings } from './sell-dialog';

const plumber = (overrides: Partial<PlumberForLead> = {}): PlumberForLead => ({
  plumberId: 'a0000000-0000-4000-8000-00000000000a',
  name: 'Kim Flow',
  phone: '+14155550188',
  distanceKm: 3.2,
  cardStatus: 'saved',
  status: 'active',
  available: true,
  covers: true,
  buysService: true,
  dailyCap: 3,
  weeklyCap: 0,
  monthlyCap: 0,
  monthlySpendCapCents: 0,
  timeZone: 'America/Los_Angeles',
  usage: { today: 1, thisWeek: 1, thisMonth: 1, spendThisMonthCents: 4500, atCap: null },
  ...overrides,
});

describe('who can buy a lead from an operator', () => {
  it('lets an active plumber with a card and room under their caps buy', () => {
    expect(blockers(plumber())).toEqual([]);
    expect(warnings(plumber())).toEqual([]);
  });

  it('says why the sale would be refused: account, card, cap', () => {
    expect(blockers(plumber({ status: 'paused' }))).toEqual(['Their account is paused.']);
    expect(blockers(plumber({ cardStatus: 'needs_update' }))).toEqual([
      'Their card failed and needs updating.',
    ]);
    expect(
      blockers(
        plumber({
          usage: { today: 0, thisWeek: 0, thisMonth: 9, spendThisMonthCents: 0, atCap: 'monthly_spend' },
        }),
      ),
    ).toEqual(['They are at their monthly spend cap.']);
    // Usage unknown (dispatch did not answer): the sale is tried and dispatch decides.
    expect(blockers(plumber({ usage: null }))).toEqual([]);
  });

  it('warns without blocking when the lead is outside what they buy or they paused offers', () => {
    expect(warnings(plumber({ covers: false, buysService: false, available: false }))).toEqual([
      "The lead's ZIP is outside their coverage.",
      'They do not list this service.',
      'They paused their lead offers.',
    ]);
    expect(blockers(plumber({ covers: false, buysService: false, available: false }))).toEqual([]);
  });
});
