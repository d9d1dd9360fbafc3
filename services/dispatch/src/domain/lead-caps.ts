// A plumber's caps: lead counts per day, ISO week (Monday–Sunday) and calendar month, and spend per
// calendar month, each counted in the plumber's own time zone. Rules only; counting is store/lead-caps.ts.
import type { leads, registry } from '@trades/contracts';
import { dollars } from './lead-sale.ts';

export type Caps = registry.PlumberCaps;
export type CapKind = leads.CapKind;

/** What a plumber bought in the current windows (every sale CHARGING, ASSIGNED, COMPLETED or CREDITED). */
export interface CapUsage {
  today: number;
  thisWeek: number;
  thisMonth: number;
  spendThisMonthCents: number;
}

/** The current day, week and month in a time zone, as instants: each window is [start, end). */
export interface CapWindows {
  dayStart: Date;
  dayEnd: Date;
  weekStart: Date;
  weekEnd: Date;
  monthStart: Date;
  monthEnd: Date;
}

export const CAP_KINDS: readonly CapKind[] = ['daily', 'weekly', 'monthly', 'monthly_spend'];

const NO_USAGE: CapUsage = { today: 0, thisWeek: 0, thisMonth: 0, spendThisMonthCents: 0 };
export const noUsage = (): CapUsage => ({ ...NO_USAGE });

interface LocalDate {
  year: number;
  month: number; // 1–12
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall-clock reading in `timeZone` at `instant`, as if it were UTC (milliseconds). */
function wallClockMs(instant: Date, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return Date.UTC(
    parts['year'] ?? 1970,
    (parts['month'] ?? 1) - 1,
    parts['day'] ?? 1,
    parts['hour'] ?? 0,
    parts['minute'] ?? 0,
    parts['second'] ?? 0,
  );
}

function localDateOf(instant: Date, timeZone: string): LocalDate {
  const wall = new Date(wallClockMs(instant, timeZone));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

/**
 * The instant a local date begins in `timeZone`: its midnight, or, where a clock change skips midnight,
 * the first moment of the day that exists.
 */
export function startOfLocalDay(date: LocalDate, timeZone: string): Date {
  const wallMidnight = Date.UTC(date.year, date.month - 1, date.day);
  const offsetAt = (ms: number): number => wallClockMs(new Date(ms), timeZone) - ms;
  // Midnight read with the offset in force the day before and the day after (they differ on a day the
  // clocks change): the earliest reading that falls on the date is where the day begins. Where the
  // clocks jump over midnight (00:00 → 01:00), only the earlier offset lands on the date, at 01:00.
  const readings = [offsetAt(wallMidnight - 86_400_000), offsetAt(wallMidnight + 86_400_000)]
    .map((offset) => wallMidnight - offset)
    .filter((ms) => {
      const local = localDateOf(new Date(ms), timeZone);
      return local.year === date.year && local.month === date.month && local.day === date.day;
    });
  return new Date(readings.length > 0 ? Math.min(...readings) : wallMidnight - offsetAt(wallMidnight));
}

/** The local date `days` after `date` (calendar arithmetic, no time zone involved). */
function addDays(date: LocalDate, days: number): LocalDate {
  const moved = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: moved.getUTCFullYear(), month: moved.getUTCMonth() + 1, day: moved.getUTCDate() };
}

/** The current day, ISO week (from Monday) and calendar month at `now` in `timeZone`. */
export function capWindows(now: Date, timeZone: string): CapWindows {
  const today = localDateOf(now, timeZone);
  const weekday = new Date(Date.UTC(today.year, today.month - 1, today.day)).getUTCDay(); // 0 = Sunday
  const monday = addDays(today, -((weekday + 6) % 7));
  const firstOfMonth = { year: today.year, month: today.month, day: 1 };
  const firstOfNextMonth =
    today.month === 12
      ? { year: today.year + 1, month: 1, day: 1 }
      : { ...firstOfMonth, month: today.month + 1 };
  return {
    dayStart: startOfLocalDay(today, timeZone),
    dayEnd: startOfLocalDay(addDays(today, 1), timeZone),
    weekStart: startOfLocalDay(monday, timeZone),
    weekEnd: startOfLocalDay(addDays(monday, 7), timeZone),
    monthStart: startOfLocalDay(firstOfMonth, timeZone),
    monthEnd: startOfLocalDay(firstOfNextMonth, timeZone),
  };
}

/** The cap's limit (cents for monthly_spend); 0 = no cap. */
export function capLimit(caps: Caps, kind: CapKind): number {
  switch (kind) {
    case 'daily':
      return caps.dailyCap;
    case 'weekly':
      return caps.weeklyCap;
    case 'monthly':
      return caps.monthlyCap;
    case 'monthly_spend':
      return caps.monthlySpendCapCents;
  }
}

/** How much of the cap is used (cents for monthly_spend). */
export function capUsed(usage: CapUsage, kind: CapKind): number {
  switch (kind) {
    case 'daily':
      return usage.today;
    case 'weekly':
      return usage.thisWeek;
    case 'monthly':
      return usage.thisMonth;
    case 'monthly_spend':
      return usage.spendThisMonthCents;
  }
}

/** When the cap's window ends and it counts from zero again. */
export function capResetsAt(kind: CapKind, windows: CapWindows): Date {
  switch (kind) {
    case 'daily':
      return windows.dayEnd;
    case 'weekly':
      return windows.weekEnd;
    case 'monthly':
    case 'monthly_spend':
      return windows.monthEnd;
  }
}

/** When the cap's current window began (what a "once per window" notice is keyed by). */
export function capWindowStart(kind: CapKind, windows: CapWindows): Date {
  switch (kind) {
    case 'daily':
      return windows.dayStart;
    case 'weekly':
      return windows.weekStart;
    case 'monthly':
    case 'monthly_spend':
      return windows.monthStart;
  }
}

/**
 * The first cap one more sale at `priceCents` would take them over (count + 1 > cap, spend + price >
 * spend cap), or null when the sale fits every cap.
 */
export function capExceeded(caps: Caps, usage: CapUsage, priceCents: number): CapKind | null {
  for (const kind of CAP_KINDS) {
    const limit = capLimit(caps, kind);
    if (limit === 0) continue;
    const added = kind === 'monthly_spend' ? priceCents : 1;
    if (capUsed(usage, kind) + added > limit) return kind;
  }
  return null;
}

/** The caps they are at now: count == cap, or spend ≥ spend cap (they are offered nothing until it resets). */
export function capsReached(caps: Caps, usage: CapUsage): CapKind[] {
  return CAP_KINDS.filter((kind) => {
    const limit = capLimit(caps, kind);
    return limit > 0 && capUsed(usage, kind) >= limit;
  });
}

const CAP_NAME: Record<CapKind, string> = {
  daily: 'daily cap',
  weekly: 'weekly cap',
  monthly: 'monthly cap',
  monthly_spend: 'monthly spend cap',
};

const PERIOD: Record<CapKind, string> = {
  daily: 'today',
  weekly: 'this week',
  monthly: 'this month',
  monthly_spend: 'this month',
};

/** A local time a person reads: "Sat, Dec 5, 12:00 AM EST". */
export function localTime(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(instant);
}

/** Why a sale would take them over a cap, and when it resets, as an operator reads it. */
export function capSentence(
  name: string,
  kind: CapKind,
  caps: Caps,
  usage: CapUsage,
  windows: CapWindows,
): string {
  const limit = capLimit(caps, kind);
  const used = capUsed(usage, kind);
  const what =
    kind === 'monthly_spend'
      ? `has spent ${dollars(used)} of their ${CAP_NAME[kind]} of ${dollars(limit)} ${PERIOD[kind]}`
      : `has bought ${used} of their ${CAP_NAME[kind]} of ${limit} lead${limit === 1 ? '' : 's'} ${PERIOD[kind]}`;
  return `${name} ${what}; this lead would take them over it. It resets ${localTime(capResetsAt(kind, windows), caps.timeZone)} (${caps.timeZone}); raise the cap or sell it to someone else.`;
}
