// Every SQL statement about providers. Raw SQL on purpose: the geographic queries need
// earthdistance's operators and the GiST index, and the flags are conditional updates.
import type { registry } from '@trades/contracts';
import { pgArray, type EntityManager } from '@trades/runtime';
import type { Static } from 'typebox';
import type { ListPosition } from './domain/cursor.ts';
import { providerStats } from './domain/stats.ts';
import { assignments, iso, keysetPage, textSearch } from './store/sql.ts';

export type Provider = registry.Provider;
type ProviderStatus = Static<typeof registry.ProviderStatus>;
type Trade = Static<typeof registry.Trade>;

interface ProviderRow {
  id: string;
  name: string;
  phone: string;
  email: string | null;
  trade: Trade;
  services: string[];
  address: string | null;
  lat: number;
  lng: number;
  radius_km: number;
  status: ProviderStatus;
  available: boolean;
  busy_job_id: string | null;
  pending_offer_id: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  created_at_exact: string;
  offers: number;
  accepted: number;
  declined: number;
  expired: number;
  median_response_seconds: number | null;
}

/** A provider with its live stats; `where`/`tail` complete the statement. */
const selectProviders = (where: string, tail = ''): string => `
  select p.id, p.name, p.phone, p.email, p.trade, p.services, p.address, p.lat, p.lng, p.radius_km,
         p.status, p.available, p.busy_job_id, p.pending_offer_id, p.created_at, p.updated_at,
         to_json(p.created_at) #>> '{}' as created_at_exact,
         s.offers, s.accepted, s.declined, s.expired, s.median_response_seconds
  from registry.provider p
  cross join lateral (
    select count(*)::int as offers,
           count(*) filter (where o.status = 'ACCEPTED')::int as accepted,
           count(*) filter (where o.status = 'DECLINED')::int as declined,
           count(*) filter (where o.status = 'EXPIRED')::int as expired,
           percentile_cont(0.5) within group (order by o.response_seconds) as median_response_seconds
    from registry.provider_offer o
    where o.provider_id = p.id
  ) s
  where ${where}
  ${tail}`;

function toProvider(row: ProviderRow): Provider {
  return {
    id: row.id,
    name: row.name,
    phone: row.phone,
    email: row.email,
    trade: row.trade,
    services: row.services,
    address: row.address,
    lat: row.lat,
    lng: row.lng,
    radiusKm: row.radius_km,
    status: row.status,
    available: row.available,
    busyJobId: row.busy_job_id,
    pendingOfferId: row.pending_offer_id,
    stats: providerStats({
      offers: row.offers,
      accepted: row.accepted,
      declined: row.declined,
      expired: row.expired,
      medianResponseSeconds:
        row.median_response_seconds === null ? null : Number(row.median_response_seconds),
    }),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export async function findProvider(
  em: EntityManager,
  id: string,
  options: { lock?: boolean } = {},
): Promise<Provider | null> {
  if (options.lock) await em.execute('select 1 from registry.provider where id = ? for update', [id]);
  const [row] = await em.execute<ProviderRow[]>(selectProviders('p.id = ?'), [id]);
  return row ? toProvider(row) : null;
}

export async function findProviderByPhone(em: EntityManager, phone: string): Promise<Provider | null> {
  const [row] = await em.execute<ProviderRow[]>(selectProviders('p.phone = ?'), [phone]);
  return row ? toProvider(row) : null;
}

export interface NewProvider {
  id: string;
  name: string;
  phone: string;
  email: string | null;
  trade: Trade;
  services: string[];
  address: string;
  zip: string | null;
  lat: number;
  lng: number;
  radiusKm: number;
}

/** Inserts a provider; false when the phone number is taken (the unique constraint decides). */
export async function insertProvider(em: EntityManager, provider: NewProvider): Promise<boolean> {
  const inserted = await em.execute<{ id: string }[]>(
    `insert into registry.provider (id, name, phone, email, trade, services, address, zip, lat, lng, radius_km)
     values (?, ?, ?, ?, ?, ?::text[], ?, ?, ?, ?, ?)
     on conflict (phone) do nothing
     returning id`,
    [
      provider.id,
      provider.name,
      provider.phone,
      provider.email,
      provider.trade,
      pgArray(provider.services),
      provider.address,
      provider.zip,
      provider.lat,
      provider.lng,
      provider.radiusKm,
    ],
  );
  return inserted.length === 1;
}

export interface ProviderChanges {
  name?: string;
  email?: string | null;
  services?: string[];
  address?: string;
  zip?: string | null;
  lat?: number;
  lng?: number;
  radiusKm?: number;
  status?: ProviderStatus;
  deactivatedBySms?: boolean;
  available?: boolean;
}

const COLUMN_OF: Record<keyof ProviderChanges, string> = {
  name: 'name',
  email: 'email',
  services: 'services',
  address: 'address',
  zip: 'zip',
  lat: 'lat',
  lng: 'lng',
  radiusKm: 'radius_km',
  status: 'status',
  deactivatedBySms: 'deactivated_by_sms',
  available: 'available',
};

export async function updateProvider(em: EntityManager, id: string, changes: ProviderChanges): Promise<void> {
  const set = assignments(changes, COLUMN_OF);
  await em.execute(`update registry.provider set ${set.sql} where id = ?`, [...set.params, id]);
}

export interface ListFilter {
  q?: string;
  status?: ProviderStatus;
  available?: boolean;
  trade?: Trade;
  after?: ListPosition;
  limit: number;
}

export async function listProviders(
  em: EntityManager,
  filter: ListFilter,
): Promise<{ items: Provider[]; nextCursor: string | null }> {
  const conditions: string[] = ['true'];
  const params: unknown[] = [];
  const q = filter.q?.trim();
  if (q) {
    // A number as an operator types it ("(415) 555-0177") matches its digits inside the E.164 form.
    const search = textSearch(q);
    conditions.push(search.sql);
    params.push(...search.params);
  }
  if (filter.status) {
    conditions.push('p.status = ?');
    params.push(filter.status);
  }
  if (filter.available !== undefined) {
    conditions.push('p.available = ?');
    params.push(filter.available);
  }
  if (filter.trade) {
    conditions.push('p.trade = ?');
    params.push(filter.trade);
  }
  if (filter.after) {
    conditions.push('(p.created_at, p.id) < (?::timestamptz, ?::uuid)');
    params.push(filter.after.createdAt, filter.after.id);
  }
  const rows = await em.execute<ProviderRow[]>(
    selectProviders(conditions.join(' and '), 'order by p.created_at desc, p.id desc limit ?'),
    [...params, filter.limit + 1],
  );
  return keysetPage(rows, filter.limit, toProvider);
}

export interface NearestQuery {
  serviceCode: string;
  lat: number;
  lng: number;
  radiusKm: number;
  limit: number;
  excludeProviderIds: string[];
}

/**
 * Earth radius in metres as earthdistance defines it (`earth()`). `cube_distance` between two earth
 * points is the chord through the earth; a great-circle distance d is the chord 2R·sin(d / 2R).
 */
const EARTH_RADIUS_M = 6378168;
const chordFor = (metres: string): string =>
  `2 * ${EARTH_RADIUS_M} * sin(${metres} / (2.0 * ${EARTH_RADIUS_M}))`;

/** Candidates free of offers (`free`), or the ones who would be candidates but for a pending offer (`held`). */
const candidatesSql = (offers: 'free' | 'held'): string => `
  select p.id, p.name, p.phone,
         2 * ${EARTH_RADIUS_M} * asin(least(1, public.cube_distance(p.location, registry.earth_point(?, ?)) / (2.0 * ${EARTH_RADIUS_M}))) / 1000
           as distance_km
  from registry.provider p
  where p.location operator(public.<@) registry.earth_search_box(registry.earth_point(?, ?), ? * 1000)
    and public.cube_distance(p.location, registry.earth_point(?, ?)) <= ${chordFor('least(?, p.radius_km) * 1000')}
    and p.status = 'active'
    and p.available
    and p.busy_job_id is null
    and p.pending_offer_id is ${offers === 'free' ? 'null' : 'not null'}
    and p.services @> array[?]::text[]
    and p.id <> all(?::uuid[])
  order by p.location operator(public.<->) registry.earth_point(?, ?)
  limit ?`;

/**
 * The statement behind candidates.nearest; exported so a test can EXPLAIN exactly it. The GiST index on
 * `location` serves both the bounding box and the order (`<->`, the straight-line distance between earth
 * points, i.e. the chord): it hands rows back nearest first, so the scan stops once k eligible providers
 * are found. `cube_distance` (C) applies both radii exactly; only the k results get a great-circle km.
 *
 * The order is the distance alone: a second key (`, p.id`) cannot come from the index, and then
 * PostgreSQL reads every provider in the box and sorts them (a bitmap scan of ~130 heap pages for 3 rows
 * in the bench's 100,000-provider registry: p50 1.7 ms against 0.9 ms). {@link nearestCandidates} breaks
 * ties by id among the rows it gets.
 */
export const NEAREST_SQL = candidatesSql('free');

/**
 * The same search for the providers who hold a pending offer: run only when NEAREST_SQL found fewer than
 * k, so a busy city's searches, which find their k, pay nothing for it; in a sparse one it reads the
 * same few index pages again.
 */
export const HELD_SQL = candidatesSql('held');

export const nearestParams = (query: NearestQuery): unknown[] => [
  query.lat,
  query.lng,
  query.lat,
  query.lng,
  query.radiusKm,
  query.lat,
  query.lng,
  query.radiusKm,
  query.serviceCode,
  pgArray(query.excludeProviderIds),
  query.lat,
  query.lng,
  query.limit,
];

/** A statement in pg's own `$n` placeholders, named: each pooled connection parses and plans it once. */
const prepared = (name: string, sql: string): { name: string; text: string } => {
  let n = 0;
  return { name, text: sql.replace(/\?/g, () => `$${++n}`) };
};

/** NEAREST_SQL as a named prepared statement (dispatch asks once per wave, and the bench at 200/s). */
export const NEAREST_STATEMENT = prepared('registry_candidates_nearest', NEAREST_SQL);
const HELD_STATEMENT = prepared('registry_candidates_held', HELD_SQL);

/** The pg pool under MikroORM: the named statement needs pg's own query config. */
type NativePool = {
  query<R>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: R[] }>;
};

async function candidates(
  pool: NativePool,
  statement: { name: string; text: string },
  query: NearestQuery,
): Promise<registry.Candidate[]> {
  const { rows } = await pool.query<{ id: string; name: string; phone: string; distance_km: number }>({
    ...statement,
    values: nearestParams(query),
  });
  return rows
    .map((row) => ({
      providerId: row.id,
      name: row.name,
      phone: row.phone,
      distanceKm: Number(row.distance_km),
    }))
    .sort((a, b) => a.distanceKm - b.distanceKm || (a.providerId < b.providerId ? -1 : 1))
    .map((candidate) => ({ ...candidate, distanceKm: Math.round(candidate.distanceKm * 1000) / 1000 }));
}

/**
 * The k nearest eligible providers and, when there are fewer than k, the nearest who are held by a
 * pending offer. Runs on `em`'s pool, never inside a transaction `em` may hold: a read that needs none.
 */
export async function nearestCandidates(
  em: EntityManager,
  query: NearestQuery,
): Promise<{ items: registry.Candidate[]; held: registry.Candidate[] }> {
  const pool = (await em.getConnection().getNativeClient()) as NativePool;
  const items = await candidates(pool, NEAREST_STATEMENT, query);
  const held = items.length < query.limit ? await candidates(pool, HELD_STATEMENT, query) : [];
  return { items, held };
}

/** Largest radius a provider may have (the contract's maximum): bounds the coverage index scan. */
const MAX_PROVIDER_RADIUS_KM = 200;

export async function countCoveringProviders(
  em: EntityManager,
  point: { lat: number; lng: number; trade: Trade },
): Promise<number> {
  const [row] = await em.execute<{ n: number }[]>(
    `select count(*)::int as n
     from (select registry.earth_point(?, ?) as point) centre
     join registry.provider p
       on registry.earth_search_box(centre.point, ? * 1000) operator(public.@>) p.location
     where public.cube_distance(p.location, centre.point) <= ${chordFor('p.radius_km * 1000')}
       and p.status = 'active'
       and p.trade = ?`,
    [point.lat, point.lng, MAX_PROVIDER_RADIUS_KM, point.trade],
  );
  return row?.n ?? 0;
}
