import { createGeocoder, usZips } from '@trades/geo';
import { defineService } from '@trades/runtime';
import Type from 'typebox';
import type { AddressGeocoder } from './geocoding.ts';
import type { ZipLookup } from './domain/plumber-fields.ts';
import { dispatchConsumer, smsConsumer } from './handlers/consumers.ts';
import { registryEndpoints } from './handlers/endpoints.ts';
import { paymentsConsumer, plumberEndpoints } from './handlers/plumbers.ts';
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
    },
    entities: [],
    migrations,
    setup: (ctx) => {
      const geocoder =
        options.geocoder ?? createGeocoder({ GOOGLE_MAPS_API_KEY: ctx.config.GOOGLE_MAPS_API_KEY });
      const lookupZip = options.lookupZip ?? ((zip: string) => usZips().lookup(zip));
      return {
        endpoints: [...registryEndpoints(ctx, geocoder), ...plumberEndpoints(ctx, lookupZip)],
        consumers: [dispatchConsumer(), smsConsumer(ctx), paymentsConsumer()],
      };
    },
  });
}

export const registryService = createRegistryService();
