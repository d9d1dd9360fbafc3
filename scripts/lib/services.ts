import type { ServiceDefinition } from '@trades/runtime';
import type { TProperties } from 'typebox';
import { dispatchService } from '@trades/dispatch';
import { intakeService } from '@trades/intake';
import { registryService } from '@trades/locksmith-registry';
import { messagingService } from '@trades/messaging';
import { paymentsService } from '@trades/payments';

/** Every deployable service: its folder under services/, its definition, and its health port. */
export const SERVICES: readonly {
  dir: string;
  definition: ServiceDefinition<TProperties>;
  httpPort: number;
}[] = [
  { dir: 'intake', definition: intakeService, httpPort: 9101 },
  { dir: 'dispatch', definition: dispatchService, httpPort: 9102 },
  { dir: 'messaging', definition: messagingService, httpPort: 9103 },
  { dir: 'payments', definition: paymentsService, httpPort: 9104 },
  { dir: 'locksmith-registry', definition: registryService, httpPort: 9105 },
];
