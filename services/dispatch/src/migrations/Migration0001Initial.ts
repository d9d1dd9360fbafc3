import { Migration } from '@mikro-orm/migrations';

const STATES = `'CREATED','DISPATCHING','OFFERED','ASSIGNED','EN_ROUTE','COMPLETED','CANCELED','FAILED'`;
const OPEN = `'CREATED','DISPATCHING','OFFERED','ASSIGNED','EN_ROUTE'`;

export class Migration0001Initial extends Migration {
  override name = 'Dispatch0001Initial';

  override up(): void {
    // created_at is kept to the millisecond so the keyset cursor (an ISO instant) matches it exactly.
    this.addSql(`create table job (
      id uuid primary key,
      code text not null check (code ~ '^[0-9]{4}$'),
      booking_id text not null unique,
      state text not null check (state in (${STATES})),
      service_code text not null,
      service_name text not null,
      customer_name text not null,
      customer_phone text not null,
      address jsonb not null,
      notes text,
      locksmith_id uuid,
      locksmith_name text,
      locksmith_phone text,
      eta_minutes integer check (eta_minutes > 0),
      wave integer not null default 0 check (wave >= 0),
      round_start_wave integer not null default 0 check (round_start_wave >= 0 and round_start_wave <= wave),
      excluded_provider_ids uuid[] not null default '{}',
      paused boolean not null default false,
      next_action_at timestamptz,
      created_at timestamptz not null default date_trunc('milliseconds', now()),
      updated_at timestamptz not null default clock_timestamp(),
      constraint job_assigned_has_locksmith check (state not in ('ASSIGNED','EN_ROUTE','COMPLETED') or locksmith_id is not null),
      constraint job_unassigned_has_none check (state not in ('CREATED','DISPATCHING','OFFERED') or locksmith_id is null)
    )`);
    // Codes only need to be unambiguous among jobs still in play.
    this.addSql(`create unique index job_open_code_uq on job (code) where state in (${OPEN})`);
    this.addSql(`create index job_due_idx on job (next_action_at) where next_action_at is not null`);
    this.addSql(`create index job_created_idx on job (created_at desc, id desc)`);
    this.addSql(`create index job_state_idx on job (state, created_at desc)`);
    this.addSql(
      `create index job_locksmith_open_idx on job (locksmith_id) where state in ('ASSIGNED','EN_ROUTE')`,
    );

    this.addSql(`create table job_timeline (
      id bigint generated always as identity primary key,
      job_id uuid not null references job (id),
      state text not null check (state in (${STATES})),
      previous_state text check (previous_state in (${STATES})),
      at timestamptz not null default clock_timestamp(),
      cause text not null,
      actor text not null
    )`);
    this.addSql(`create index job_timeline_job_idx on job_timeline (job_id, id)`);

    this.addSql(`create table offer (
      id uuid primary key,
      job_id uuid not null references job (id),
      provider_id uuid not null,
      provider_name text not null,
      provider_phone text not null,
      wave integer not null check (wave >= 1),
      distance_km double precision not null check (distance_km >= 0),
      status text not null default 'PENDING'
        check (status in ('PENDING','ACCEPTED','DECLINED','EXPIRED','CANCELED','FAILED')),
      reason text,
      sent_at timestamptz not null default clock_timestamp(),
      expires_at timestamptz not null,
      responded_at timestamptz,
      closed_at timestamptz,
      constraint offer_once_per_job unique (job_id, provider_id),
      constraint offer_closed_when_not_pending check ((status = 'PENDING') = (closed_at is null))
    )`);
    // A locksmith has at most one pending offer, so a bare YES is never ambiguous.
    this.addSql(
      `create unique index offer_one_pending_per_provider on offer (provider_id) where status = 'PENDING'`,
    );
    this.addSql(`create index offer_pending_expiry_idx on offer (expires_at) where status = 'PENDING'`);
    this.addSql(`create index offer_job_idx on offer (job_id, wave)`);
    this.addSql(`create index offer_provider_idx on offer (provider_id, sent_at desc)`);
  }
}
