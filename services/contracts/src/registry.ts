import Type, { type Static } from 'typebox';
import { Cursor, E164, Empty, Limit, Page, ServiceCode, Timestamp, Uuid } from './common.ts';
import { defineEndpoint, defineEvent } from './define.ts';

export const ProviderStatus = Type.Union([
  Type.Literal('active'),
  Type.Literal('paused'),
  Type.Literal('deactivated'),
]);
export const Trade = Type.Union([Type.Literal('locksmith'), Type.Literal('plumber')]);

export const ProviderStats = Type.Object({
  offers: Type.Integer({ minimum: 0 }),
  accepted: Type.Integer({ minimum: 0 }),
  declined: Type.Integer({ minimum: 0 }),
  expired: Type.Integer({ minimum: 0 }),
  acceptanceRate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
  medianResponseSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
});

export const Provider = Type.Object({
  id: Uuid,
  name: Type.String(),
  phone: E164,
  email: Type.Union([Type.String(), Type.Null()]),
  trade: Trade,
  services: Type.Array(ServiceCode),
  address: Type.Union([Type.String(), Type.Null()]),
  lat: Type.Number(),
  lng: Type.Number(),
  radiusKm: Type.Number({ exclusiveMinimum: 0 }),
  status: ProviderStatus,
  available: Type.Boolean(),
  busyJobId: Type.Union([Uuid, Type.Null()], {
    description: 'The job they are on (assigned or en route), if any',
  }),
  pendingOfferId: Type.Union([Uuid, Type.Null()], { description: 'The offer awaiting their reply, if any' }),
  stats: ProviderStats,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Provider = Static<typeof Provider>;

const Name = Type.String({ minLength: 1, maxLength: 120 });
const Email = Type.String({ format: 'email', maxLength: 254 });
const Radius = Type.Number({ exclusiveMinimum: 0, maximum: 200 });
const FreeAddress = Type.String({ minLength: 3, maxLength: 300 });

export const ProviderCreate = defineEndpoint(
  'svc.registry.provider.create',
  'Register a provider; the address is geocoded; the phone must be unique.',
  Type.Object(
    {
      name: Name,
      phone: Type.String({ minLength: 4, maxLength: 40 }),
      email: Type.Optional(Email),
      trade: Type.Optional(Trade),
      services: Type.Array(ServiceCode, { minItems: 1, maxItems: 30 }),
      address: FreeAddress,
      radiusKm: Type.Optional(Radius),
      actor: Type.String(),
    },
    { additionalProperties: false },
  ),
  Provider,
);

export const ProviderUpdate = defineEndpoint(
  'svc.registry.provider.update',
  'Change a provider: contact, services, location, radius, status or availability.',
  Type.Object(
    {
      id: Uuid,
      name: Type.Optional(Name),
      email: Type.Optional(Type.Union([Email, Type.Null()])),
      services: Type.Optional(Type.Array(ServiceCode, { minItems: 1, maxItems: 30 })),
      address: Type.Optional(FreeAddress),
      radiusKm: Type.Optional(Radius),
      status: Type.Optional(ProviderStatus),
      available: Type.Optional(Type.Boolean()),
      actor: Type.String(),
    },
    { additionalProperties: false },
  ),
  Provider,
);

export const ProviderGet = defineEndpoint(
  'svc.registry.provider.get',
  'One provider by id.',
  Type.Object({ id: Uuid }),
  Provider,
);

export const ProviderList = defineEndpoint(
  'svc.registry.provider.list',
  'Providers, newest first, filtered by text, status, availability and trade.',
  Type.Object({
    q: Type.Optional(Type.String({ maxLength: 120 })),
    status: Type.Optional(ProviderStatus),
    available: Type.Optional(Type.Boolean()),
    trade: Type.Optional(Trade),
    cursor: Type.Optional(Cursor),
    limit: Type.Optional(Limit),
  }),
  Page(Provider),
);

export const ProviderByPhone = defineEndpoint(
  'svc.registry.provider.by_phone',
  'Look a provider up by its E.164 mobile number (inbound SMS).',
  Type.Object({ phone: E164 }),
  Type.Object({ provider: Type.Union([Provider, Type.Null()]) }),
);

export const Candidate = Type.Object({
  providerId: Uuid,
  name: Type.String(),
  phone: E164,
  distanceKm: Type.Number({ minimum: 0 }),
});
export type Candidate = Static<typeof Candidate>;

export const CandidatesNearest = defineEndpoint(
  'svc.registry.candidates.nearest',
  'The k nearest eligible providers for a job: performs the service, active, available, not busy, no pending offer, the point within both the search radius and their own radius, not excluded; nearest first.',
  Type.Object({
    serviceCode: ServiceCode,
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lng: Type.Number({ minimum: -180, maximum: 180 }),
    radiusKm: Type.Number({ exclusiveMinimum: 0, maximum: 500 }),
    limit: Type.Integer({ minimum: 1, maximum: 100 }),
    excludeProviderIds: Type.Array(Uuid, { maxItems: 1000 }),
  }),
  Type.Object({ items: Type.Array(Candidate) }),
);

export const CoverageCheck = defineEndpoint(
  'svc.registry.coverage.check',
  'Whether any active provider covers a point (the service area grows as providers join).',
  Type.Object({
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lng: Type.Number({ minimum: -180, maximum: 180 }),
    trade: Type.Optional(Trade),
  }),
  Type.Object({ served: Type.Boolean(), providers: Type.Integer({ minimum: 0 }) }),
);

export const RegistryStats = defineEndpoint(
  'svc.registry.stats.get',
  'Provider counts for the operations dashboard.',
  Empty,
  Type.Object({ activeLocksmiths: Type.Integer(), availableLocksmiths: Type.Integer() }),
);

const ProviderEventData = Type.Object({ provider: Provider, actor: Type.String() });

export const ProviderCreated = defineEvent(
  'evt.registry.provider.created.v1',
  'A provider joined.',
  ProviderEventData,
);
export const ProviderUpdated = defineEvent(
  'evt.registry.provider.updated.v1',
  'A provider changed.',
  ProviderEventData,
);
export const ProviderAvailabilityChanged = defineEvent(
  'evt.registry.provider.availability_changed.v1',
  'A provider became available or unavailable (by SMS or by an operator).',
  Type.Object({
    providerId: Uuid,
    phone: E164,
    available: Type.Boolean(),
    cause: Type.Union([Type.Literal('sms'), Type.Literal('admin')]),
  }),
);
export const ProviderDeactivated = defineEvent(
  'evt.registry.provider.deactivated.v1',
  'A provider was deactivated (STOP by SMS, or an operator).',
  Type.Object({ providerId: Uuid, phone: E164, cause: Type.String() }),
);

export const PlumberCoverage = defineEndpoint(
  'svc.registry.plumber.coverage',
  'Whether any active plumber buys leads for a service in a ZIP code, and how many do (intake refuses a lead nobody can buy).',
  Type.Object({
    serviceCode: ServiceCode,
    zipCode: Type.String({ pattern: '^[0-9]{5}$' }),
  }),
  Type.Object({ served: Type.Boolean(), plumbers: Type.Integer({ minimum: 0 }) }),
);
