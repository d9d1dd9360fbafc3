import Type, { type Static } from 'typebox';
import { Cursor, E164, Empty, Limit, Page, ServiceCode, Timestamp, Uuid } from './common.ts';
import { defineEndpoint, defineEvent } from './define.ts';
import { CardStatus } from './payments.ts';

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
  'The k nearest eligible providers for a job: performs the service, active, available, not busy, no pending offer, the point within both the search radius and their own radius, not excluded; nearest first. When fewer than k are found, also the ones who would be eligible but for a pending offer (`held`), so the caller can wait for them rather than give up.',
  Type.Object({
    serviceCode: ServiceCode,
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lng: Type.Number({ minimum: -180, maximum: 180 }),
    radiusKm: Type.Number({ exclusiveMinimum: 0, maximum: 500 }),
    limit: Type.Integer({ minimum: 1, maximum: 100 }),
    excludeProviderIds: Type.Array(Uuid, { maxItems: 1000 }),
  }),
  Type.Object({
    items: Type.Array(Candidate),
    held: Type.Optional(
      Type.Array(Candidate, {
        description:
          'Only when `items` has fewer than `limit`: up to `limit` more, nearest first, who meet every condition but hold a pending offer as far as the registry knows (its flag follows dispatch a moment behind). Empty otherwise.',
      }),
    ),
  }),
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

// ---------------------------------------------------------------------------------------------------
// Plumbers: providers with trade `plumber` who buy leads. Their services come from the plumbing
// catalogue (`PLUMBING_SERVICES`); they cover a list of ZIP codes, or, with none listed, every ZIP
// whose centre lies within their radius of their base ZIP's centre.

export const ZipCode = Type.String({ pattern: '^[0-9]{5}$', description: 'US ZIP code (5 digits)' });

export const PlumberCard = Type.Object({
  status: CardStatus,
  brand: Type.Optional(Type.String({ description: 'Card brand, e.g. visa' })),
  last4: Type.Optional(Type.String({ pattern: '^[0-9]{4}$' })),
});

/**
 * What a plumber is willing to buy: lead counts per day, week (Monday to Sunday) and calendar month,
 * and spend per calendar month, each counted in their own time zone; 0 = no cap. Dispatch enforces
 * them at the moment of sale, under the plumber's lock.
 */
export const PlumberCapsFields = {
  dailyCap: Type.Integer({ minimum: 0, description: 'Most leads they buy a day; 0 = no cap' }),
  weeklyCap: Type.Integer({
    minimum: 0,
    description: 'Most leads they buy a week (Monday–Sunday); 0 = no cap',
  }),
  monthlyCap: Type.Integer({ minimum: 0, description: 'Most leads they buy a calendar month; 0 = no cap' }),
  monthlySpendCapCents: Type.Integer({
    minimum: 0,
    description: 'Most they spend on leads a calendar month, in cents; 0 = no cap',
  }),
  timeZone: Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'IANA time zone their caps are counted in, e.g. America/New_York',
  }),
};
export const PlumberCaps = Type.Object(PlumberCapsFields);
export type PlumberCaps = Static<typeof PlumberCaps>;

export const Plumber = Type.Object({
  id: Uuid,
  firstName: Type.String(),
  lastName: Type.String(),
  email: Type.String(),
  phone: E164,
  zipCode: ZipCode,
  services: Type.Array(ServiceCode),
  coverageZips: Type.Array(ZipCode, {
    description: 'The ZIP codes they buy leads in; empty: every ZIP within radiusKm of their base ZIP',
  }),
  radiusKm: Type.Number({ exclusiveMinimum: 0 }),
  status: ProviderStatus,
  available: Type.Boolean(),
  stripeCustomerId: Type.Union([Type.String(), Type.Null()]),
  card: PlumberCard,
  ...PlumberCapsFields,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Plumber = Static<typeof Plumber>;

const PlumberName = Type.String({ minLength: 1, maxLength: 60 });
const PlumberServices = Type.Array(ServiceCode, { minItems: 1, maxItems: 30 });
const CoverageZips = Type.Array(ZipCode, { maxItems: 500 });
const DailyCap = Type.Integer({ minimum: 0, maximum: 1000, description: '0 = no cap' });
const CountCap = Type.Integer({ minimum: 0, maximum: 100_000, description: '0 = no cap' });
const SpendCap = Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'cents; 0 = no cap' });
const TimeZone = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'IANA time zone (the registry refuses an unknown one: UNKNOWN_TIME_ZONE)',
});
const CapInputs = {
  dailyCap: Type.Optional(DailyCap),
  weeklyCap: Type.Optional(CountCap),
  monthlyCap: Type.Optional(CountCap),
  monthlySpendCapCents: Type.Optional(SpendCap),
  timeZone: Type.Optional(TimeZone),
};

export const PlumberCreate = defineEndpoint(
  'svc.registry.plumber.create',
  'Register a plumber: phone unique (PHONE_TAKEN), email unique among plumbers (EMAIL_TAKEN), ZIP codes that exist, plumbing services only (UNKNOWN_SERVICE); located at the base ZIP centre.',
  Type.Object(
    {
      firstName: PlumberName,
      lastName: PlumberName,
      email: Email,
      phone: Type.String({ minLength: 4, maxLength: 40 }),
      zipCode: ZipCode,
      services: PlumberServices,
      coverageZips: Type.Optional(CoverageZips),
      radiusKm: Type.Optional(Radius),
      ...CapInputs,
      actor: Type.String(),
    },
    { additionalProperties: false },
  ),
  Plumber,
);

export const PlumberUpdate = defineEndpoint(
  'svc.registry.plumber.update',
  'Change a plumber: names, contact, base ZIP, services, coverage, radius, caps and time zone, status or availability.',
  Type.Object(
    {
      id: Uuid,
      firstName: Type.Optional(PlumberName),
      lastName: Type.Optional(PlumberName),
      email: Type.Optional(Email),
      phone: Type.Optional(Type.String({ minLength: 4, maxLength: 40 })),
      zipCode: Type.Optional(ZipCode),
      services: Type.Optional(PlumberServices),
      coverageZips: Type.Optional(CoverageZips),
      radiusKm: Type.Optional(Radius),
      ...CapInputs,
      status: Type.Optional(ProviderStatus),
      available: Type.Optional(Type.Boolean()),
      actor: Type.String(),
    },
    { additionalProperties: false },
  ),
  Plumber,
);

export const PlumberGet = defineEndpoint(
  'svc.registry.plumber.get',
  'One plumber by id (PLUMBER_NOT_FOUND for any other provider).',
  Type.Object({ id: Uuid }),
  Plumber,
);

export const PlumberList = defineEndpoint(
  'svc.registry.plumber.list',
  'Plumbers, newest first, filtered by text, status, availability, card status, service and covered ZIP.',
  Type.Object({
    q: Type.Optional(Type.String({ maxLength: 120 })),
    status: Type.Optional(ProviderStatus),
    available: Type.Optional(Type.Boolean()),
    cardStatus: Type.Optional(CardStatus),
    cursor: Type.Optional(Cursor),
    limit: Type.Optional(Limit),
  }),
  Page(Plumber),
);

export const PlumberCandidate = Type.Object({
  providerId: Uuid,
  name: Type.String(),
  phone: E164,
  email: Type.String(),
  distanceKm: Type.Number({ minimum: 0, description: 'From their base ZIP centre to the lead' }),
  ...PlumberCapsFields,
});
export type PlumberCandidate = Static<typeof PlumberCandidate>;

export const PlumberCandidates = defineEndpoint(
  'svc.registry.plumber.candidates',
  'The plumbers a lead can be offered to, nearest first: active, available, card saved, buy the service, cover the ZIP (listed, or within their radius when they list none), no pending offer, not excluded. Each carries its caps and time zone for the seller to apply. When fewer than `limit` are found, also the ones who would be candidates but for a pending offer (`held`), so the seller can wait for them rather than count a wave that found nobody.',
  Type.Object({
    serviceCode: ServiceCode,
    zipCode: ZipCode,
    lat: Type.Number({ minimum: -90, maximum: 90, description: "The lead's ZIP centre" }),
    lng: Type.Number({ minimum: -180, maximum: 180 }),
    limit: Type.Integer({ minimum: 1, maximum: 100 }),
    excludeProviderIds: Type.Array(Uuid, { maxItems: 1000 }),
  }),
  Type.Object({
    items: Type.Array(PlumberCandidate),
    held: Type.Optional(
      Type.Array(PlumberCandidate, {
        description:
          'Only when `items` has fewer than `limit`: up to `limit` more, nearest first, who meet every condition but hold a pending offer as far as the registry knows (its flag follows dispatch a moment behind). Empty otherwise.',
      }),
    ),
  }),
);

const ProviderEventData = Type.Object({
  provider: Provider,
  actor: Type.String(),
  /** Present when the provider is a plumber (payments creates their card link from it). */
  plumber: Type.Optional(Plumber),
});

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

/** A plumber an operator may sell a lead to, for the "sell to" autocomplete: nearest first. */
export const PlumberForLead = Type.Object({
  plumberId: Uuid,
  name: Type.String(),
  phone: E164,
  distanceKm: Type.Number({ minimum: 0 }),
  cardStatus: CardStatus,
  status: ProviderStatus,
  available: Type.Boolean(),
  covers: Type.Boolean({ description: "The lead's ZIP is in their coverage" }),
  buysService: Type.Boolean({ description: "The lead's service is one they buy" }),
  ...PlumberCapsFields,
});
export type PlumberForLead = Static<typeof PlumberForLead>;

export const PlumberSearchForLead = defineEndpoint(
  'svc.registry.plumber.search_for_lead',
  'Plumbers matching a text (name, phone, email; empty: all), those who cover the lead and buy its service first, then nearest; any status, so the operator sees why one cannot buy.',
  Type.Object({
    q: Type.Optional(Type.String({ maxLength: 120 })),
    serviceCode: ServiceCode,
    zipCode: ZipCode,
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lng: Type.Number({ minimum: -180, maximum: 180 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
  }),
  Type.Object({ items: Type.Array(PlumberForLead) }),
);
