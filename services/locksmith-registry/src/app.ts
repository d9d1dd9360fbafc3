import { createGeocoder, usZips } from '@trades/geo';
import { defineService } from '@trades/runtime';
import { Counter } from 'prom-client';
import Type from 'typebox';
import type { AddressGeocoder } from './geocoding.ts';
import type { ZipLookup } from './domain/plumber-fields.ts';
import { dispatchConsumer, smsConsumer } from './handlers/consumers.ts';
import { registryEndpoints } from './handlers/endpoints.ts';
import { paymentsConsumer, plumberEndpoints } from './handlers/plumbers.ts';
import { reconcileWhenDue } from './handlers/reconciliation.ts';
import { migrations } from './migrations/index.ts';

export interface RegistryOptions {
  /** Places provider addresses; by default `@trades/geo`'s geocoder for the environment. */
  geocoder?: AddressGeocoder;
  /** Finds a ZIP code's centre (plumbers' base and coverage); by default `@trades/geo`'s offline US ZIP data. */
  lookupZip?: ZipLookup;
}

/** Locksmith registry: providers, their services, location, coverage, availability and stats. */
export function createRegistryService(options: RegistryOptions = {}) {
  return defineService({
    name: 'registry',
    version: '0.1.0',
    description: 'Providers (locksmiths and plumbers): contact, services, coverage, availability, stats',
    schema: 'registry',
    config: {
      GOOGLE_MAPS_API_KEY: Type.Optional(
        Type.String({ description: 'Google geocoding; without it the offline US ZIP geocoder' }),
      ),
      REGISTRY_RECONCILE_EVERY_SECONDS: Type.Integer({
        minimum: 0,
        default: 60,
        description:
          'How often one replica compares the busy and pending-offer flags with dispatch and repairs them; 0: never',
      }),
      REGISTRY_RECONCILE_GRACE_SECONDS: Type.Integer({
        minimum: 0,
        default: 30,
        description: 'Changes dispatch made more recently than this are left to their events',
      }),
    },
    entities: [],
    migrations,
    setup: (ctx) => {
      const geocoder =
        options.geocoder ?? createGeocoder({ GOOGLE_MAPS_API_KEY: ctx.config.GOOGLE_MAPS_API_KEY });
      const lookupZip = options.lookupZip ?? ((zip: string) => usZips().lookup(zip));
      const repaired = new Counter({
        name: 'registry_flag_repairs_total',
        help: 'Busy and pending-offer flags the reconciliation with dispatch found wrong and repaired',
        labelNames: ['flag'],
        registers: [ctx.metrics.registry],
      });
      const everySeconds = ctx.config.REGISTRY_RECONCILE_EVERY_SECONDS;
      if (everySeconds > 0) {
        // Every replica ticks; the one that claims the period's row does the work (reconcileWhenDue).
        ctx.every('registry-reconcile', Math.min(everySeconds, 5) * 1000, () =>
          reconcileWhenDue(ctx, {
            everySeconds,
            graceMs: ctx.config.REGISTRY_RECONCILE_GRACE_SECONDS * 1000,
            onRepair: (repair) => repaired.inc({ flag: repair.flag }),
          }),
        );
      }
      return {
        endpoints: [...registryEndpoints(ctx, geocoder), ...plumberEndpoints(ctx, lookupZip)],
        consumers: [dispatchConsumer(), smsConsumer(ctx), paymentsConsumer()],
      };
    },
  });
}

export const registryService = createRegistryService();
