import type { MigrationObject } from '@trades/runtime';
import { Migration0001Initial } from './Migration0001Initial.ts';
import { Migration0002Leads } from './Migration0002Leads.ts';
import { Migration0003LeadStatus } from './Migration0003LeadStatus.ts';
import { Migration0004LeadOperations } from './Migration0004LeadOperations.ts';
import { Migration0005LeadAnalytics } from './Migration0005LeadAnalytics.ts';

/** Oldest first. Migrations are committed and never edited once released. */
export const migrations: MigrationObject[] = [
  { name: 'Intake0001Initial', class: Migration0001Initial },
  { name: 'Intake0002Leads', class: Migration0002Leads },
  { name: 'Intake0003LeadStatus', class: Migration0003LeadStatus },
  { name: 'Intake0004LeadOperations', class: Migration0004LeadOperations },
  { name: 'Intake0005LeadAnalytics', class: Migration0005LeadAnalytics },
];
