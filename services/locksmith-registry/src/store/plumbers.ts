// Every SQL statement about plumbers: providers with trade `plumber`, their coverage and their card.
// Raw SQL like the provider store: the coverage queries need the GIN and GiST indexes and
// earthdistance's operators, and the card projection is a conditional update.
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { payments, registry } from '@trades/contracts';
import { pgArray, type EntityManager } from '@trades/runtime';
import type { Static } from 'typebox';
import type { ListPosition } from '../domain/cursor.ts';
import { assignments, iso, keysetPage, textSearch } from './sql.ts';

export type Plumber = registry.Plumber;
type ProviderStatus = Static<typeof registry.ProviderStatus>;
type CardStatus = payments.CardStatus;

interface PlumberRow {
  id: string;
  name: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string;
  zip: string | null;
  services: string[];
  coverage_zips: string[];
  radius_km: number;
  status: ProviderStatus;
  available: boolean;
  stripe_customer_id: string | null;
  card_status: CardStatus;
  card_brand: string | null;
  card_last4: string | null;
  daily_cap: number;
  weekly_cap: number;
  monthly_cap: number;
  monthly_spend_cap_cents: number;
  time_zone: string;
  created_at: Date | string;
  updated_at: Date | string;
  created_at_exact: string;
}

const selectPlumbers = (where: string, tail = ''): string => `
  select p.id, p.name, p.first_name, p.last_name, p.email, p.phone, p.zip, p.services, p.coverage_zips,
         p.radius_km, p.status, p.available, p.stripe_customer_id, p.card_status, p.card_brand,
         p.card_last4, p.daily_cap, p.weekly_cap, p.monthly_cap, p.monthly_spend_cap_cents, p.time_zone,
         p.created_at, p.updated_at,
         to_json(p.created_at) #>> '{}' as created_at_exact
  from registry.provider p
  where p.trade = 'plumber' and ${where}
  ${tail}`;

type CapColumns = Pick<
  PlumberRow,
  'daily_cap' | 'weekly_cap' | 'monthly_cap' | 'monthly_spend_cap_cents' | 'time_zone'
>;

const capsOf = (row: CapColumns): registry.PlumberCaps => ({
  dailyCap: row.daily_cap,
  weeklyCap: row.weekly_cap,
  monthlyCap: row.monthly_cap,
  monthlySpendCapCents: row.monthly_spend_cap_cents,
  timeZone: row.time_zone,
});

function toPlumber(row: PlumberRow): Plumber {
  // A plumber registered through provider.create (before plumbers had their own fields) has only a name.
  const [firstWord = row.name, ...otherWords] = row.name.split(' ');
  return {
    id: row.id,
    firstName: row.first_name ?? firstWord,
    lastName: row.last_name ?? otherWords.join(' '),
    email: row.email ?? '',
    phone: row.phone,
    zipCode: row.zip ?? '',
    services: row.services,
    coverageZips: row.coverage_zips,
    radiusKm: row.radius_km,
    status: row.status,
    available: row.available,
    stripeCustomerId: row.stripe_customer_id,
    card: {
      status: row.card_status,
      ...(row.card_brand === null ? {} : { brand: row.card_brand }),
      ...(row.card_last4 === null ? {} : { last4: row.card_last4 }),
    },
    ...capsOf(row),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export async function findPlumber(
  em: EntityManager,
  id: string,
  options: { lock?: boolean } = {},
): Promise<Plumber | null> {
  const [row] = await em.execute<PlumberRow[]>(selectPlumbers('p.id = ?', options.lock ? 'for update' : ''), [
    id,
  ]);
  return row ? toPlumber(row) : null;
}

/** Which unique field another provider already holds: the phone (any provider) or the email (plumbers). */
export type TakenField = 'phone' | 'email';

export async function takenFields(
  em: EntityManager,
  values: { phone?: string; email?: string },
  exceptId?: string,
): Promise<TakenField[]> {
  const [row] = await em.execute<{ phone: boolean; email: boolean }[]>(
    `select exists (select 1 from registry.provider where phone = ? and id is distinct from ?::uuid) as phone,
            exists (select 1 from registry.provider
                    where trade = 'plumber' and lower(email) = ? and id is distinct from ?::uuid) as email`,
    [values.phone ?? null, exceptId ?? null, values.email ?? null, exceptId ?? null],
  );
  return (['phone', 'email'] as const).filter((field) => row?.[field] === true);
}

/**
 * The unique field a write collided on, when `error` is PostgreSQL refusing a duplicate phone or
 * plumber email (two operators saving the same number at once: the constraint decides); else null.
 */
export function collidedField(error: unknown): TakenField | null {
  if (!(error instanceof UniqueConstraintViolationException)) return null;
  const constraint = 'constraint' in error ? error.constraint : undefined;
  if (constraint === 'provider_phone_unique') return 'phone';
  if (constraint === 'provider_plumber_email_unique') return 'email';
  return null;
}

export interface NewPlumber {
  id: string;
  firstName: string;
  lastName: string;
  name: string;
  email: string;
  phone: string;
  zip: string;
  address: string;
  lat: number;
  lng: number;
  services: string[];
  coverageZips: string[];
  radiusKm: number;
  caps: registry.PlumberCaps;
}

export async function insertPlumber(em: EntityManager, plumber: NewPlumber): Promise<void> {
  await em.execute(
    `insert into registry.provider
       (id, trade, name, first_name, last_name, email, phone, zip, address, lat, lng, services, coverage_zips,
        radius_km, daily_cap, weekly_cap, monthly_cap, monthly_spend_cap_cents, time_zone)
     values (?, 'plumber', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::text[], ?::text[], ?, ?, ?, ?, ?, ?)`,
    [
      plumber.id,
      plumber.name,
      plumber.firstName,
      plumber.lastName,
      plumber.email,
      plumber.phone,
      plumber.zip,
      plumber.address,
      plumber.lat,
      plumber.lng,
      pgArray(plumber.services),
      pgArray(plumber.coverageZips),
      plumber.radiusKm,
      plumber.caps.dailyCap,
      plumber.caps.weeklyCap,
      plumber.caps.monthlyCap,
      plumber.caps.monthlySpendCapCents,
      plumber.caps.timeZone,
    ],
  );
}

export interface PlumberChanges {
  name?: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  phone?: string;
  zip?: string;
  address?: string;
  lat?: number;
  lng?: number;
  services?: string[];
  coverageZips?: string[];
  radiusKm?: number;
  dailyCap?: number;
  weeklyCap?: number;
  monthlyCap?: number;
  monthlySpendCapCents?: number;
  timeZone?: string;
  status?: ProviderStatus;
  deactivatedBySms?: boolean;
  available?: boolean;
}

const COLUMN_OF: Record<keyof PlumberChanges, string> = {
  name: 'name',
  firstName: 'first_name',
  lastName: 'last_name',
  email: 'email',
  phone: 'phone',
  zip: 'zip',
  address: 'address',
  lat: 'lat',
  lng: 'lng',
  services: 'services',
  coverageZips: 'coverage_zips',
  radiusKm: 'radius_km',
  dailyCap: 'daily_cap',
  weeklyCap: 'weekly_cap',
  monthlyCap: 'monthly_cap',
  monthlySpendCapCents: 'monthly_spend_cap_cents',
  timeZone: 'time_zone',
  status: 'status',
  deactivatedBySms: 'deactivated_by_sms',
  available: 'available',
};

export async function updatePlumber(em: EntityManager, id: string, changes: PlumberChanges): Promise<void> {
  const set = assignments(changes, COLUMN_OF);
  await em.execute(`update registry.provider set ${set.sql} where id = ? and trade = 'plumber'`, [
    ...set.params,
    id,
  ]);
}

export interface PlumberListFilter {
  q?: string;
  status?: ProviderStatus;
  available?: boolean;
  cardStatus?: CardStatus;
  after?: ListPosition;
  limit: number;
}

export async function listPlumbers(
  em: EntityManager,
  filter: PlumberListFilter,
): Promise<{ items: Plumber[]; nextCursor: string | null }> {
  const conditions: string[] = ['true'];
  const params: unknown[] = [];
  const q = filter.q?.trim();
  if (q) {
    // A number or a ZIP code: its digits in the phone, or the base or a listed ZIP.
    const search = textSearch(
      q,
      '(p.phone like ? or p.zip = ? or p.coverage_zips @> array[?]::text[])',
      (digits) => [`%${digits}%`, digits, digits],
    );
    conditions.push(search.sql);
    params.push(...search.params);
  }
  const equal: [string, unknown][] = [
    ['p.status', filter.status],
    ['p.available', filter.available],
    ['p.card_status', filter.cardStatus],
  ];
  for (const [column, value] of equal) {
    if (value === undefined) continue;
    conditions.push(`${column} = ?`);
    params.push(value);
  }
  if (filter.after) {
    conditions.push('(p.created_at, p.id) < (?::timestamptz, ?::uuid)');
    params.push(filter.after.createdAt, filter.after.id);
  }
  const rows = await em.execute<PlumberRow[]>(
    selectPlumbers(conditions.join(' and '), 'order by p.created_at desc, p.id desc limit ?'),
    [...params, filter.limit + 1],
  );
  return keysetPage(rows, filter.limit, toPlumber);
}

/** Earth radius in metres as earthdistance defines it; a great-circle distance d is the chord 2R·sin(d / 2R). */
const EARTH_RADIUS_M = 6378168;
const chordFor = (metres: string): string =>
  `2 * ${EARTH_RADIUS_M} * sin(${metres} / (2.0 * ${EARTH_RADIUS_M}))`;
/** Largest radius a plumber may have (the contract's maximum): bounds the index scan of the radius case. */
const MAX_RADIUS_KM = 200;

/** Great-circle kilometres from an earth point column to the point `(?, ?)` (lat, lng parameters). */
const distanceKmFrom = (location: string): string =>
  `2 * ${EARTH_RADIUS_M} * asin(least(1, public.cube_distance(${location}, registry.earth_point(?, ?)) / (2.0 * ${EARTH_RADIUS_M}))) / 1000`;

/**
 * Plumbers who buy `serviceCode` leads at a lead's ZIP, in two disjoint halves: those who list the ZIP
 * (the GIN index on coverage_zips), and those who list none and whose radius around their base reaches
 * the lead's ZIP centre (the GiST index on the earth point, boxed by the largest radius, then each
 * plumber's own radius exactly). `eligible` adds the conditions both halves share; `columns` what they
 * return. Parameters, in order: zip, service, …eligible's, lat, lng, lat, lng, service, …eligible's.
 */
const coveringPlumbers = (columns: string, eligible: string): string => `
  select ${columns} from registry.provider p
  where p.trade = 'plumber'
    and p.coverage_zips @> array[?]::text[]
    and p.services @> array[?]::text[]
    and ${eligible}
  union all
  select ${columns} from registry.provider p
  where p.trade = 'plumber'
    and p.coverage_zips = '{}'
    and p.location operator(public.<@) registry.earth_search_box(registry.earth_point(?, ?), ${MAX_RADIUS_KM} * 1000)
    and public.cube_distance(p.location, registry.earth_point(?, ?)) <= ${chordFor('p.radius_km * 1000')}
    and p.services @> array[?]::text[]
    and ${eligible}`;

interface LeadPlace {
  serviceCode: string;
  zipCode: string;
  lat: number;
  lng: number;
}

const coveringParams = (lead: LeadPlace, eligibleParams: unknown[]): unknown[] => [
  lead.zipCode,
  lead.serviceCode,
  ...eligibleParams,
  lead.lat,
  lead.lng,
  lead.lat,
  lead.lng,
  lead.serviceCode,
  ...eligibleParams,
];

/**
 * How many plumbers could buy a lead for this service and ZIP: active, with a saved card, buying the
 * service, covering the ZIP. Availability and pending offers are left out: they change by the minute,
 * and a lead waits in waves for them.
 */
export const COVERAGE_SQL = `
  select count(*)::int as plumbers from (${coveringPlumbers(
    'p.id',
    `p.status = 'active' and p.card_status = 'saved'`,
  )}) covering`;

export async function countCoveringPlumbers(em: EntityManager, lead: LeadPlace): Promise<number> {
  const [row] = await em.execute<{ plumbers: number }[]>(COVERAGE_SQL, coveringParams(lead, []));
  return row?.plumbers ?? 0;
}

export interface CandidatesQuery extends LeadPlace {
  limit: number;
  excludeProviderIds: string[];
}

/**
 * Plumbers a lead can be offered to now (`free`: no pending offer), or the ones who would be but for a
 * pending offer (`held`). Each half of the union keeps only those; the union (plumbers covering one ZIP:
 * a few dozen at most) is sorted by the straight-line distance between earth points, which orders like
 * the great circle.
 */
const candidatesSql = (offers: 'free' | 'held'): string => `
  select c.id, c.name, c.phone, c.email, c.daily_cap, c.weekly_cap, c.monthly_cap, c.monthly_spend_cap_cents, c.time_zone,
         ${distanceKmFrom('c.location')} as distance_km
  from (${coveringPlumbers(
    'p.id, p.name, p.phone, p.email, p.daily_cap, p.weekly_cap, p.monthly_cap, p.monthly_spend_cap_cents, p.time_zone, p.location',
    `p.status = 'active' and p.available and p.card_status = 'saved'
     and p.pending_offer_id is ${offers === 'free' ? 'null' : 'not null'}
     and p.id <> all(?::uuid[])`,
  )}) c
  order by public.cube_distance(c.location, registry.earth_point(?, ?)), c.id
  limit ?`;

/** The statement behind plumber.candidates; exported so a test can EXPLAIN exactly it. */
export const CANDIDATES_SQL = candidatesSql('free');

/**
 * The same search for plumbers holding a pending offer: run only when CANDIDATES_SQL found fewer than
 * asked for, so the seller can wait for them rather than count a wave that found nobody.
 */
export const HELD_CANDIDATES_SQL = candidatesSql('held');

export const candidatesParams = (query: CandidatesQuery): unknown[] => [
  query.lat,
  query.lng,
  ...coveringParams(query, [pgArray(query.excludeProviderIds)]),
  query.lat,
  query.lng,
  query.limit,
];

type CandidateRow = {
  id: string;
  name: string;
  phone: string;
  email: string | null;
  distance_km: number;
} & CapColumns;

async function candidatesOf(
  em: EntityManager,
  sql: string,
  query: CandidatesQuery,
): Promise<registry.PlumberCandidate[]> {
  const rows = await em.execute<CandidateRow[]>(sql, candidatesParams(query));
  return rows.map((row) => ({
    providerId: row.id,
    name: row.name,
    phone: row.phone,
    email: row.email ?? '',
    distanceKm: Math.round(Number(row.distance_km) * 1000) / 1000,
    ...capsOf(row),
  }));
}

/**
 * plumber.candidates: the nearest plumbers a lead can be offered to and, when they are fewer than
 * asked for, the nearest who are held by a pending offer (as far as this registry knows).
 */
export async function plumberCandidates(
  em: EntityManager,
  query: CandidatesQuery,
): Promise<{ items: registry.PlumberCandidate[]; held: registry.PlumberCandidate[] }> {
  const items = await candidatesOf(em, CANDIDATES_SQL, query);
  const held = items.length < query.limit ? await candidatesOf(em, HELD_CANDIDATES_SQL, query) : [];
  return { items, held };
}

export interface SearchForLeadQuery extends LeadPlace {
  q?: string;
  limit: number;
}

/**
 * plumber.search_for_lead: plumbers matching a text (any status), with whether each covers the lead's
 * ZIP (listed, or within their radius when they list none: the same rule as {@link coveringPlumbers})
 * and buys its service; those who do both first, then nearest.
 */
export async function searchPlumbersForLead(
  em: EntityManager,
  query: SearchForLeadQuery,
): Promise<registry.PlumberForLead[]> {
  const conditions = ['p.location is not null'];
  const params: unknown[] = [];
  const q = query.q?.trim();
  if (q) {
    const search = textSearch(q);
    conditions.push(search.sql);
    params.push(...search.params);
  }
  const rows = await em.execute<
    ({
      id: string;
      name: string;
      phone: string;
      status: ProviderStatus;
      available: boolean;
      card_status: CardStatus;
      distance_km: number;
      covers: boolean;
      buys_service: boolean;
    } & CapColumns)[]
  >(
    `select * from (
       select p.id, p.name, p.phone, p.status, p.available, p.card_status, p.daily_cap, p.weekly_cap,
              p.monthly_cap, p.monthly_spend_cap_cents, p.time_zone,
              ${distanceKmFrom('p.location')} as distance_km,
              (p.coverage_zips @> array[?]::text[]
                or (p.coverage_zips = '{}'
                    and public.cube_distance(p.location, registry.earth_point(?, ?)) <= ${chordFor('p.radius_km * 1000')}))
                as covers,
              p.services @> array[?]::text[] as buys_service
       from registry.provider p
       where p.trade = 'plumber' and ${conditions.join(' and ')}
     ) found
     order by (covers and buys_service) desc, distance_km, id
     limit ?`,
    [query.lat, query.lng, query.zipCode, query.lat, query.lng, query.serviceCode, ...params, query.limit],
  );
  return rows.map((row) => ({
    plumberId: row.id,
    name: row.name,
    phone: row.phone,
    distanceKm: Math.round(Number(row.distance_km) * 1000) / 1000,
    cardStatus: row.card_status,
    status: row.status,
    available: row.available,
    covers: row.covers,
    buysService: row.buys_service,
    ...capsOf(row),
  }));
}

export interface CardReport {
  providerId: string;
  stripeCustomerId: string;
  status: CardStatus;
  brand: string | null;
  last4: string | null;
  at: string;
}

/**
 * Keeps payments' newest word on a provider's card: a report older than the one applied (a late
 * redelivery, two reports crossing) changes nothing. True when the report was applied.
 */
export async function applyCardReport(em: EntityManager, report: CardReport): Promise<boolean> {
  const updated = await em.execute<{ id: string }[]>(
    `update registry.provider
     set stripe_customer_id = ?, card_status = ?, card_brand = ?, card_last4 = ?, card_updated_at = ?::timestamptz,
         updated_at = now()
     where id = ? and (card_updated_at is null or card_updated_at < ?::timestamptz)
     returning id`,
    [
      report.stripeCustomerId,
      report.status,
      report.brand,
      report.last4,
      report.at,
      report.providerId,
      report.at,
    ],
  );
  return updated.length === 1;
}
