import type { intake } from '@trades/contracts';

/**
 * The locksmith services customers can book, with the deposit held at booking and the price range shown
 * before they pay. Seeded by migration; operators change prices in the database, not in code.
 */
export const DEFAULT_CATALOG: intake.CatalogItem[] = [
  {
    code: 'home_lockout',
    name: 'Home lockout',
    description: 'Locked out of your house or apartment.',
    depositCents: 4900,
    priceMinCents: 9500,
    priceMaxCents: 19500,
  },
  {
    code: 'car_lockout',
    name: 'Car lockout',
    description: 'Keys locked inside your car.',
    depositCents: 4900,
    priceMinCents: 8500,
    priceMaxCents: 17500,
  },
  {
    code: 'business_lockout',
    name: 'Business lockout',
    description: 'Locked out of an office, shop or storage unit.',
    depositCents: 7900,
    priceMinCents: 12500,
    priceMaxCents: 29500,
  },
  {
    code: 'lock_change',
    name: 'Lock change or rekey',
    description: 'Rekey or replace a lock after a move, lost keys or a break-in.',
    depositCents: 3900,
    priceMinCents: 9000,
    priceMaxCents: 25000,
  },
  {
    code: 'key_replacement',
    name: 'Key replacement',
    description: 'Cut a new house key or program a replacement car key.',
    depositCents: 3900,
    priceMinCents: 6500,
    priceMaxCents: 30000,
  },
];
