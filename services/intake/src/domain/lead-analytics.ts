import { badRequest } from '@trades/contracts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The period analytics cover when the operator names none. */
export const DEFAULT_ANALYTICS_DAYS = 30;
/** The longest period one answer covers: a day per row, two years of days at most. */
export const MAX_ANALYTICS_DAYS = 731;
export const DEFAULT_TIME_ZONE = 'UTC';

export interface AnalyticsPeriod {
  since: Date;
  until: Date;
}

/**
 * The half-open period [since, until) an analytics request covers: `to` defaults to now and `from` to 30
 * days before `to`; `from` must come before `to` (400 INVALID_PERIOD) and the period may not be longer
 * than two years (400 PERIOD_TOO_LONG).
 */
export function analyticsPeriod(
  from: string | undefined,
  to: string | undefined,
  now: Date = new Date(),
): AnalyticsPeriod {
  const until = to !== undefined ? new Date(to) : now;
  const since =
    from !== undefined ? new Date(from) : new Date(until.getTime() - DEFAULT_ANALYTICS_DAYS * DAY_MS);
  if (Number.isNaN(since.getTime()) || Number.isNaN(until.getTime()))
    throw badRequest('INVALID_PERIOD', '"from" and "to" must be ISO 8601 times, like 2026-01-31T00:00:00Z.');
  if (since.getTime() >= until.getTime())
    throw badRequest(
      'INVALID_PERIOD',
      to === undefined
        ? '"from" must be in the past (the period ends now when "to" is not given).'
        : '"from" must be before "to".',
    );
  if (until.getTime() - since.getTime() > MAX_ANALYTICS_DAYS * DAY_MS)
    throw badRequest(
      'PERIOD_TOO_LONG',
      `Ask for at most ${MAX_ANALYTICS_DAYS} days at a time; split a longer period in two.`,
    );
  return { since, until };
}
