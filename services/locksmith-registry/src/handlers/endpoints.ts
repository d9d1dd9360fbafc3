import { randomUUID } from 'node:crypto';
import { AppError, badRequest, conflict, notFound, registry } from '@trades/contracts';
import { endpoint, type EndpointBinding, type EntityManager, type ServiceContext } from '@trades/runtime';
import { decodeCursor } from '../domain/cursor.ts';
import { toE164 } from '../domain/phone.ts';
import { DEFAULT_RADIUS_KM, unknownServices } from '../domain/services.ts';
import type { AddressGeocoder } from '../geocoding.ts';
import {
  countCoveringProviders,
  findProvider,
  findProviderByPhone,
  insertProvider,
  listProviders,
  nearestCandidates,
  updateProvider,
  type Provider,
  type ProviderChanges,
} from '../providers.ts';
import { announceOperatorChanges } from './provider-changes.ts';

const DEFAULT_PAGE = 50;

async function place(geocoder: AddressGeocoder, address: string) {
  const placed = await geocoder.geocode(address);
  if (!placed) {
    throw new AppError(
      422,
      'ADDRESS_NOT_FOUND',
      'We could not place that address on a map; check the street, city and ZIP.',
      {
        address,
      },
    );
  }
  return placed;
}

function checkServices(trade: Provider['trade'], services: string[]): void {
  const unknown = unknownServices(trade, services);
  if (unknown.length > 0) {
    throw badRequest('UNKNOWN_SERVICE', `A ${trade} cannot offer ${unknown.join(', ')}.`, {
      services: unknown,
    });
  }
}

/**
 * Plumbers carry what a lead buyer needs (names, a unique email, a base ZIP, coverage): they are written
 * only through the plumber endpoints, which check it.
 */
const plumbersHaveTheirOwn = (endpointName: string): AppError =>
  badRequest(
    'USE_PLUMBER_ENDPOINTS',
    `Plumbers are registered and changed with ${endpointName} (/api/admin/plumbers), which checks their names, email and ZIP codes.`,
  );

export function registryEndpoints(
  ctx: ServiceContext<unknown>,
  geocoder: AddressGeocoder,
): EndpointBinding[] {
  // Reads need no transaction: one statement each, on a fresh identity map.
  const read = <T>(work: (em: EntityManager) => Promise<T>): Promise<T> => work(ctx.orm.em.fork());

  return [
    endpoint(registry.ProviderCreate, async (request) => {
      const phone = toE164(request.phone);
      if (!phone) {
        throw badRequest(
          'INVALID_PHONE',
          'The mobile number is not a valid phone number; use E.164 like +14155550123.',
          {
            phone: request.phone,
          },
        );
      }
      const trade = request.trade ?? 'locksmith';
      if (trade === 'plumber') throw plumbersHaveTheirOwn('plumber.create');
      const services = [...new Set(request.services)];
      checkServices(trade, services);
      if ((await read((em) => findProviderByPhone(em, phone))) !== null) {
        throw conflict('PHONE_TAKEN', 'Another provider already uses that mobile number.');
      }
      const placed = await place(geocoder, request.address);
      return ctx.transaction(async (em) => {
        const id = randomUUID();
        const inserted = await insertProvider(em, {
          id,
          name: request.name.trim(),
          phone,
          email: request.email ?? null,
          trade,
          services,
          address: placed.formatted,
          zip: placed.zip,
          lat: placed.lat,
          lng: placed.lng,
          radiusKm: request.radiusKm ?? DEFAULT_RADIUS_KM,
        });
        if (!inserted) throw conflict('PHONE_TAKEN', 'Another provider already uses that mobile number.');
        const provider = await findProvider(em, id);
        if (!provider) throw new Error(`provider ${id} vanished inside its own transaction`);
        await ctx.publish(em, registry.ProviderCreated, { provider, actor: request.actor });
        return provider;
      });
    }),

    endpoint(registry.ProviderUpdate, async (request) => {
      const placed = request.address === undefined ? undefined : await place(geocoder, request.address);
      return ctx.transaction(async (em) => {
        const before = await findProvider(em, request.id, { lock: true });
        if (!before) throw notFound('PROVIDER_NOT_FOUND', 'There is no provider with that id.');
        if (before.trade === 'plumber') throw plumbersHaveTheirOwn('plumber.update');
        const changes: ProviderChanges = {
          name: request.name?.trim(),
          email: request.email,
          radiusKm: request.radiusKm,
          status: request.status,
          available: request.available,
        };
        if (request.services) {
          changes.services = [...new Set(request.services)];
          checkServices(before.trade, changes.services);
        }
        if (placed)
          Object.assign(changes, {
            address: placed.formatted,
            zip: placed.zip,
            lat: placed.lat,
            lng: placed.lng,
          });
        // An operator's change of status overrides how the provider got there.
        if (request.status !== undefined) changes.deactivatedBySms = false;
        await updateProvider(em, request.id, changes);
        const provider = await findProvider(em, request.id);
        if (!provider) throw new Error(`provider ${request.id} vanished inside its own transaction`);
        await ctx.publish(em, registry.ProviderUpdated, { provider, actor: request.actor });
        await announceOperatorChanges(ctx, em, before, provider, request.actor);
        return provider;
      });
    }),

    endpoint(registry.ProviderGet, async ({ id }) => {
      const provider = await read((em) => findProvider(em, id));
      if (!provider) throw notFound('PROVIDER_NOT_FOUND', 'There is no provider with that id.');
      return provider;
    }),

    endpoint(registry.ProviderByPhone, async ({ phone }) => ({
      provider: await read((em) => findProviderByPhone(em, phone)),
    })),

    endpoint(registry.ProviderList, async (request) =>
      read((em) =>
        listProviders(em, {
          q: request.q,
          status: request.status,
          available: request.available,
          trade: request.trade,
          after: request.cursor === undefined ? undefined : decodeCursor(request.cursor),
          limit: request.limit ?? DEFAULT_PAGE,
        }),
      ),
    ),

    endpoint(registry.CandidatesNearest, (request) => read((em) => nearestCandidates(em, request))),

    endpoint(registry.CoverageCheck, async ({ lat, lng, trade }) => {
      const providers = await read((em) =>
        countCoveringProviders(em, { lat, lng, trade: trade ?? 'locksmith' }),
      );
      return { served: providers > 0, providers };
    }),

    endpoint(registry.RegistryStats, async () => {
      const [row] = await ctx.orm.em.fork().execute<{ active: number; available: number }[]>(
        `select count(*) filter (where status = 'active')::int as active,
                count(*) filter (where status = 'active' and available)::int as available
         from registry.provider where trade = 'locksmith'`,
      );
      return { activeLocksmiths: row?.active ?? 0, availableLocksmiths: row?.available ?? 0 };
    }),
  ];
}
