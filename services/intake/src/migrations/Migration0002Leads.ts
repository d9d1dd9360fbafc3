import { Migration } from '@mikro-orm/migrations';
import { DEFAULT_LEAD_PRICES } from '../domain/lead-price.ts';

const LEAD_STATUSES = `('new', 'offered', 'assigned', 'completed', 'unsold', 'rejected', 'credited')`;

export class Migration0002Leads extends Migration {
  override name = 'Intake0002Leads';

  override up(): void {
    this.addSql(`create table partner (
      id uuid primary key,
      name text not null,
      email text,
      status text not null default 'active' check (status in ('active', 'suspended')),
      rate_limit_per_minute integer not null default 120 check (rate_limit_per_minute > 0),
      created_at timestamptz not null default date_trunc('milliseconds', now())
    )`);
    this.addSql(`create index partner_created_idx on partner (created_at desc, id desc)`);

    // Only the key's SHA-256 is kept; the prefix tells keys apart in the console.
    this.addSql(`create table partner_key (
      id uuid primary key,
      partner_id uuid not null references partner (id),
      name text,
      test boolean not null default false,
      key_hash text not null unique check (key_hash ~ '^[0-9a-f]{64}$'),
      prefix text not null,
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    )`);
    this.addSql(`create index partner_key_partner_idx on partner_key (partner_id, created_at)`);

    this.addSql(`create table lead (
      id uuid primary key,
      status text not null check (status in ${LEAD_STATUSES}),
      first_name text not null,
      last_name text not null,
      email text not null check (email = lower(email)),
      phone text not null check (phone ~ '^\\+[1-9][0-9]{6,14}$'),
      service_code text not null,
      urgency text not null check (urgency in ('day', 'week', 'month')),
      zip text not null check (zip ~ '^[0-9]{5}$'),
      lat double precision not null check (lat between -90 and 90),
      lng double precision not null check (lng between -180 and 180),
      description text,
      source text not null check (source in ('form', 'partner')),
      partner_id uuid references partner (id),
      partner_key_id uuid references partner_key (id),
      external_id text,
      test boolean not null default false,
      consent jsonb not null,
      price_cents integer not null check (price_cents >= 0),
      rejection_reason text,
      plumber_id uuid,
      -- Millisecond precision, so the keyset cursor (an ISO time) is exact.
      created_at timestamptz not null default date_trunc('milliseconds', now()),
      updated_at timestamptz not null default now(),
      check ((source = 'partner') = (partner_id is not null)),
      check (not test or status = 'rejected')
    )`);
    // The duplicate rule looks back 30 days by phone or email for one service, ignoring test and
    // rejected leads.
    this.addSql(
      `create index lead_duplicate_phone_idx on lead (phone, service_code, created_at) where status <> 'rejected'`,
    );
    this.addSql(
      `create index lead_duplicate_email_idx on lead (email, service_code, created_at) where status <> 'rejected'`,
    );
    this.addSql(`create index lead_created_idx on lead (created_at desc, id desc)`);
    this.addSql(`create index lead_status_created_idx on lead (status, created_at desc, id desc)`);
    this.addSql(`create index lead_partner_created_idx on lead (partner_id, created_at desc, id desc)`);
    this.addSql(`create index lead_zip_created_idx on lead (zip, created_at desc, id desc)`);

    // Every status a lead took, when, why and by whom (the console's timeline).
    this.addSql(`create table lead_status_change (
      id bigint generated always as identity primary key,
      lead_id uuid not null references lead (id) on delete cascade,
      status text not null check (status in ${LEAD_STATUSES}),
      at timestamptz not null default now(),
      cause text not null,
      actor text not null
    )`);
    this.addSql(`create index lead_status_change_lead_idx on lead_status_change (lead_id, at, id)`);

    this.addSql(`create table lead_price (
      service_code text not null,
      urgency text not null check (urgency in ('day', 'week', 'month')),
      zip_prefix text check (zip_prefix ~ '^[0-9]{1,5}$'),
      price_cents integer not null check (price_cents >= 0)
    )`);
    this.addSql(
      `create unique index lead_price_key on lead_price (service_code, urgency, coalesce(zip_prefix, ''))`,
    );
    for (const [service, byUrgency] of Object.entries(DEFAULT_LEAD_PRICES)) {
      for (const [urgency, cents] of Object.entries(byUrgency)) {
        this.addSql(
          `insert into lead_price (service_code, urgency, zip_prefix, price_cents) values ('${service}', '${urgency}', null, ${cents})`,
        );
      }
    }

    // A partner's Idempotency-Key and the answer its first request got (kept 24 hours).
    this.addSql(`create table idempotency_key (
      partner_id uuid not null references partner (id),
      key text not null,
      request_hash text not null,
      status integer not null,
      body jsonb not null,
      created_at timestamptz not null default now(),
      primary key (partner_id, key)
    )`);
    this.addSql(`create index idempotency_key_created_idx on idempotency_key (created_at)`);
  }
}
