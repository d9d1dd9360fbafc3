import type { MigrationObject } from '@trades/runtime';
import { Migration0001Initial } from './Migration0001Initial.ts';
import { Migration0002AwaitingRegistry } from './Migration0002AwaitingRegistry.ts';
import { Migration0003CanceledStatus } from './Migration0003CanceledStatus.ts';
import { Migration0004SendLease } from './Migration0004SendLease.ts';
import { Migration0005Email } from './Migration0005Email.ts';

/** Oldest first. Migrations are committed and never edited once released. */
export const migrations: MigrationObject[] = [
  { name: 'Messaging0001Initial', class: Migration0001Initial },
  { name: 'Messaging0002AwaitingRegistry', class: Migration0002AwaitingRegistry },
  { name: 'Messaging0003CanceledStatus', class: Migration0003CanceledStatus },
  { name: 'Messaging0004SendLease', class: Migration0004SendLease },
  { name: 'Messaging0005Email', class: Migration0005Email },
];
