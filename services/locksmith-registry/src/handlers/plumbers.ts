import { randomUUID } from 'node:crypto';
import {
  badRequest,
  conflict,
  CONSUMERS,
  notFound,
  payments,
  registry,
  type AppError,
} from '@trades/contracts';
import {
  endpoint,
  on,
  type ConsumerBinding,
  type EndpointBinding,
  type EntityManager,
  type ServiceContext,
} from '@trades/runtime';
import { decodeCursor } from '../domain/cursor.ts';
import {
  checkPlumberFields,
  plumberName,
  zipAddress,
  type CheckedPlumberFields,
  type PlumberFieldsInput,
  type ZipLookup,
} from '../domain/plumber-fields.ts';
import { DEFAULT_RADIUS_KM, unknownServices } from '../domain/services.ts';
import { findProvider } from '../providers.ts';
import {
  applyCardReport,
  collidedField,
  countCoveringPlumbers,
  findPlumber,
  insertPlumber,
  listPlumbers,
  plumberCandidates,
  searchPlumbersForLead,
  takenFields,
  updatePlumber,
  type Plumber,
  type PlumberChanges,
  type TakenField,
} from '../store/plumbers.ts';
import { announceOperatorChanges } from './provider-changes.ts';

const DEFAULT_PAGE = 50;
/** Plumbers the "sell to" autocomplete shows unless asked for fewer. */
const SEARCH_FOR_LEAD_LIMIT = 20;

const TAKEN: Record<TakenField, () => AppError> = {
  phone: () => conflict('PHONE_TAKEN', 'Another provider already uses that mobile number.'),
  email: () => conflict('EMAIL_TAKEN', 'Another plumber already uses that email address.'),
};

const plumberNotFound = (): AppError => notFound('PLUMBER_NOT_FOUND', 'There is no plumber with that id.');

/**
 * Every field problem of a request at once, as one 400 an operator can act on: `details.fields`, the
 * shape every plumber-leads API uses for VALIDATION_FAILED.
 */
function checkFields(input: PlumberFieldsInput, lookupZip: ZipLookup): CheckedPlumberFields {
  const { fields, problems } = checkPlumberFields(input, lookupZip);
  if (problems.length > 0) {
    throw badRequest(
      'VALIDATION_FAILED',
      `Check these fields: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`,
      { fields: problems },
    );
  }
  return fields;
}

function checkServices(services: readonly string[] | undefined): string[] | undefined {
  if (services === undefined) return undefined;
  const unique = [...new Set(services)];
  const unknown = unknownServices('plumber', unique);
  if (unknown.length > 0) {
    throw badRequest('UNKNOWN_SERVICE', `Plumbers cannot buy leads for ${unknown.join(', ')}.`, {
      services: unknown,
    });
  }
  return unique;
}

/**
 * Runs a write and turns PostgreSQL refusing a duplicate phone or email into the same 409 the pre-check
 * gives: the unique constraints decide between two operators saving the same value at once.
 */
async function guardUnique<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const field = collidedField(error);
    throw field ? TAKEN[field]() : error;
  }
}

/** Where a plumber's caps are counted unless they say otherwise. */
const DEFAULT_TIME_ZONE = 'America/New_York';

/** The time zone if the runtime knows it (IANA names only); 400 UNKNOWN_TIME_ZONE otherwise. */
function checkTimeZone(timeZone: string | undefined): string | undefined {
  if (timeZone === undefined) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    throw badRequest(
      'UNKNOWN_TIME_ZONE',
      `${timeZone} is not a time zone; use an IANA name such as America/New_York or America/Los_Angeles.`,
    );
  }
}

/** Announces a plumber as a provider, with the plumber resource (payments makes its card link from it). */
async function announce(
  ctx: ServiceContext<unknown>,
  em: EntityManager,
  contract: typeof registry.ProviderCreated | typeof registry.ProviderUpdated,
  id: string,
  actor: string,
): Promise<Plumber> {
  const provider = await findProvider(em, id);
  const plumber = await findPlumber(em, id);
  if (!provider || !plumber) throw new Error(`plumber ${id} vanished inside its own transaction`);
  await ctx.publish(em, contract, { provider, plumber, actor });
  return plumber;
}

/** plumber.create / update / get / list / coverage / candidates / search_for_lead. */
export function plumberEndpoints(ctx: ServiceContext<unknown>, lookupZip: ZipLookup): EndpointBinding[] {
  const read = <T>(work: (em: EntityManager) => Promise<T>): Promise<T> => work(ctx.orm.em.fork());

  return [
    endpoint(registry.PlumberCreate, async (request) => {
      const fields = checkFields(request, lookupZip);
      const services = checkServices(request.services) ?? [];
      const { firstName, lastName, email, phone, base, coverageZips } = fields;
      if (!firstName || !lastName || !email || !phone || !base) {
        throw new Error('plumber.create: a required field passed its check without a value');
      }
      return ctx.transaction(async (em) => {
        const [taken] = await takenFields(em, { phone, email });
        if (taken) throw TAKEN[taken]();
        const id = randomUUID();
        await guardUnique(() =>
          insertPlumber(em, {
            id,
            firstName,
            lastName,
            name: plumberName(firstName, lastName),
            email,
            phone,
            zip: base.zip,
            address: zipAddress(base),
            lat: base.lat,
            lng: base.lng,
            services,
            coverageZips: coverageZips ?? [],
            radiusKm: request.radiusKm ?? DEFAULT_RADIUS_KM,
            caps: {
              dailyCap: request.dailyCap ?? 0,
              weeklyCap: request.weeklyCap ?? 0,
              monthlyCap: request.monthlyCap ?? 0,
              monthlySpendCapCents: request.monthlySpendCapCents ?? 0,
              timeZone: checkTimeZone(request.timeZone) ?? DEFAULT_TIME_ZONE,
            },
          }),
        );
        return announce(ctx, em, registry.ProviderCreated, id, request.actor);
      });
    }),

    endpoint(registry.PlumberUpdate, async (request) => {
      const fields = checkFields(request, lookupZip);
      const services = checkServices(request.services);
      return ctx.transaction(async (em) => {
        const before = await findPlumber(em, request.id, { lock: true });
        if (!before) throw plumberNotFound();
        const [taken] = await takenFields(em, { phone: fields.phone, email: fields.email }, request.id);
        if (taken) throw TAKEN[taken]();
        const firstName = fields.firstName ?? before.firstName;
        const lastName = fields.lastName ?? before.lastName;
        const changes: PlumberChanges = {
          firstName: fields.firstName,
          lastName: fields.lastName,
          name: fields.firstName || fields.lastName ? plumberName(firstName, lastName) : undefined,
          email: fields.email,
          phone: fields.phone,
          services,
          coverageZips: fields.coverageZips,
          radiusKm: request.radiusKm,
          dailyCap: request.dailyCap,
          weeklyCap: request.weeklyCap,
          monthlyCap: request.monthlyCap,
          monthlySpendCapCents: request.monthlySpendCapCents,
          timeZone: checkTimeZone(request.timeZone),
          status: request.status,
          available: request.available,
          // An operator's change of status overrides how the plumber got there (STOP by SMS).
          deactivatedBySms: request.status === undefined ? undefined : false,
        };
        if (fields.base) {
          Object.assign(changes, {
            zip: fields.base.zip,
            address: zipAddress(fields.base),
            lat: fields.base.lat,
            lng: fields.base.lng,
          });
        }
        await guardUnique(() => updatePlumber(em, request.id, changes));
        const plumber = await announce(ctx, em, registry.ProviderUpdated, request.id, request.actor);
        await announceOperatorChanges(ctx, em, before, plumber, request.actor);
        return plumber;
      });
    }),

    endpoint(registry.PlumberGet, async ({ id }) => {
      const plumber = await read((em) => findPlumber(em, id));
      if (!plumber) throw plumberNotFound();
      return plumber;
    }),

    endpoint(registry.PlumberList, async (request) =>
      read((em) =>
        listPlumbers(em, {
          q: request.q,
          status: request.status,
          available: request.available,
          cardStatus: request.cardStatus,
          after: request.cursor === undefined ? undefined : decodeCursor(request.cursor),
          limit: request.limit ?? DEFAULT_PAGE,
        }),
      ),
    ),

    endpoint(registry.PlumberCoverage, async ({ serviceCode, zipCode }) => {
      const place = lookupZip(zipCode);
      if (!place) return { served: false, plumbers: 0 };
      const plumbers = await read((em) =>
        countCoveringPlumbers(em, { serviceCode, zipCode, lat: place.lat, lng: place.lng }),
      );
      return { served: plumbers > 0, plumbers };
    }),

    endpoint(registry.PlumberCandidates, (request) => read((em) => plumberCandidates(em, request))),

    endpoint(registry.PlumberSearchForLead, async (request) => ({
      items: await read((em) =>
        searchPlumbersForLead(em, { ...request, limit: request.limit ?? SEARCH_FOR_LEAD_LIMIT }),
      ),
    })),
  ];
}

/**
 * Payments' word on providers' cards, kept on the provider: a plumber without a saved card is never
 * offered a lead. Inbox idempotency skips a redelivery; `at` makes an older report delivered late harmless.
 */
export function paymentsConsumer(): ConsumerBinding {
  return {
    definition: CONSUMERS.registryPayments,
    handlers: [
      on(payments.ProviderCardUpdated, async (card, { em }) => {
        await applyCardReport(em, card);
      }),
    ],
  };
}
