import type { MigrationObject } from '@trades/runtime';
import { Migration0001Initial } from './Migration0001Initial.ts';
import { Migration0003ProviderCards } from './Migration0003ProviderCards.ts';
import { Migration0004LeadCharges } from './Migration0004LeadCharges.ts';
import { Migration0005LeadCreditRefunds } from './Migration0005LeadCreditRefunds.ts';

/** Oldest first. Migrations are committed and never edited once released. */
export const migrations: MigrationObject[] = [
  { name: 'Payments0001Initial', class: Migration0001Initial },
  { name: 'Payments0003ProviderCards', class: Migration0003ProviderCards },
  { name: 'Payments0004LeadCharges', class: Migration0004LeadCharges },
  { name: 'Payments0005LeadCreditRefunds', class: Migration0005LeadCreditRefunds },
];
