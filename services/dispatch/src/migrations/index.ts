import type { MigrationObject } from '@trades/runtime';
import { Migration0001Initial } from './Migration0001Initial.ts';
import { Migration0002OneOpenJobPerLocksmith } from './Migration0002OneOpenJobPerLocksmith.ts';
import { Migration0003Leads } from './Migration0003Leads.ts';
import { Migration0004LeadOperations } from './Migration0004LeadOperations.ts';
import { Migration0005PlumberCaps } from './Migration0005PlumberCaps.ts';

/** Oldest first. Migrations are committed and never edited once released. */
export const migrations: MigrationObject[] = [
  { name: 'Dispatch0001Initial', class: Migration0001Initial },
  { name: 'Dispatch0002OneOpenJobPerLocksmith', class: Migration0002OneOpenJobPerLocksmith },
  { name: 'Dispatch0003Leads', class: Migration0003Leads },
  { name: 'Dispatch0004LeadOperations', class: Migration0004LeadOperations },
  { name: 'Dispatch0005PlumberCaps', class: Migration0005PlumberCaps },
];
