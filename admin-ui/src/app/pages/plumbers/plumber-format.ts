import type { CapKind, CardStatus, Plumber } from '../../core/api-types';
import { formatCents } from '../../shared/format';

export const CARD_LABELS: Record<CardStatus, string> = {
  saved: 'Saved',
  none: 'No card',
  needs_update: 'Needs update',
};

export const CAP_LABELS: Record<CapKind, string> = {
  daily: 'daily cap',
  weekly: 'weekly cap',
  monthly: 'monthly cap',
  monthly_spend: 'monthly spend cap',
};

export function plumberName(plumber: Pick<Plumber, 'firstName' | 'lastName'>): string {
  return `${plumber.firstName} ${plumber.lastName}`.trim();
}

/** "12 ZIP codes" or "25 km around 94103". */
export function coverageText(plumber: Pick<Plumber, 'coverageZips' | 'radiusKm' | 'zipCode'>): string {
  const zips = plumber.coverageZips.length;
  if (zips === 0) return `${plumber.radiusKm} km around ${plumber.zipCode}`;
  return zips === 1 ? `ZIP ${plumber.coverageZips[0] ?? ''}` : `${zips} ZIP codes`;
}

export interface CapUsage {
  label: string;
  used: string;
  /** What they bought has reached the cap. */
  full: boolean;
}

/**
 * The caps a plumber set (0 = none) with what they used of each, in their time zone; usage is
 * absent when dispatch's stats could not be read.
 */
export function capUsage(plumber: Plumber): CapUsage[] {
  const usage = plumber.leadStats?.usage;
  const rows: CapUsage[] = [];
  const count = (label: string, cap: number, used: number | undefined): void => {
    if (cap <= 0) return;
    rows.push({
      label,
      used: used === undefined ? `cap ${cap}` : `${used} / ${cap}`,
      full: used !== undefined && used >= cap,
    });
  };
  count('Today', plumber.dailyCap, usage?.today);
  count('Week', plumber.weeklyCap, usage?.thisWeek);
  count('Month', plumber.monthlyCap, usage?.thisMonth);
  if (plumber.monthlySpendCapCents > 0) {
    const cap = formatCents(plumber.monthlySpendCapCents);
    rows.push({
      label: 'Spend',
      used: usage ? `${formatCents(usage.spendThisMonthCents)} / ${cap}` : `cap ${cap}`,
      full: !!usage && usage.spendThisMonthCents >= plumber.monthlySpendCapCents,
    });
  }
  return rows;
}
