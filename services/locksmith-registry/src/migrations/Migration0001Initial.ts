import { Migration } from '@mikro-orm/migrations';

/**
 * Providers with a GiST index on their earth point (cube + earthdistance), so "nearest eligible" and
 * "does anyone cover this point" are index scans in PostgreSQL. The extensions live in `public` (one
 * per database, shared by every schema). earthdistance's SQL functions call each other unqualified,
 * so they break under any search_path without `public` (this migration's, autovacuum's, a restore's):
 * the three wrappers below pin their search_path, and the index and queries use only them.
 */
export class Migration0001Initial extends Migration {
  override name = 'Registry0001Initial';

  override up(): void {
    this.addSql('create extension if not exists cube with schema public');
    this.addSql('create extension if not exists earthdistance with schema public');
    this.addSql('create extension if not exists pg_trgm with schema public');
    this.addSql(`create function earth_point(lat double precision, lng double precision) returns public.earth
      language sql immutable strict parallel safe set search_path = public, pg_catalog
      return public.ll_to_earth(lat, lng)`);
    this
      .addSql(`create function earth_search_box(centre public.earth, metres double precision) returns public.cube
      language sql immutable strict parallel safe set search_path = public, pg_catalog
      return public.earth_box(centre, metres)`);
    this.addSql(`create function earth_metres(a public.earth, b public.earth) returns double precision
      language sql immutable strict parallel safe set search_path = public, pg_catalog
      return public.earth_distance(a, b)`);
    this.addSql(`create table provider (
      id uuid primary key,
      name text not null check (length(name) between 1 and 120),
      phone text not null check (phone ~ '^\\+[1-9][0-9]{6,14}$'),
      email text,
      trade text not null default 'locksmith' check (trade in ('locksmith', 'plumber')),
      services text[] not null check (cardinality(services) >= 1),
      address text,
      zip text,
      lat double precision not null check (lat between -90 and 90),
      lng double precision not null check (lng between -180 and 180),
      radius_km double precision not null default 15 check (radius_km > 0 and radius_km <= 200),
      status text not null default 'active' check (status in ('active', 'paused', 'deactivated')),
      deactivated_by_sms boolean not null default false,
      available boolean not null default true,
      busy_job_id uuid,
      pending_offer_id uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint provider_phone_unique unique (phone)
    )`);
    this.addSql('create index provider_earth_gist on provider using gist (earth_point(lat, lng))');
    this.addSql('create index provider_services_gin on provider using gin (services)');
    this.addSql('create index provider_newest on provider (created_at desc, id desc)');
    // Operators search by any fragment of a name, number or email.
    this.addSql(`create index provider_search_trgm on provider
      using gin ((name || ' ' || phone || ' ' || coalesce(email, '')) public.gin_trgm_ops)`);
    // Every offer a provider was sent, with how it ended: the source of their live stats.
    this.addSql(`create table provider_offer (
      offer_id uuid primary key,
      provider_id uuid not null references provider (id) on delete cascade,
      job_id uuid not null,
      sent_at timestamptz not null default now(),
      status text not null default 'PENDING'
        check (status in ('PENDING', 'ACCEPTED', 'DECLINED', 'EXPIRED', 'CANCELED', 'FAILED')),
      response_seconds double precision check (response_seconds >= 0),
      closed_at timestamptz
    )`);
    this.addSql('create index provider_offer_by_provider on provider_offer (provider_id, status)');
  }

  override down(): void {
    this.addSql('drop table provider_offer');
    this.addSql('drop table provider');
    this.addSql('drop function earth_metres');
    this.addSql('drop function earth_search_box');
    this.addSql('drop function earth_point');
  }
}
