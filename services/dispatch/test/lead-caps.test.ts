import { describe, expect, it } from '@jest/globals';
import {
  capExceeded,
  capResetsAt,
  capsReached,
  capSentence,
  capWindows,
  capWindowStart,
  type Caps,
} from '../src/domain/lead-caps.ts';
import { LEAD_CLOSE_REASON, lateYesReason } from '../src/domain/lead-sale.ts';

const caps = (over: Partial<Caps> = {}): Caps => ({
  dailyCap: 0,
  weeklyCap: 0,
  monthlyCap: 0,
  monthlySpendCapCents: 0,
  timeZone: 'America/New_York',
  ...over,
});
const used = (today: number, thisWeek = today, thisMonth = thisWeek, spendThisMonthCents = 0) => ({
  today,
  thisWeek,
  thisMonth,
  spendThisMonthCents,
});

describe("a plumber's cap windows, in their time zone", () => {
  it('a day starts at local midnight: 00:30 UTC is still yesterday in New York, already today in Berlin', () => {
    const at = new Date('2026-03-04T00:30:00Z'); // a Wednesday in UTC
    expect(capWindows(at, 'America/New_York').dayStart.toISOString()).toBe('2026-03-03T05:00:00.000Z');
    expect(capWindows(at, 'America/New_York').dayEnd.toISOString()).toBe('2026-03-04T05:00:00.000Z');
    expect(capWindows(at, 'Europe/Berlin').dayStart.toISOString()).toBe('2026-03-03T23:00:00.000Z');
  });

  it('a week runs Monday to Sunday (ISO), a month is the calendar month', () => {
    const sunday = capWindows(new Date('2026-03-08T20:00:00Z'), 'America/Los_Angeles');
    expect(sunday.weekStart.toISOString()).toBe('2026-03-02T08:00:00.000Z'); // Monday 00:00 PST
    // The clocks go forward on 8 March: next Monday starts at 00:00 PDT.
    expect(sunday.weekEnd.toISOString()).toBe('2026-03-09T07:00:00.000Z');
    expect(sunday.monthStart.toISOString()).toBe('2026-03-01T08:00:00.000Z');
    expect(sunday.monthEnd.toISOString()).toBe('2026-04-01T07:00:00.000Z');
    const monday = capWindows(new Date('2026-03-09T07:00:00Z'), 'America/Los_Angeles');
    expect(monday.weekStart.toISOString()).toBe('2026-03-09T07:00:00.000Z');
    const december = capWindows(new Date('2026-12-31T12:00:00Z'), 'UTC');
    expect(december.monthEnd.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('a day the clocks change is 23 or 25 hours long', () => {
    const spring = capWindows(new Date('2026-03-08T12:00:00Z'), 'America/New_York');
    expect(spring.dayEnd.getTime() - spring.dayStart.getTime()).toBe(23 * 3_600_000);
    const autumn = capWindows(new Date('2026-11-01T12:00:00Z'), 'America/New_York');
    expect(autumn.dayEnd.getTime() - autumn.dayStart.getTime()).toBe(25 * 3_600_000);
  });

  it('where midnight does not exist (clocks jump 00:00 → 01:00), the day starts at 01:00', () => {
    // Santiago moves to summer time on 6 September 2026 at 00:00.
    const day = capWindows(new Date('2026-09-06T15:00:00Z'), 'America/Santiago');
    expect(day.dayStart.toISOString()).toBe('2026-09-06T04:00:00.000Z');
  });

  it('each cap resets when its window ends, and is noticed once per window start', () => {
    const windows = capWindows(new Date('2026-03-04T15:00:00Z'), 'America/New_York');
    expect(capResetsAt('daily', windows)).toEqual(windows.dayEnd);
    expect(capResetsAt('weekly', windows)).toEqual(windows.weekEnd);
    expect(capResetsAt('monthly_spend', windows)).toEqual(windows.monthEnd);
    expect(capWindowStart('monthly', windows)).toEqual(windows.monthStart);
  });
});

describe('which cap a sale would take a plumber over', () => {
  it('none when every cap is 0 (no cap)', () => {
    expect(capExceeded(caps(), used(500, 500, 500, 10_000_000), 4500)).toBeNull();
  });

  it('a count cap is exceeded by the sale past it, not the one reaching it', () => {
    expect(capExceeded(caps({ dailyCap: 3 }), used(2), 4500)).toBeNull();
    expect(capExceeded(caps({ dailyCap: 3 }), used(3), 4500)).toBe('daily');
    expect(capExceeded(caps({ dailyCap: 5, weeklyCap: 4 }), used(1, 4), 4500)).toBe('weekly');
    expect(capExceeded(caps({ monthlyCap: 10 }), used(0, 0, 10), 4500)).toBe('monthly');
  });

  it('the spend cap counts the price of this lead', () => {
    const spend = caps({ monthlySpendCapCents: 10_000 });
    expect(capExceeded(spend, used(0, 0, 0, 5_500), 4_500)).toBeNull();
    expect(capExceeded(spend, used(0, 0, 0, 5_600), 4_500)).toBe('monthly_spend');
  });

  it('the caps they are at: count equal to the cap, spend at or above it', () => {
    expect(capsReached(caps({ dailyCap: 3, weeklyCap: 10 }), used(3, 3))).toEqual(['daily']);
    expect(capsReached(caps({ monthlySpendCapCents: 9_000 }), used(2, 2, 2, 9_000))).toEqual([
      'monthly_spend',
    ]);
    expect(capsReached(caps({ dailyCap: 3 }), used(2))).toEqual([]);
  });

  it('says which cap and when it resets, in their time zone', () => {
    const windows = capWindows(new Date('2026-03-04T15:00:00Z'), 'America/New_York');
    const sentence = capSentence('Pat Plumber', 'daily', caps({ dailyCap: 3 }), used(3), windows);
    expect(sentence).toBe(
      'Pat Plumber has bought 3 of their daily cap of 3 leads today; this lead would take them over it. It resets Thu, Mar 5, 12:00 AM EST (America/New_York); raise the cap or sell it to someone else.',
    );
    const spend = capSentence(
      'Pat Plumber',
      'monthly_spend',
      caps({ monthlySpendCapCents: 10_000 }),
      used(1, 1, 1, 9_000),
      windows,
    );
    expect(spend).toContain('has spent $90.00 of their monthly spend cap of $100.00 this month');
  });

  it('a YES to an offer closed at a cap is told cap_reached', () => {
    expect(lateYesReason('CANCELED', LEAD_CLOSE_REASON.capReached)).toBe('cap_reached');
  });
});
