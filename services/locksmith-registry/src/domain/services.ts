import type { Static } from 'typebox';
import { PLUMBING_SERVICES, type registry } from '@trades/contracts';

type Trade = Static<typeof registry.Trade>;

/**
 * The catalog codes each trade can perform: the locksmith catalog lives in intake, the plumbing one in
 * the contracts (`PLUMBING_SERVICES`, what homeowners ask for and plumbers buy leads for).
 */
export const SERVICES_BY_TRADE: Record<Trade, readonly string[]> = {
  locksmith: ['home_lockout', 'car_lockout', 'business_lockout', 'lock_change', 'key_replacement'],
  plumber: PLUMBING_SERVICES.map((service) => service.code),
};

/** Codes in `services` the trade does not perform; empty when all are known. */
export function unknownServices(trade: Trade, services: readonly string[]): string[] {
  const known = SERVICES_BY_TRADE[trade];
  return services.filter((code) => !known.includes(code));
}

export const DEFAULT_RADIUS_KM = 15;
