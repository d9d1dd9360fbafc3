import type { MigrationObject } from '@trades/runtime';
import { Migration0001Initial } from './Migration0001Initial.ts';
import { Migration0002StoredLocation } from './Migration0002StoredLocation.ts';
import { Migration0003BusyJobIndex } from './Migration0003BusyJobIndex.ts';
import { Migration0004JobProjection } from './Migration0004JobProjection.ts';
import { Migration0006Plumbers } from './Migration0006Plumbers.ts';
import { Migration0007LeadOffers } from './Migration0007LeadOffers.ts';
import { Migration0008PlumberCaps } from './Migration0008PlumberCaps.ts';

/** Oldest first. Migrations are committed and never edited once released. */
export const migrations: MigrationObject[] = [
  { name: 'Registry0001Initial', class: Migration0001Initial },
  { name: 'Registry0002StoredLocation', class: Migration0002StoredLocation },
  { name: 'Registry0003BusyJobIndex', class: Migration0003BusyJobIndex },
  { name: 'Registry0004JobProjection', class: Migration0004JobProjection },
  { name: 'Registry0006Plumbers', class: Migration0006Plumbers },
  { name: 'Registry0007LeadOffers', class: Migration0007LeadOffers },
  { name: 'Registry0008PlumberCaps', class: Migration0008PlumberCaps },
];
